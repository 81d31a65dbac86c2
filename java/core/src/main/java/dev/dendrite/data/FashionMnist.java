package dev.dendrite.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads Fashion-MNIST (Zalando, 70000 grayscale 28 x 28 images of clothing in 10 classes), the dataset of the
 * Keras course notebooks. {@link #load()} looks in turn at
 *
 * <ol>
 *   <li>the folder named by the environment variable {@code DENDRITE_DATA} (the four files directly in it or in
 *       its {@code fashion-mnist/} subfolder),</li>
 *   <li>{@value #SYSTEM_DIR}, installed by the Debian package {@code dataset-fashion-mnist},</li>
 *   <li>{@code ~/.dendrite/datasets/fashion-mnist},</li>
 *   <li>the network, as {@code keras.datasets.fashion_mnist.load_data()}: it downloads the four files from
 *       {@value #BASE_URL} into {@code ~/.dendrite/datasets/fashion-mnist}, checking each against its published
 *       SHA-256, with a progress bar on standard error, unless downloads are off ({@code DENDRITE_OFFLINE=1}, or
 *       under CI); see the README's data section for the settings,</li>
 * </ol>
 * and otherwise (downloads off or failed) falls back to a small sample bundled in the jar (the first 300
 * training and first 100 test images of each class: 3000 + 1000), saying why in its source sentence. The files
 * are the standard {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each optionally gzip-compressed
 * ({@code .gz}).
 *
 * <p>The returned {@link TrainTest#source()} always says which of these was used, and why earlier locations
 * were passed over if they held damaged files; show it to the user. A {@code DENDRITE_DATA} folder that does
 * not exist or holds incomplete or damaged files is an error rather than a silent fall-back, since setting the
 * variable was deliberate; the automatic locations are passed over instead.
 */
public final class FashionMnist {
    /** Where the Debian package {@code dataset-fashion-mnist} installs the four gzip files. */
    public static final String SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

    /** Where Keras downloads the files from. */
    public static final String BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";

    /**
     * The SHA-256 of Zalando's published files (the sizes 26421880, 29515, 4422102 and 5148 bytes; Keras and
     * TensorFlow Datasets check the same sums). Debian's package holds the same images recompressed, so its files
     * have other sums.
     */
    private static final Map<String, String> SHA256 = Map.of(
            "train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5");

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
     * Loads the full dataset from the first location that has it, else downloads it (where downloads are on),
     * else the bundled sample; see the class description for the order.
     *
     * @throws IOException if {@code DENDRITE_DATA} names a missing folder or one with damaged files, or the
     *         bundled sample is missing from the class path
     */
    public static TrainTest load() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")), Path.of(SYSTEM_DIR),
                downloader(System.getenv(), System::getProperty, System.err));
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

    /**
     * The automatic look-up of {@link #load()} without the download, so the bundled sample where nothing else is
     * on this machine (for {@code dendrite info}, which must not fetch data as a side effect).
     *
     * @throws IOException if {@code DENDRITE_DATA} names a missing folder or one with damaged files
     */
    public static TrainTest loadLocal() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")), Path.of(SYSTEM_DIR));
    }

    /** The automatic look-up with the environment, home folder and system folder given, never downloading. */
    static TrainTest load(Map<String, String> env, Path home, Path systemDir) throws IOException {
        return load(env, home, systemDir, null);
    }

    /** The downloader the settings describe (see {@link IdxDownloader}). */
    static IdxDownloader downloader(Map<String, String> env, Function<String, String> property, PrintStream progress) {
        return IdxDownloader.configure("Fashion-MNIST", "fashion-mnist", BASE_URL, SHA256, null, env, property,
                progress);
    }

    /** The automatic look-up; {@code downloader} null means downloads are off. */
    static TrainTest load(Map<String, String> env, Path home, Path systemDir, IdxDownloader downloader)
            throws IOException {
        Path homeDir = FINDER.homeFolder(home);
        List<IdxDatasetFinder.Location> locations = List.of(
                new IdxDatasetFinder.Location(systemDir, "Debian package dataset-fashion-mnist"),
                new IdxDatasetFinder.Location(homeDir, null));
        return FINDER.loadAutomatic(env, locations, (looked, skipped) -> {
            String why = "";
            if (downloader != null && downloader.enabled()) {
                try {
                    return FINDER.download(downloader, homeDir, "FashionMnist.load(Path)", skipped);
                } catch (IOException e) {
                    downloader.notice("Using the bundled sample instead: " + e.getMessage());
                    why = "; " + e.getMessage();
                }
            }
            return FINDER.loadResources(SAMPLE_RESOURCE_DIR, SAMPLE_ORIGIN, SAMPLE_PLACE,
                    " - the full set was not found; install the Debian package dataset-fashion-mnist, put the four"
                            + " files in " + homeDir + " or set " + IdxDatasetFinder.ENV + why,
                    skipped);
        });
    }
}
