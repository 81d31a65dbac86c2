package dev.dendrite.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** Test helper: writes IDX files byte by byte, so tests can also write deliberately broken ones. */
final class IdxFiles {
    private IdxFiles() {
    }

    /** A well-formed unsigned-byte IDX file with the given dimensions and data. */
    static byte[] idx(int[] dims, byte[] data) {
        return idx(0x08, dims, data);
    }

    /** An IDX file with any type byte (the data is written as given, whatever the type says). */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(type);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** Labels as a 1-dimensional IDX file. */
    static byte[] labels(int... labels) {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            data[i] = (byte) labels[i];
        }
        return idx(new int[] {labels.length}, data);
    }

    /** {@code n} images of {@code h x w} whose pixel {@code j} of image {@code i} is {@code (i * 7 + j) & 0xff}. */
    static byte[] images(int n, int h, int w) {
        byte[] data = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < h * w; j++) {
                data[i * h * w + j] = (byte) (i * 7 + j);
            }
        }
        return idx(new int[] {n, h, w}, data);
    }

    /** Gzip-compresses with maximum compression; Java writes a fixed header, so the output is reproducible. */
    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(buf) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return buf.toByteArray();
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, bytes);
    }

    /**
     * Writes a complete small dataset (train: {@code nTrain} images, test: {@code nTest}, 28 x 28, labels
     * {@code i % 10}) into {@code dir} under the standard names, gzip-compressed or not.
     */
    static void writeDataset(Path dir, int nTrain, int nTest, boolean gz) throws IOException {
        String ext = gz ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + ext), maybeGzip(images(nTrain, 28, 28), gz));
        write(dir.resolve("train-labels-idx1-ubyte" + ext), maybeGzip(labels(cycle(nTrain)), gz));
        write(dir.resolve("t10k-images-idx3-ubyte" + ext), maybeGzip(images(nTest, 28, 28), gz));
        write(dir.resolve("t10k-labels-idx1-ubyte" + ext), maybeGzip(labels(cycle(nTest)), gz));
    }

    private static byte[] maybeGzip(byte[] b, boolean gz) {
        return gz ? gzip(b) : b;
    }

    private static int[] cycle(int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
        }
        return y;
    }
}
