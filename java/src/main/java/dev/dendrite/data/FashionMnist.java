package dev.dendrite.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Loads Fashion-MNIST (Zalando, 70000 grayscale 28 x 28 images of clothing in 10 classes), the dataset of the
 * Keras course notebooks. {@link #load()} never needs a network connection; it looks in turn at
 *
 * <ol>
 *   <li>the folder named by the environment variable {@code DENDRITE_DATA} (the four files directly in it or in
 *       its {@code fashion-mnist/} subfolder),</li>
 *   <li>{@value #SYSTEM_DIR}, installed by the Debian package {@code dataset-fashion-mnist},</li>
 *   <li>{@code ~/.dendrite/datasets/fashion-mnist},</li>
 * </ol>
 * and otherwise falls back to a small sample bundled in the jar (the first 300 training and first 100 test
 * images of each class: 3000 + 1000). The files are the standard {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each
 * optionally gzip-compressed ({@code .gz}).
 *
 * <p>The returned {@link TrainTest#source()} always says which of these was used, and why earlier locations
 * were passed over if they held damaged files; show it to the user. A {@code DENDRITE_DATA} folder that does
 * not exist or holds incomplete or damaged files is an error rather than a silent fall-back, since setting the
 * variable was deliberate; the automatic locations are passed over instead.
 */
public final class FashionMnist {
    /** Where the Debian package {@code dataset-fashion-mnist} installs the four gzip files. */
    public static final String SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

    private static final String[] CLASS_NAMES = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    static final String SAMPLE_RESOURCE_DIR = "/dev/dendrite/data/fashion-mnist-sample/";

    private static final String SAMPLE_ORIGIN = "bundled sample of Fashion-MNIST (the first 300 training and"
            + " first 100 test images of each class)";
    private static final String SAMPLE_PLACE = "from the sample bundled with Dendrite";

    private static final IdxDatasetFinder FINDER =
            new IdxDatasetFinder("Fashion-MNIST", "fashion-mnist", CLASS_NAMES);

    private FashionMnist() {
    }

    /** The ten class names, indexed by label: T-shirt/top, Trouser, ..., Ankle boot. */
    public static String[] classNames() {
        return CLASS_NAMES.clone();
    }

    /**
     * Loads the full dataset from the first location that has it, or the bundled sample; see the class
     * description for the order.
     *
     * @throws IOException if {@code DENDRITE_DATA} names a missing folder or one with damaged files, or the
     *         bundled sample is missing from the class path
     */
    public static TrainTest load() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")), Path.of(SYSTEM_DIR));
    }

    /**
     * Loads the dataset from {@code dir} (the four files directly in it or in its {@code fashion-mnist/}
     * subfolder), with no fall-back; {@code null} means the automatic look-up of {@link #load()}.
     *
     * @throws IOException if the folder does not exist or lacks a file, or a file is damaged
     */
    public static TrainTest load(Path dir) throws IOException {
        return dir == null ? load() : FINDER.loadExplicit(dir);
    }

    /** Loads the small sample bundled in the jar (3000 training and 1000 test images, 10 classes balanced). */
    public static TrainTest loadSample() throws IOException {
        return FINDER.loadResources(SAMPLE_RESOURCE_DIR, SAMPLE_ORIGIN, SAMPLE_PLACE, "", List.of());
    }

    /** The automatic look-up with the environment, home folder and system folder given (for tests). */
    static TrainTest load(Map<String, String> env, Path home, Path systemDir) throws IOException {
        List<IdxDatasetFinder.Location> locations = List.of(
                new IdxDatasetFinder.Location(systemDir, "Debian package dataset-fashion-mnist"),
                new IdxDatasetFinder.Location(FINDER.homeFolder(home), null));
        return FINDER.loadAutomatic(env, locations, (looked, skipped) -> FINDER.loadResources(
                SAMPLE_RESOURCE_DIR, SAMPLE_ORIGIN, SAMPLE_PLACE,
                " - the full set was not found; install the Debian package dataset-fashion-mnist, put the four"
                        + " files in " + FINDER.homeFolder(home) + " or set " + IdxDatasetFinder.ENV,
                skipped));
    }
}
