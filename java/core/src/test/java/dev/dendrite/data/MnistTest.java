package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {
    @TempDir
    Path tmp;

    private static void assertMentions(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "lacks '" + part + "': " + text);
        }
    }

    @Test
    void classNamesAreDigits() {
        assertArrayEquals(new String[] {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, Mnist.classNames());
    }

    @Test
    void notFoundExplainsWhereToPutTheFiles() {
        Path home = tmp.resolve("home");
        IOException e = assertThrows(IOException.class, () -> Mnist.load(Map.of(), home));
        assertMentions(e.getMessage(), "MNIST was not found", "DENDRITE_DATA (not set)",
                home.resolve(".dendrite/datasets/mnist").toString(), "does not download",
                "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "Mnist.load(Path)");
        // The look-up without a downloader (loadLocal, `dendrite info`) must not claim that downloads are off.
        assertMentions(e.getMessage(), "Mnist.load() (and `dendrite train --dataset mnist`) downloads it into "
                + home.resolve(".dendrite/datasets/mnist"));
        assertFalse(e.getMessage().contains("Downloads are off"), e.getMessage());
    }

    @Test
    void envSubfolderThenHome() throws IOException {
        Path data = tmp.resolve("data");
        IdxFiles.writeDataset(data.resolve("mnist"), 12, 10, true);
        IdxFiles.writeDataset(data.resolve("fashion-mnist"), 30, 10, true);
        Path home = tmp.resolve("home");
        IdxFiles.writeDataset(home.resolve(".dendrite/datasets/mnist"), 15, 10, false);

        TrainTest t = Mnist.load(Map.of(IdxDatasetFinder.ENV, data.toString()), home);
        assertEquals(12, t.train().size(), "mnist/ subfolder, not fashion-mnist/");
        assertEquals("MNIST from " + data.resolve("mnist") + " (DENDRITE_DATA): 12 train, 10 test", t.source());
        assertEquals("3", t.train().className(t.train().label(3)));

        TrainTest h = Mnist.load(Map.of(), home);
        assertEquals(15, h.train().size());
    }

    @Test
    void brokenHomeCopyIsNamedInTheError() throws IOException {
        Path home = tmp.resolve("home");
        Path dir = home.resolve(".dendrite/datasets/mnist");
        IdxFiles.writeDataset(dir, 15, 10, false);
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), new byte[] {0, 0, 8, 3, 0, 0});
        IOException e = assertThrows(IOException.class, () -> Mnist.load(Map.of(), home));
        assertMentions(e.getMessage(), "MNIST was not found", "unusable", "t10k-images-idx3-ubyte",
                "truncated in its header");
    }

    @Test
    void explicitFolder() throws IOException {
        Path dir = tmp.resolve("m");
        IdxFiles.writeDataset(dir, 11, 10, true);
        assertEquals(11, Mnist.load(dir).train().size());
        IOException e = assertThrows(IOException.class, () -> Mnist.load(tmp.resolve("nothing")));
        assertMentions(e.getMessage(), "MNIST folder", "does not exist");
    }
}
