package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The bundled sample is exactly what {@link FashionMnistSampleBuilder}'s documented rule selects. */
class FashionMnistSampleTest {
    @Test
    void selectionRule() {
        int[] labels = {3, 1, 3, 3, 0, 1, 2, 2, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9};
        // First 2 per class, in file order: class 3 keeps rows 0 and 2 (not 3 or 17), classes 1 and 2 skip
        // rows 15 and 16, and class 9 keeps 13 and 23 (not 24).
        assertArrayEquals(new int[] {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18, 19, 20, 21, 22, 23},
                FashionMnistSampleBuilder.select(labels, 2));
    }

    @Test
    void bundledFilesMatchTheRuleAppliedToTheFullDataset() throws IOException {
        Path full = Path.of(FashionMnist.SYSTEM_DIR);
        Assumptions.assumeTrue(Files.isDirectory(full),
                "the full Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed, so the sample"
                        + " cannot be checked against it");
        byte[][] rebuilt = FashionMnistSampleBuilder.build(full);
        for (int i = 0; i < rebuilt.length; i++) {
            String resource = FashionMnist.SAMPLE_RESOURCE_DIR + IdxDatasetFinder.FILES[i] + ".gz";
            byte[] bundled;
            try (InputStream in = FashionMnistSampleTest.class.getResourceAsStream(resource)) {
                bundled = gunzip(in);
            }
            // Compare decompressed contents: the gzip bytes could differ between zlib versions.
            byte[] expected = rebuilt[i];
            assertEquals(expected.length, bundled.length, resource);
            assertArrayEquals(expected, bundled, resource);
        }
    }

    private static byte[] gunzip(InputStream in) throws IOException {
        try (GZIPInputStream gz = new GZIPInputStream(in)) {
            return gz.readAllBytes();
        }
    }
}
