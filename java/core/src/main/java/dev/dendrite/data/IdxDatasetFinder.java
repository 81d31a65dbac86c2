package dev.dendrite.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Finds and reads an MNIST-style dataset (four IDX files) for {@link FashionMnist} and {@link Mnist}.
 *
 * <p>Look-up order and what happens when a location is unusable:
 * <ol>
 *   <li>An explicit folder: it must hold the files (directly or in the dataset's subfolder); otherwise, or if a
 *       file is damaged, an {@link IOException}. It is never silently replaced by another source.</li>
 *   <li>The folder named by {@value #ENV} (files directly in it or in the dataset's subfolder). Setting the
 *       variable is a deliberate choice, so a folder that does not exist or holds damaged or incomplete files is
 *       an {@link IOException}; a folder holding no files of this dataset (e.g. only the other dataset) is
 *       passed over.</li>
 *   <li>The system folder (Fashion-MNIST: the Debian package's), then {@code ~/.dendrite/datasets/<name>}.
 *       These are found automatically, so a damaged or incomplete copy is passed over, and the reason is added
 *       to the {@code source} sentence of whatever is loaded instead (or to the final error).</li>
 * </ol>
 */
final class IdxDatasetFinder {
    /** Environment variable naming a folder with the dataset files. */
    static final String ENV = "DENDRITE_DATA";

    /** Base names of the four files, in the order train images, train labels, test images, test labels. */
    static final String[] FILES = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };

    private final String name;
    private final String subfolder;
    private final String[] classNames;

    IdxDatasetFinder(String name, String subfolder, String[] classNames) {
        this.name = name;
        this.subfolder = subfolder;
        this.classNames = classNames.clone();
    }

    /** What the caller should do when no location holds the dataset. */
    interface Fallback {
        TrainTest load(List<String> looked, List<String> skipped) throws IOException;
    }

    /** A location to try automatically: a folder and how to describe it to people. */
    record Location(Path dir, String description) {
    }

    /** Loads from a folder the user named. */
    TrainTest loadExplicit(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new IOException(name + " folder " + dir + " does not exist; expected a folder holding "
                    + expectedFiles());
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a folder; expected a folder holding " + name + "'s "
                    + expectedFiles());
        }
        Path folder = folderWithFiles(dir);
        if (folder == null) {
            throw new IOException("no " + name + " files in " + dir + " or " + dir.resolve(subfolder)
                    + "; expected " + expectedFiles());
        }
        return loadFolder(folder, null, List.of());
    }

    /**
     * Automatic look-up: {@value #ENV} from {@code env}, then {@code locations} in order, then {@code fallback}.
     */
    TrainTest loadAutomatic(Map<String, String> env, List<Location> locations, Fallback fallback)
            throws IOException {
        List<String> looked = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        String envValue = env.get(ENV);
        if (envValue == null || envValue.isBlank()) {
            looked.add(ENV + " (not set)");
        } else {
            Path dir = Path.of(envValue.trim());
            if (!Files.isDirectory(dir)) {
                throw new IOException(ENV + " is set to " + dir + ", which " + (Files.exists(dir)
                        ? "is not a folder" : "does not exist") + "; expected a folder holding " + name
                        + "'s files (directly or in its " + subfolder + "/ subfolder), or unset it");
            }
            Path folder = folderWithFiles(dir);
            if (folder != null) {
                return loadFolder(folder, ENV, List.of());
            }
            looked.add(ENV + "=" + dir + " (no " + name + " files there or in " + subfolder + "/)");
        }
        for (Location loc : locations) {
            if (!Files.isDirectory(loc.dir())) {
                looked.add(loc.dir() + " (does not exist)");
                continue;
            }
            Path folder = folderWithFiles(loc.dir());
            if (folder == null) {
                looked.add(loc.dir() + " (no " + name + " files)");
                continue;
            }
            try {
                return loadFolder(folder, loc.description(), skipped);
            } catch (IOException e) {
                looked.add(folder + " (unusable)");
                skipped.add(folder + ": " + e.getMessage());
            }
        }
        return fallback.load(looked, skipped);
    }

    /** The folder holding the files: {@code dir/subfolder} if it has any of them, else {@code dir}, else null. */
    Path folderWithFiles(Path dir) {
        Path sub = dir.resolve(subfolder);
        if (Files.isDirectory(sub) && hasAnyFile(sub)) {
            return sub;
        }
        return hasAnyFile(dir) ? dir : null;
    }

    private static boolean hasAnyFile(Path dir) {
        for (String base : FILES) {
            if (find(dir, base) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * The file for {@code base} in {@code dir}: the standard name, the same with {@code .gz}, or the variants
     * with a dot before {@code idx} ({@code train-images.idx3-ubyte}) that some unpacking tools produce.
     */
    private static Path find(Path dir, String base) {
        String dotted = base.replace("-idx", ".idx");
        for (String candidate : new String[] {base, base + ".gz", dotted, dotted + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** Reads the four files of {@code folder}; any missing or damaged file is an IOException. */
    TrainTest loadFolder(Path folder, String how, List<String> skipped) throws IOException {
        Path[] paths = new Path[FILES.length];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < FILES.length; i++) {
            paths[i] = find(folder, FILES[i]);
            if (paths[i] == null) {
                missing.add(FILES[i] + "(.gz)");
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(name + " folder " + folder + " lacks " + String.join(", ", missing)
                    + "; expected all of " + expectedFiles());
        }
        return loadPaths(paths, folder, how, skipped);
    }

    /** Reads the four files {@code paths} (in {@link #FILES} order) found in {@code folder}. */
    private TrainTest loadPaths(Path[] paths, Path folder, String how, List<String> skipped) throws IOException {
        ByteTensor trainX = IdxReader.readImages(paths[0]);
        int[] trainY = IdxReader.readLabels(paths[1]);
        ByteTensor testX = IdxReader.readImages(paths[2]);
        int[] testY = IdxReader.readLabels(paths[3]);
        String where = folder + (how == null ? "" : " (" + how + ")");
        return assemble(trainX, trainY, paths[0].toString(), paths[1].toString(), testX, testY,
                paths[2].toString(), paths[3].toString(), name + " from " + where, "from " + where, skipped, "");
    }

    /**
     * Reads the four files from class-path resources {@code resourceDir + FILES[i] + ".gz"}. The source sentence
     * is {@code origin + ": <n> train, <m> test" + suffix}, then the {@code skipped} locations, if any; the
     * sets' sources are {@code "<name> training set " + place} and {@code "<name> test set " + place}.
     */
    TrainTest loadResources(String resourceDir, String origin, String place, String suffix, List<String> skipped)
            throws IOException {
        ByteTensor[] images = new ByteTensor[2];
        int[][] labels = new int[2][];
        String[] names = new String[FILES.length];
        for (int i = 0; i < FILES.length; i++) {
            names[i] = resourceDir + FILES[i] + ".gz";
            try (InputStream in = IdxDatasetFinder.class.getResourceAsStream(names[i])) {
                if (in == null) {
                    throw new IOException("bundled resource " + names[i] + " is missing from the class path;"
                            + " expected it inside the Dendrite jar (was the jar stripped of resources?)");
                }
                String what = "bundled resource " + names[i];
                if (i % 2 == 0) {
                    images[i / 2] = IdxReader.readImages(in, what);
                } else {
                    labels[i / 2] = IdxReader.readLabels(in, what);
                }
            }
        }
        return assemble(images[0], labels[0], names[0], names[1], images[1], labels[1], names[2], names[3],
                origin, place, skipped, suffix);
    }

    private TrainTest assemble(ByteTensor trainX, int[] trainY, String trainXName, String trainYName,
            ByteTensor testX, int[] testY, String testXName, String testYName, String origin, String place,
            List<String> skipped, String suffix) throws IOException {
        checkPair(trainX, trainY, trainXName, trainYName);
        checkPair(testX, testY, testXName, testYName);
        if (!Arrays.equals(trainX.sampleShape(), testX.sampleShape())) {
            throw new IOException(trainXName + " holds " + Arrays.toString(trainX.sampleShape()) + " images but "
                    + testXName + " holds " + Arrays.toString(testX.sampleShape())
                    + "; expected the same image size in both");
        }
        String source = origin + ": " + trainY.length + " train, " + testY.length + " test" + suffix;
        if (!skipped.isEmpty()) {
            source += " (skipped " + String.join("; ", skipped) + ")";
        }
        Dataset train = new Dataset(trainX, trainY, classNames, name + " training set " + place);
        Dataset test = new Dataset(testX, testY, classNames, name + " test set " + place);
        return new TrainTest(train, test, source);
    }

    private void checkPair(ByteTensor x, int[] y, String xName, String yName) throws IOException {
        if (x.rows() != y.length) {
            throw new IOException(xName + " holds " + x.rows() + " images but " + yName + " holds " + y.length
                    + " labels; expected one label per image (are the files from the same dataset?)");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= classNames.length) {
                throw new IOException(yName + " has label " + y[i] + " at index " + i + "; expected a class index"
                        + " in [0, " + classNames.length + ") for " + name);
            }
        }
    }

    /**
     * Downloads the dataset into {@code homeDir} and loads it from there; the source sentence names the URL.
     *
     * @param loadPath how the user's code would name a folder, e.g. {@code "Mnist.load(Path)"}
     * @throws IOException if the download fails, saying how to install the files by hand
     */
    TrainTest download(IdxDownloader downloader, Path homeDir, String loadPath, List<String> skipped)
            throws IOException {
        // The downloaded files by name: a damaged copy beside them (another of the names find() accepts) must not
        // be read instead.
        IdxDownloader.Downloaded got = downloader.download(homeDir,
                howToInstallByHand(downloader.baseUrl(), homeDir, loadPath));
        return loadPaths(got.paths(), homeDir, "downloaded from " + got.from(), skipped);
    }

    /** Where to put the files when Dendrite cannot fetch them. */
    String howToInstallByHand(String baseUrl, Path homeDir, String loadPath) {
        return "To install " + name + " by hand, fetch " + String.join(", ", FILES).replace("-ubyte", "-ubyte.gz")
                + " from " + baseUrl + " (on any machine with internet access) and put them into " + homeDir
                + ", or into a folder (or its " + subfolder + "/ subfolder) named by the environment variable " + ENV
                + ", or pass that folder to " + loadPath;
    }

    String expectedFiles() {
        return String.join(", ", FILES) + " (each optionally gzip-compressed with .gz)";
    }

    /** The standard per-user folder, {@code ~/.dendrite/datasets/<subfolder>}. */
    Path homeFolder(Path home) {
        return home.resolve(".dendrite").resolve("datasets").resolve(subfolder);
    }

    String subfolder() {
        return subfolder;
    }

    String name() {
        return name;
    }
}
