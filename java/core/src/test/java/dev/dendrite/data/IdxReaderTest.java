package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
    @TempDir
    Path tmp;

    private static byte[] pixels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37 + 3); // covers values above 127, which must read as unsigned
        }
        return b;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void imagesRoundTripPlainAndGzip(boolean gz) throws IOException {
        byte[] data = pixels(3 * 4 * 5);
        byte[] file = IdxFiles.idx(new int[] {3, 4, 5}, data);
        Path p = IdxFiles.write(tmp.resolve("imgs"), gz ? IdxFiles.gzip(file) : file);

        ByteTensor t = IdxReader.readImages(p);

        assertEquals(3, t.rows());
        assertArrayEquals(new int[] {4, 5}, t.sampleShape());
        for (int r = 0; r < 3; r++) {
            for (int f = 0; f < 20; f++) {
                assertEquals(data[r * 20 + f] & 0xff, t.pixel(r, f), "row " + r + " feature " + f);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void labelsRoundTripPlainAndGzip(boolean gz) throws IOException {
        byte[] file = IdxFiles.labels(0, 9, 255, 128, 3);
        Path p = IdxFiles.write(tmp.resolve("labels.gz"), gz ? IdxFiles.gzip(file) : file);
        assertArrayEquals(new int[] {0, 9, 255, 128, 3}, IdxReader.readLabels(p));
    }

    @Test
    void gzipIsDetectedByContentNotName() throws IOException {
        byte[] file = IdxFiles.labels(1, 2, 3);
        Path gzNoExt = IdxFiles.write(tmp.resolve("plain-name"), IdxFiles.gzip(file));
        Path plainWithGz = IdxFiles.write(tmp.resolve("named.gz"), file);
        assertArrayEquals(new int[] {1, 2, 3}, IdxReader.readLabels(gzNoExt));
        assertArrayEquals(new int[] {1, 2, 3}, IdxReader.readLabels(plainWithGz));
    }

    @Test
    void readsFromStream() throws IOException {
        byte[] file = IdxFiles.gzip(IdxFiles.idx(new int[] {2, 2, 2}, pixels(8)));
        ByteTensor t = IdxReader.readImages(new ByteArrayInputStream(file), "resource x");
        assertEquals(2, t.rows());
        assertEquals(pixels(8)[7] & 0xff, t.pixel(1, 3));
    }

    @Test
    void anyRankWithRead() throws IOException {
        Path p = IdxFiles.write(tmp.resolve("r4"), IdxFiles.idx(new int[] {2, 1, 3, 2}, pixels(12)));
        ByteTensor t = IdxReader.read(p);
        assertArrayEquals(new int[] {1, 3, 2}, t.sampleShape());
        assertEquals(2, t.rows());
    }

    private IOException fails(byte[] content, boolean labels) throws IOException {
        Path p = IdxFiles.write(tmp.resolve("bad-file"), content);
        return assertThrows(IOException.class, () -> {
            if (labels) {
                IdxReader.readLabels(p);
            } else {
                IdxReader.readImages(p);
            }
        });
    }

    private static void assertMentions(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] file = IdxFiles.idx(new int[] {2}, new byte[2]);
        file[1] = 0x01;
        assertMentions(fails(file, true), "bad-file", "00 01 08 01", "expected an IDX file");
        // A PNG, say, is not IDX either.
        assertMentions(fails(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}, false), "89 50 4e 47");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07})
    void wrongTypeByte(int type) throws IOException {
        IOException e = fails(IdxFiles.idx(type, new int[] {2, 2, 2}, new byte[8 * 8]), false);
        assertMentions(e, "bad-file", String.format("0x%02x", type), "only type 0x08");
    }

    @Test
    void wrongNumberOfDimensions() throws IOException {
        // Images must be [n, h, w]; labels [n].
        assertMentions(fails(IdxFiles.idx(new int[] {4, 4}, new byte[16]), false), "2 dimension",
                "expected an image file with 3 dimensions");
        assertMentions(fails(IdxFiles.idx(new int[] {2, 2, 2}, new byte[8]), true), "3 dimensions",
                "expected a label file with 1 dimension");
        assertMentions(fails(IdxFiles.idx(new int[] {}, new byte[0]), true), "0 dimensions");
    }

    @Test
    void badDimensionSizes() throws IOException {
        assertMentions(fails(IdxFiles.idx(new int[] {3, 0, 4}, new byte[0]), false), "dimension 1 of size 0");
        assertMentions(fails(IdxFiles.idx(new int[] {0xFFFF_FFFF}, new byte[0]), true), "4294967295");
        // Each size is fine but their product cannot fit one array: rejected before any allocation.
        assertMentions(fails(IdxFiles.idx(new int[] {70000, 70000, 28}, new byte[0]), false),
                "more than", "values");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] file = IdxFiles.idx(new int[] {2, 3, 4}, new byte[24]);
        assertMentions(fails(Arrays.copyOf(file, 9), false), "truncated in its header", "12 bytes", "found 5");
        assertMentions(fails(new byte[] {0, 0}, false), "only 2 byte(s)");
        assertMentions(fails(new byte[0], false), "only 0 byte(s)");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void truncatedData(boolean gz) throws IOException {
        byte[] file = IdxFiles.idx(new int[] {2, 3, 4}, pixels(24));
        byte[] cut = Arrays.copyOf(file, file.length - 5);
        IOException e = fails(gz ? IdxFiles.gzip(cut) : cut, false);
        assertMentions(e, "bad-file", "truncated", "24 data bytes", "only 19");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void trailingBytes(boolean gz) throws IOException {
        byte[] file = IdxFiles.idx(new int[] {3}, new byte[] {1, 2, 3});
        byte[] longer = Arrays.copyOf(file, file.length + 4);
        IOException e = fails(gz ? IdxFiles.gzip(longer) : longer, true);
        assertMentions(e, "bad-file", "4 unexpected trailing byte(s)", "3 data bytes");
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {50, 28, 28}, pixels(50 * 784)));
        for (int keep : new int[] {gz.length - 4, gz.length / 2, 12}) {
            IOException e = fails(Arrays.copyOf(gz, keep), false);
            assertMentions(e, "bad-file", "gzip", "damaged or truncated");
            assertTrue(!e.getMessage().contains("null"), e.getMessage());
        }
    }

    @Test
    void corruptGzipStream() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {50, 28, 28}, pixels(50 * 784)));
        gz[gz.length / 2] ^= 0x5a;
        gz[gz.length / 2 + 1] ^= 0x33;
        // Either the deflate data or the CRC check catches it; in both cases no tensor comes back.
        assertMentions(fails(gz, false), "bad-file");
    }

    @Test
    void missingFileNamesIt() {
        Path p = tmp.resolve("nope-idx3-ubyte");
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(p));
        assertMentions(e, p.toString(), "does not exist");
    }
}
