package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Look-up order and error handling of {@link FashionMnist}, with every location a temporary folder. */
class FashionMnistTest {
    @TempDir
    Path tmp;

    private Path home() {
        return tmp.resolve("home");
    }

    private Path system() {
        return tmp.resolve("usr-share-datasets-fashion-mnist");
    }

    private static Map<String, String> env(Path dir) {
        return Map.of(IdxDatasetFinder.ENV, dir.toString());
    }

    private static void assertMentions(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "lacks '" + part + "': " + text);
        }
    }

    @Test
    void classNames() {
        assertArrayEquals(new String[] {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot"}, FashionMnist.classNames());
    }

    @Test
    void explicitFolderGzipOrPlain() throws IOException {
        Path gz = tmp.resolve("gz");
        IdxFiles.writeDataset(gz, 30, 20, true);
        TrainTest t = FashionMnist.load(gz);
        assertEquals(30, t.train().size());
        assertEquals(20, t.test().size());
        assertArrayEquals(new int[] {28, 28}, t.train().images().sampleShape());
        assertEquals("Fashion-MNIST from " + gz + ": 30 train, 20 test", t.source());
        assertEquals("Fashion-MNIST training set from " + gz, t.train().source());
        assertArrayEquals(FashionMnist.classNames(), t.classNames());
        assertEquals(3, t.train().label(13));

        Path plain = tmp.resolve("plain");
        IdxFiles.writeDataset(plain.resolve("fashion-mnist"), 10, 10, false);
        TrainTest p = FashionMnist.load(plain);
        assertMentions(p.source(), plain.resolve("fashion-mnist").toString(), "10 train, 10 test");
    }

    @Test
    void dottedFileNamesAreAccepted() throws IOException {
        Path dir = tmp.resolve("dotted");
        IdxFiles.writeDataset(dir, 10, 10, false);
        for (String base : IdxDatasetFinder.FILES) {
            Files.move(dir.resolve(base), dir.resolve(base.replace("-idx", ".idx")));
        }
        assertEquals(10, FashionMnist.load(dir).train().size());
    }

    @Test
    void explicitFolderProblemsAreErrorsNotFallBacks() throws IOException {
        Path absent = tmp.resolve("absent");
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(absent)).getMessage(),
                absent.toString(), "does not exist", "train-images-idx3-ubyte");

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(empty)).getMessage(),
                "no Fashion-MNIST files in " + empty, "fashion-mnist");

        Path partial = tmp.resolve("partial");
        IdxFiles.writeDataset(partial, 10, 10, true);
        Files.delete(partial.resolve("t10k-labels-idx1-ubyte.gz"));
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(partial)).getMessage(),
                "lacks t10k-labels-idx1-ubyte(.gz)");

        Path broken = tmp.resolve("broken");
        IdxFiles.writeDataset(broken, 10, 10, true);
        Path img = broken.resolve("train-images-idx3-ubyte.gz");
        byte[] bytes = Files.readAllBytes(img);
        Files.write(img, Arrays.copyOf(bytes, bytes.length / 2));
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(broken)).getMessage(),
                img.toString(), "truncated");

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(file)).getMessage(),
                "not a folder");
    }

    @Test
    void mismatchedCountsAndBadLabelsAreReported() throws IOException {
        Path dir = tmp.resolve("mismatch");
        IdxFiles.writeDataset(dir, 10, 10, false);
        IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(1, 2, 3));
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage(),
                "10 images", "3 labels");

        IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(0, 1, 2, 3, 4, 5, 6, 7, 8, 12));
        assertMentions(assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage(),
                "label 12 at index 9", "[0, 10)");
    }

    @Test
    void envFolderComesFirst() throws IOException {
        Path data = tmp.resolve("data");
        IdxFiles.writeDataset(data.resolve("fashion-mnist"), 12, 11, true);
        IdxFiles.writeDataset(system(), 30, 20, true);
        TrainTest t = FashionMnist.load(env(data), home(), system());
        assertEquals(12, t.train().size());
        assertEquals("Fashion-MNIST from " + data.resolve("fashion-mnist") + " (DENDRITE_DATA): 12 train, 11 test",
                t.source());
    }

    @Test
    void envFolderWithFilesDirectly() throws IOException {
        Path data = tmp.resolve("flat");
        IdxFiles.writeDataset(data, 13, 10, false);
        assertEquals(13, FashionMnist.load(env(data), home(), system()).train().size());
    }

    @Test
    void envFolderWithOnlyOtherDatasetIsPassedOver() throws IOException {
        Path data = tmp.resolve("data");
        IdxFiles.writeDataset(data.resolve("mnist"), 14, 10, true);
        IdxFiles.writeDataset(system(), 30, 20, true);
        TrainTest t = FashionMnist.load(env(data), home(), system());
        assertEquals(30, t.train().size());
        assertMentions(t.source(), system().toString(), "(Debian package dataset-fashion-mnist): 30 train, 20 test");
    }

    @Test
    void brokenOrMissingEnvFolderIsAnError() throws IOException {
        IdxFiles.writeDataset(system(), 30, 20, true);
        Path absent = tmp.resolve("typo");
        assertMentions(assertThrows(IOException.class,
                () -> FashionMnist.load(env(absent), home(), system())).getMessage(),
                "DENDRITE_DATA is set to " + absent, "does not exist");

        Path partial = tmp.resolve("partial");
        IdxFiles.writeDataset(partial, 10, 10, true);
        Files.delete(partial.resolve("train-images-idx3-ubyte.gz"));
        assertMentions(assertThrows(IOException.class,
                () -> FashionMnist.load(env(partial), home(), system())).getMessage(),
                "lacks train-images-idx3-ubyte(.gz)");
    }

    @Test
    void blankEnvIsUnset() throws IOException {
        IdxFiles.writeDataset(system(), 30, 20, true);
        assertEquals(30, FashionMnist.load(Map.of(IdxDatasetFinder.ENV, "  "), home(), system()).train().size());
    }

    @Test
    void systemFolderBeforeHome() throws IOException {
        IdxFiles.writeDataset(system(), 30, 20, true);
        IdxFiles.writeDataset(home().resolve(".dendrite/datasets/fashion-mnist"), 15, 10, true);
        assertEquals(30, FashionMnist.load(Map.of(), home(), system()).train().size());
    }

    @Test
    void homeFolderWhenNoSystemPackage() throws IOException {
        Path dir = home().resolve(".dendrite/datasets/fashion-mnist");
        IdxFiles.writeDataset(dir, 15, 10, true);
        TrainTest t = FashionMnist.load(Map.of(), home(), system());
        assertEquals(15, t.train().size());
        assertEquals("Fashion-MNIST from " + dir + ": 15 train, 10 test", t.source());
    }

    @Test
    void brokenSystemFolderIsSkippedAndSaidSo() throws IOException {
        IdxFiles.writeDataset(system(), 30, 20, true);
        Path lbl = system().resolve("t10k-labels-idx1-ubyte.gz");
        Files.write(lbl, new byte[] {0x1f, (byte) 0x8b, 8, 0});
        Path dir = home().resolve(".dendrite/datasets/fashion-mnist");
        IdxFiles.writeDataset(dir, 15, 10, true);
        TrainTest t = FashionMnist.load(Map.of(), home(), system());
        assertEquals(15, t.train().size());
        assertMentions(t.source(), "from " + dir, "skipped " + system(), lbl.toString());
    }

    @Test
    void bundledSampleWhenNothingIsInstalled() throws IOException {
        TrainTest t = FashionMnist.load(Map.of(), home(), system());
        assertEquals(3000, t.train().size());
        assertEquals(1000, t.test().size());
        assertMentions(t.source(), "bundled sample of Fashion-MNIST", "3000 train, 1000 test",
                "install the Debian package dataset-fashion-mnist", "DENDRITE_DATA");
        assertEquals("Fashion-MNIST test set from the sample bundled with Dendrite", t.test().source());
    }

    @Test
    void bundledSampleIsBalancedAndValid() throws IOException {
        TrainTest t = FashionMnist.loadSample();
        assertEquals(3000, t.train().size());
        assertEquals(1000, t.test().size());
        int[] trainCounts = t.train().classCounts();
        int[] testCounts = t.test().classCounts();
        for (int k = 0; k < 10; k++) {
            assertEquals(300, trainCounts[k], "train class " + k);
            assertEquals(100, testCounts[k], "test class " + k);
        }
        assertArrayEquals(new int[] {28, 28}, t.train().images().sampleShape());
        assertArrayEquals(FashionMnist.classNames(), t.train().classNames());
        // Real images, not blanks: Fashion-MNIST averages roughly 73 per pixel.
        double sum = 0;
        ByteTensor x = t.train().images();
        for (int r = 0; r < x.rows(); r++) {
            for (int f = 0; f < 784; f++) {
                sum += x.pixel(r, f);
            }
        }
        double mean = sum / (3000.0 * 784);
        assertTrue(mean > 50 && mean < 100, "mean pixel " + mean);
        // Classes are interleaved in file order, so holding out the first rows gives several classes.
        assertTrue(Arrays.stream(t.train().rows(0, 50).classCounts()).filter(c -> c > 0).count() >= 8);
    }

    @Test
    void realDebianDatasetLoadsWhenInstalled() throws IOException {
        Path dir = Path.of(FashionMnist.SYSTEM_DIR);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dir),
                "the Debian package dataset-fashion-mnist is not installed (" + dir + " missing)");
        TrainTest t = FashionMnist.load(Map.of(), home(), dir);
        assertEquals(60000, t.train().size());
        assertEquals(10000, t.test().size());
        assertEquals("Fashion-MNIST from " + dir + " (Debian package dataset-fashion-mnist): 60000 train,"
                + " 10000 test", t.source());
        for (int c : t.train().classCounts()) {
            assertEquals(6000, c);
        }
        // Well-known first labels of the training set: Ankle boot, T-shirt/top, T-shirt/top, Dress.
        assertArrayEquals(new int[] {9, 0, 0, 3}, Arrays.copyOf(t.train().labels(), 4));
    }
}
