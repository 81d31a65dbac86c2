package dev.dendrite.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Loads MNIST (LeCun et al., 70000 grayscale 28 x 28 images of handwritten digits). No network access is
 * attempted and no copy is bundled, so the files must be present; {@link #load()} looks in turn at
 *
 * <ol>
 *   <li>the folder named by the environment variable {@code DENDRITE_DATA} (the four files directly in it or in
 *       its {@code mnist/} subfolder),</li>
 *   <li>{@code ~/.dendrite/datasets/mnist},</li>
 * </ol>
 * and otherwise throws an {@link IOException} that says where to put the files. The files are the standard
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and
 * {@code t10k-labels-idx1-ubyte}, each optionally gzip-compressed ({@code .gz}).
 *
 * <p>Locations are handled as by {@link FashionMnist}: a {@code DENDRITE_DATA} folder that is missing or holds
 * damaged files is an error; a damaged copy in the home folder is reported in the final error. The class names
 * are the digits {@code "0"} to {@code "9"}.
 */
public final class Mnist {
    private static final String[] CLASS_NAMES = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    private static final IdxDatasetFinder FINDER = new IdxDatasetFinder("MNIST", "mnist", CLASS_NAMES);

    private Mnist() {
    }

    /** The class names {@code "0"} to {@code "9"}. */
    public static String[] classNames() {
        return CLASS_NAMES.clone();
    }

    /**
     * Loads MNIST from the first location that has it; see the class description.
     *
     * @throws IOException if no location has it (the message says where to put the files), or a file is damaged
     */
    public static TrainTest load() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Loads MNIST from {@code dir} (the four files directly in it or in its {@code mnist/} subfolder), with no
     * fall-back; {@code null} means the automatic look-up of {@link #load()}.
     *
     * @throws IOException if the folder does not exist or lacks a file, or a file is damaged
     */
    public static TrainTest load(Path dir) throws IOException {
        return dir == null ? load() : FINDER.loadExplicit(dir);
    }

    /** The automatic look-up with the environment and home folder given (for tests). */
    static TrainTest load(Map<String, String> env, Path home) throws IOException {
        Path homeDir = FINDER.homeFolder(home);
        return FINDER.loadAutomatic(env, List.of(new IdxDatasetFinder.Location(homeDir, null)),
                (looked, skipped) -> {
                    throw new IOException("MNIST was not found (looked at " + String.join(", ", looked) + ")"
                            + (skipped.isEmpty() ? "" : "; unusable: " + String.join("; ", skipped))
                            + ". Dendrite does not download data: put the four files "
                            + FINDER.expectedFiles() + " into " + homeDir + ", or into a folder (or its mnist/"
                            + " subfolder) named by the environment variable " + IdxDatasetFinder.ENV
                            + ", or pass that folder to Mnist.load(Path)");
                });
    }
}
