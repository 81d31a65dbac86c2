package dev.dendrite.data;

import static dev.dendrite.testing.Bounded.mentions;
import static dev.dendrite.testing.Bounded.rejects;
import static dev.dendrite.testing.Bounded.withProperty;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.io.ReadLimits;

/** Hostile IDX files, generated here: each must fail fast, in little memory, naming the file, value and limit. */
class IdxReaderLimitsTest {
    private static final long MB = 1 << 20;

    @TempDir
    Path tmp;

    /** An IDX header for {@code dims}, followed by {@code zeros} zero bytes, gzip-compressed as it is streamed. */
    private static byte[] gzipBomb(int[] dims, long zeros) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(buf, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(IdxFiles.idx(dims, new byte[0]));
            byte[] block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.length) {
                gz.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        return buf.toByteArray();
    }

    @Test
    void gzipHeaderClaimingFarMoreThanTheFileCanInflateToIsRejectedBeforeAllocating() throws IOException {
        // 1000 x 1000 x 1000 = 1e9 bytes (under the 1 GiB limit) from a file of a few dozen bytes.
        Path p = IdxFiles.write(tmp.resolve("liar.gz"), gzipBomb(new int[] {1000, 1000, 1000}, 0));
        IOException e = rejects(IOException.class, 8 * MB, () -> IdxReader.readImages(p));
        mentions(e, p.toString(), "1000000000 data bytes", "inflate to at most");
    }

    @Test
    void plainHeaderClaimingMoreThanTheFileHoldsIsRejectedBeforeAllocating() throws IOException {
        Path p = IdxFiles.write(tmp.resolve("liar"), IdxFiles.idx(new int[] {1000, 1000, 1000}, new byte[10]));
        IOException e = rejects(IOException.class, 8 * MB, () -> IdxReader.readImages(p));
        mentions(e, p.toString(), "truncated", "1000000000 data bytes", "only 10");
    }

    @Test
    void headerAboveTheLimitIsRejectedNamingTheProperty() throws IOException {
        // 3 x 20000 x 20000 = 1.2e9 bytes: more than the default 1 GiB, whatever the file holds.
        Path p = IdxFiles.write(tmp.resolve("huge"), IdxFiles.idx(new int[] {3, 20000, 20000}, new byte[0]));
        IOException e = rejects(IOException.class, 8 * MB, () -> IdxReader.readImages(p));
        mentions(e, p.toString(), "1200000000 data bytes", "at most 1073741824", ReadLimits.MAX_IDX_BYTES);
    }

    @Test
    void aRealGzipBombAboveARaisedOrLoweredLimitStopsBeforeInflating() throws Throwable {
        // 64 MB of zeros in about 64 KB: within the ratio deflate allows, so only the limit stops it.
        byte[] bomb = gzipBomb(new int[] {64, 1024, 1024}, 64 * MB);
        Path p = IdxFiles.write(tmp.resolve("bomb.gz"), bomb);
        withProperty(ReadLimits.MAX_IDX_BYTES, "1000000", () -> {
            IOException e = rejects(IOException.class, 8 * MB, () -> IdxReader.readImages(p));
            mentions(e, p.toString(), "67108864 data bytes", "at most 1000000", ReadLimits.MAX_IDX_BYTES);
        });
        // Raised (default), the same file is a valid dataset of zeros and reads.
        assertEquals(64, IdxReader.readImages(p).rows());
    }

    @Test
    void aBombHiddenAfterValidDataIsNotInflatedToItsEnd() throws IOException {
        // Three valid label bytes, then 512 MB of zeros inside the same gzip stream (about 500 KB on disk).
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(buf, 1 << 16)) {
            gz.write(IdxFiles.labels(1, 2, 3));
            byte[] block = new byte[1 << 20];
            for (int i = 0; i < 512; i++) {
                gz.write(block);
            }
        }
        Path p = IdxFiles.write(tmp.resolve("tail.gz"), buf.toByteArray());
        IOException e = rejects(IOException.class, 16 * MB, () -> IdxReader.readLabels(p));
        mentions(e, p.toString(), "more than 1048576 unexpected trailing byte(s)");
    }

    @Test
    void streamsWithALyingHeaderGrowOnlyWithTheDataPresent() throws IOException {
        // No size is known for a stream: the array must grow with the bytes that arrive, not with the claim.
        byte[] file = IdxFiles.idx(new int[] {1000, 1000, 1000}, new byte[5000]);
        IOException e = rejects(IOException.class, 16 * MB,
                () -> IdxReader.readImages(new ByteArrayInputStream(file), "stream.idx"));
        mentions(e, "stream.idx", "truncated", "only 5000");
    }

    @Test
    void aBadLimitValueIsNamed() throws Throwable {
        Path p = IdxFiles.write(tmp.resolve("ok"), IdxFiles.labels(1, 2));
        withProperty(ReadLimits.MAX_IDX_BYTES, "lots", () -> {
            IllegalArgumentException e = rejects(IllegalArgumentException.class, 8 * MB,
                    () -> IdxReader.readLabels(p));
            mentions(e, ReadLimits.MAX_IDX_BYTES + "=lots", "positive whole number");
        });
        assertEquals(2, IdxReader.readLabels(p).length);
        Files.delete(p);
    }
}
