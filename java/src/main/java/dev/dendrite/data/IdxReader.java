package dev.dendrite.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type byte, the number of
 * dimensions, each dimension as a big-endian 32-bit integer, then the values in row-major order.
 *
 * <p>Only type {@code 0x08} (unsigned byte) is supported, which is what every MNIST-style image and label
 * file uses; other types are rejected with an {@link IOException} that names the type. Files may be plain or
 * gzip-compressed; compression is recognised by the gzip magic bytes {@code 1f 8b}, not by the file name, so
 * a decompressed file that kept its {@code .gz} name still reads.
 *
 * <p>Every read is all-or-nothing: a bad header, a dimension that is zero or negative, fewer data bytes than the
 * header promises (a truncated download) or more (trailing garbage) is an {@link IOException} naming the file,
 * and no partial tensor is ever returned. (Bytes after the end of a gzip stream are ignored by the JDK's
 * decompressor; bytes after the IDX data inside the stream are detected.)
 */
public final class IdxReader {
    /** The IDX type byte for unsigned 8-bit values. */
    public static final int TYPE_UNSIGNED_BYTE = 0x08;

    /** Java arrays cannot be quite {@link Integer#MAX_VALUE} long on common VMs. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    private IdxReader() {
    }

    /**
     * Reads an unsigned-byte IDX file of any rank as a {@link ByteTensor} whose shape is the file's dimensions
     * (a 1-dimensional file becomes {@code [n, 1]}).
     *
     * @throws IOException if the file is missing, unreadable, not IDX, not type 0x08, truncated or too long
     */
    public static ByteTensor read(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads an unsigned-byte IDX stream (plain or gzip) of any rank. {@code name} identifies the stream in error
     * messages, e.g. a file or resource name. The stream is read to its end but not closed.
     */
    public static ByteTensor read(InputStream in, String name) throws IOException {
        Parsed p = parse(in, name);
        return ByteTensor.wrap(p.data, p.dims);
    }

    /**
     * Reads a 3-dimensional image file {@code [n, height, width]}, such as {@code train-images-idx3-ubyte}.
     *
     * @throws IOException as {@link #read(Path)}, or if the file does not have exactly 3 dimensions
     */
    public static ByteTensor readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readImages(in, file.toString());
        }
    }

    /** Reads a 3-dimensional image stream {@code [n, height, width]}; see {@link #read(InputStream, String)}. */
    public static ByteTensor readImages(InputStream in, String name) throws IOException {
        Parsed p = parse(in, name);
        if (p.dims.length != 3) {
            throw new IOException(name + " has " + p.dims.length + " dimension(s) " + Arrays.toString(p.dims)
                    + "; expected an image file with 3 dimensions [count, height, width]");
        }
        return ByteTensor.wrap(p.data, p.dims);
    }

    /**
     * Reads a 1-dimensional label file, such as {@code train-labels-idx1-ubyte}, as class indices 0..255.
     *
     * @throws IOException as {@link #read(Path)}, or if the file does not have exactly 1 dimension
     */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readLabels(in, file.toString());
        }
    }

    /** Reads a 1-dimensional label stream; see {@link #read(InputStream, String)}. */
    public static int[] readLabels(InputStream in, String name) throws IOException {
        Parsed p = parse(in, name);
        if (p.dims.length != 1) {
            throw new IOException(name + " has " + p.dims.length + " dimensions " + Arrays.toString(p.dims)
                    + "; expected a label file with 1 dimension [count]");
        }
        int[] labels = new int[p.data.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = p.data[i] & 0xff;
        }
        return labels;
    }

    private static InputStream open(Path file) throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new IOException("IDX file " + file + " does not exist", e);
        }
    }

    private record Parsed(int[] dims, byte[] data) {
    }

    private static Parsed parse(InputStream raw, String name) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        String what = gzip ? name + " (gzip)" : name;
        try {
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return parseIdx(in, what);
        } catch (EOFException | ZipException e) {
            // The JDK's messages ("Unexpected end of ZLIB input stream") do not say which file is damaged.
            String detail = e.getMessage() != null ? e.getMessage() : "unexpected end of the compressed data";
            throw new IOException(what + " is damaged or truncated (" + detail
                    + "); expected a complete IDX file (download or copy it again)", e);
        }
    }

    private static Parsed parseIdx(InputStream in, String name) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new IOException(name + " has only " + magic.length
                    + " byte(s); expected an IDX file starting with a 4-byte magic number 00 00 08 <ndims>");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IOException(name + " starts with bytes " + hex(magic)
                    + "; expected an IDX file starting with 00 00 08 <ndims>");
        }
        int type = magic[2] & 0xff;
        if (type != TYPE_UNSIGNED_BYTE) {
            throw new IOException(name + " has IDX type byte 0x" + String.format("%02x", type) + " ("
                    + typeName(type) + "); only type 0x08 (unsigned byte) is supported");
        }
        int ndims = magic[3] & 0xff;
        if (ndims == 0) {
            throw new IOException(name + " declares 0 dimensions; expected at least 1");
        }
        byte[] header = in.readNBytes(4 * ndims);
        if (header.length < 4 * ndims) {
            throw new IOException(name + " is truncated in its header: " + ndims + " dimensions need "
                    + (4 * ndims) + " bytes after the magic number, found " + header.length);
        }
        int[] dims = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++) {
            int d = ((header[4 * i] & 0xff) << 24) | ((header[4 * i + 1] & 0xff) << 16)
                    | ((header[4 * i + 2] & 0xff) << 8) | (header[4 * i + 3] & 0xff);
            if (d <= 0) {
                // Sizes above 2^31 read as negative; they could not be held in a Java array anyway.
                throw new IOException(name + " has dimension " + i + " of size " + Integer.toUnsignedString(d)
                        + "; expected a size between 1 and " + Integer.MAX_VALUE);
            }
            dims[i] = d;
            count *= d;
            if (count > MAX_VALUES) {
                throw new IOException(name + " declares dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + (i + 1 < ndims ? "..." : "") + " holding more than " + MAX_VALUES
                        + " values; expected a file that fits in one Java array");
            }
        }
        // readNBytes grows its buffer with the data actually present, so a corrupt header promising
        // gigabytes does not allocate them before the shortfall is noticed.
        byte[] data = in.readNBytes((int) count);
        if (data.length < count) {
            throw new IOException(name + " is truncated: its header " + Arrays.toString(dims) + " promises "
                    + count + " data bytes but only " + data.length + " follow");
        }
        long extra = in.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) {
            throw new IOException(name + " has " + extra + " unexpected trailing byte(s) after the " + count
                    + " data bytes its header " + Arrays.toString(dims) + " describes; expected the file to end");
        }
        return new Parsed(dims, data);
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0B -> "16-bit integer";
            case 0x0C -> "32-bit integer";
            case 0x0D -> "32-bit float";
            case 0x0E -> "64-bit float";
            default -> "not an IDX type";
        };
    }
}
