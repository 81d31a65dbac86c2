package dev.dendrite.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import dev.dendrite.io.ReadLimits;

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
 *
 * <p>Work is bounded by the file, not by what its header claims: the declared data may be at most
 * {@link ReadLimits#maxIdxBytes()} bytes; a plain file must hold what its header declares and a gzip file must
 * be large enough to inflate to it (deflate expands at most about 1032-fold), both checked before anything is
 * allocated; the data array grows only as bytes actually arrive; and trailing bytes are counted only up to
 * {@value #TRAILING_COUNT_LIMIT}, so a bomb hidden after valid data is not inflated to its end.
 */
public final class IdxReader {
    /** The IDX type byte for unsigned 8-bit values. */
    public static final int TYPE_UNSIGNED_BYTE = 0x08;

    /** Java arrays cannot be quite {@link Integer#MAX_VALUE} long on common VMs. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;
    /** Deflate's largest expansion: a 258-byte match per (at best) 2 bits, about 1032:1, rounded up. */
    private static final long MAX_DEFLATE_RATIO = 1040;
    /** Gzip's fixed header and trailer bytes, which inflate to nothing. */
    private static final long GZIP_OVERHEAD = 18;
    /** Trailing bytes beyond this are not counted (or inflated): the message says "more than". */
    static final int TRAILING_COUNT_LIMIT = 1 << 20;
    /** First allocation for the data; it doubles as real bytes arrive. */
    private static final int INITIAL_CHUNK = 1 << 20;

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
            Parsed p = parse(in, file.toString(), Files.size(file));
            return ByteTensor.wrap(p.data, p.dims);
        }
    }

    /**
     * Reads an unsigned-byte IDX stream (plain or gzip) of any rank. {@code name} identifies the stream in error
     * messages, e.g. a file or resource name. The stream is read to its end but not closed.
     */
    public static ByteTensor read(InputStream in, String name) throws IOException {
        Parsed p = parse(in, name, -1);
        return ByteTensor.wrap(p.data, p.dims);
    }

    /**
     * Reads a 3-dimensional image file {@code [n, height, width]}, such as {@code train-images-idx3-ubyte}.
     *
     * @throws IOException as {@link #read(Path)}, or if the file does not have exactly 3 dimensions
     */
    public static ByteTensor readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return images(parse(in, file.toString(), Files.size(file)), file.toString());
        }
    }

    /** Reads a 3-dimensional image stream {@code [n, height, width]}; see {@link #read(InputStream, String)}. */
    public static ByteTensor readImages(InputStream in, String name) throws IOException {
        return images(parse(in, name, -1), name);
    }

    private static ByteTensor images(Parsed p, String name) throws IOException {
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
            return labels(parse(in, file.toString(), Files.size(file)), file.toString());
        }
    }

    /** Reads a 1-dimensional label stream; see {@link #read(InputStream, String)}. */
    public static int[] readLabels(InputStream in, String name) throws IOException {
        return labels(parse(in, name, -1), name);
    }

    private static int[] labels(Parsed p, String name) throws IOException {
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

    /** @param size the stored (possibly compressed) size in bytes, or -1 when unknown (a stream) */
    private static Parsed parse(InputStream raw, String name, long size) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        String what = gzip ? name + " (gzip)" : name;
        try {
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return parseIdx(in, what, gzip, size);
        } catch (EOFException | ZipException e) {
            // The JDK's messages ("Unexpected end of ZLIB input stream") do not say which file is damaged.
            String detail = e.getMessage() != null ? e.getMessage() : "unexpected end of the compressed data";
            throw new IOException(what + " is damaged or truncated (" + detail
                    + "); expected a complete IDX file (download or copy it again)", e);
        }
    }

    private static Parsed parseIdx(InputStream in, String name, boolean gzip, long size) throws IOException {
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
        long limit = ReadLimits.maxIdxBytes();
        if (count > limit) {
            throw new IOException(name + " declares dimensions " + Arrays.toString(dims) + " holding " + count
                    + " data bytes; expected at most " + limit + " (" + ReadLimits.howToRaise(ReadLimits.MAX_IDX_BYTES)
                    + ")");
        }
        long headerBytes = 4 + 4L * ndims;
        if (size >= 0 && !gzip && headerBytes + count > size) {
            throw new IOException(name + " is truncated: its header " + Arrays.toString(dims) + " promises "
                    + count + " data bytes but only " + Math.max(0, size - headerBytes) + " follow");
        }
        if (size >= 0 && gzip && (headerBytes + count) > Math.max(0, size - GZIP_OVERHEAD) * MAX_DEFLATE_RATIO) {
            throw new IOException(name + " declares dimensions " + Arrays.toString(dims) + " holding " + count
                    + " data bytes, but " + size + " compressed bytes inflate to at most "
                    + Math.max(0, size - GZIP_OVERHEAD) * MAX_DEFLATE_RATIO + "; expected a header that matches"
                    + " the file (damaged or crafted)");
        }
        byte[] data = readUpTo(in, (int) count);
        if (data.length < count) {
            throw new IOException(name + " is truncated: its header " + Arrays.toString(dims) + " promises "
                    + count + " data bytes but only " + data.length + " follow");
        }
        long extra = countRemaining(in, TRAILING_COUNT_LIMIT + 1L);
        if (extra > 0) {
            throw new IOException(name + " has " + (extra > TRAILING_COUNT_LIMIT ? "more than "
                    + TRAILING_COUNT_LIMIT : extra) + " unexpected trailing byte(s) after the " + count
                    + " data bytes its header " + Arrays.toString(dims) + " describes; expected the file to end");
        }
        return new Parsed(dims, data);
    }

    /**
     * Reads {@code count} bytes or until the stream ends, growing the array as bytes arrive (from 1 MiB,
     * doubling), so a header that lies about the size costs no more memory than the data really present.
     */
    private static byte[] readUpTo(InputStream in, int count) throws IOException {
        byte[] buf = new byte[Math.min(count, INITIAL_CHUNK)];
        int n = 0;
        while (n < count) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(count, 2L * buf.length));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return Arrays.copyOf(buf, n);
            }
            n += r;
        }
        return buf;
    }

    /** Counts the bytes left in {@code in}, reading at most {@code max} of them. */
    private static long countRemaining(InputStream in, long max) throws IOException {
        byte[] skip = new byte[8192];
        long total = 0;
        while (total < max) {
            int r = in.read(skip, 0, (int) Math.min(skip.length, max - total));
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
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
