package dev.dendrite.callbacks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * One TensorBoard event file, as {@code tf.summary} and PyTorch's {@code SummaryWriter} write it: a sequence of
 * TFRecords (a little-endian uint64 length, the masked CRC32C of those 8 bytes, the bytes, their masked CRC32C),
 * each holding one serialized {@code tensorflow.Event} protocol buffer. The first event names the format
 * ({@code file_version "brain.Event:2"}); the others hold a {@code Summary} with one scalar ({@code simple_value})
 * or one {@code HistogramProto}, which TensorBoard's scalar and histogram dashboards read. The protocol buffers are
 * encoded here (a few fields of {@code event.proto}, {@code summary.proto} and {@code histogram.proto}, proto3, in
 * field order, zero values left out except in a {@code oneof}) rather than through a protobuf dependency;
 * {@code EventFileTest} checks the bytes against those TensorBoard's own Python writer makes.
 */
final class EventFile implements AutoCloseable {
    /** TF2's default bucket count for {@code tf.summary.histogram}. */
    static final int HISTOGRAM_BUCKETS = 30;
    private static final AtomicInteger FILES = new AtomicInteger();

    private final Path path;
    private final OutputStream out;

    private EventFile(Path path, OutputStream out) {
        this.path = path;
        this.out = out;
    }

    /**
     * A new event file in {@code dir} (made if missing), named as TF2 names them
     * ({@code events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2}, unique within this process), that starts with the
     * file-version event.
     */
    static EventFile create(Path dir) throws IOException {
        Files.createDirectories(dir);
        double now = System.currentTimeMillis() / 1000.0;
        String name = "events.out.tfevents." + (long) now + "." + host() + "." + ProcessHandle.current().pid() + "."
                + FILES.incrementAndGet() + ".v2";
        Path path = dir.resolve(name);
        EventFile f = new EventFile(path, Files.newOutputStream(path, StandardOpenOption.CREATE_NEW));
        try {
            f.out.write(record(fileVersionEvent(now)));
            f.out.flush();
        } catch (IOException e) {
            f.close();
            throw e;
        }
        return f;
    }

    /**
     * The machine's name for the file name, as Python's {@code socket.gethostname()} gives it: read without a network
     * lookup (which {@code InetAddress.getLocalHost()} may make, and wait for, on a machine without DNS).
     */
    private static String host() {
        String name = null;
        try {
            name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(); // Linux
        } catch (IOException | RuntimeException e) {
            name = System.getenv(System.getProperty("os.name", "").startsWith("Windows") ? "COMPUTERNAME"
                    : "HOSTNAME");
        }
        return name == null || name.isEmpty() ? "localhost" : name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    Path path() {
        return path;
    }

    /** Appends scalar {@code tag} at {@code step}. */
    void scalar(String tag, long step, double value) throws IOException {
        out.write(record(scalarEvent(System.currentTimeMillis() / 1000.0, step, tag, (float) value)));
    }

    /** Appends the histogram of {@code values} (their finite ones) as {@code tag} at {@code step}; none: nothing. */
    void histogram(String tag, long step, float[] values) throws IOException {
        byte[] histo = histogramProto(values);
        if (histo != null) {
            out.write(record(histogramEvent(System.currentTimeMillis() / 1000.0, step, tag, histo)));
        }
    }

    /** Writes what is buffered, so that a running TensorBoard sees it. */
    void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    // ------------------------------------------------------------------ encoding

    /** {@code data} framed as one TFRecord. */
    static byte[] record(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(data.length);
        b.putInt(maskedCrc(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc(data, 0, data.length));
        return b.array();
    }

    /** TFRecord's masked CRC32C: the CRC rotated right by 15 bits plus a constant, so CRCs of CRCs stay apart. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** {@code Event {wall_time, file_version: "brain.Event:2"}}. */
    static byte[] fileVersionEvent(double wallTime) {
        Proto e = new Proto();
        e.doubleField(1, wallTime);
        e.bytesField(3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        return e.bytes();
    }

    /** {@code Event {wall_time, step, summary {value {tag, simple_value}}}}. */
    static byte[] scalarEvent(double wallTime, long step, String tag, float value) {
        Proto v = new Proto();
        v.bytesField(1, tag.getBytes(StandardCharsets.UTF_8));
        v.oneofFloatField(2, value); // simple_value is in Value's oneof: a loss of 0 is kept
        return summaryEvent(wallTime, step, v);
    }

    /** {@code Event {wall_time, step, summary {value {tag, histo}}}}, {@code histo} a serialized HistogramProto. */
    static byte[] histogramEvent(double wallTime, long step, String tag, byte[] histo) {
        Proto v = new Proto();
        v.bytesField(1, tag.getBytes(StandardCharsets.UTF_8));
        v.bytesField(5, histo);
        return summaryEvent(wallTime, step, v);
    }

    private static byte[] summaryEvent(double wallTime, long step, Proto value) {
        Proto summary = new Proto();
        summary.bytesField(1, value.bytes());
        Proto e = new Proto();
        e.doubleField(1, wallTime);
        e.varintField(2, step);
        e.bytesField(5, summary.bytes());
        return e.bytes();
    }

    /**
     * A HistogramProto of the finite {@code values} (null when there are none): min, max, count, sum, sum of squares,
     * and {@link #HISTOGRAM_BUCKETS} buckets of equal width from min to max (one when all values are equal), each
     * given by its right edge, as TensorBoard reads them (the first bucket's left edge is min).
     */
    static byte[] histogramProto(float[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sumSquares = 0;
        int n = 0;
        for (float v : values) {
            if (Float.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
                sumSquares += (double) v * v;
                n++;
            }
        }
        if (n == 0) {
            return null;
        }
        int k = max > min ? HISTOGRAM_BUCKETS : 1;
        double width = (max - min) / k;
        double[] limits = new double[k];
        double[] counts = new double[k];
        for (int i = 0; i < k; i++) {
            limits[i] = i == k - 1 ? max : min + width * (i + 1);
        }
        for (float v : values) {
            if (Float.isFinite(v)) {
                int i = k == 1 ? 0 : (int) Math.min(k - 1, Math.floor((v - min) / width));
                counts[i]++;
            }
        }
        Proto h = new Proto();
        h.doubleField(1, min);
        h.doubleField(2, max);
        h.doubleField(3, n);
        h.doubleField(4, sum);
        h.doubleField(5, sumSquares);
        h.packedDoubles(6, limits);
        h.packedDoubles(7, counts);
        return h.bytes();
    }

    /**
     * The few protocol-buffer encodings the events need; proto3: a field holding its zero value is left out, unless
     * it belongs to a {@code oneof}.
     */
    private static final class Proto {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        void varintField(int field, long v) {
            if (v != 0) {
                varint((long) field << 3);
                varint(v);
            }
        }

        void doubleField(int field, double v) {
            long bits = Double.doubleToRawLongBits(v);
            if (bits != 0) {
                varint((long) field << 3 | 1);
                fixed(bits, 8);
            }
        }

        /** A float of a {@code oneof}, which has presence: written even when it is 0. */
        void oneofFloatField(int field, float v) {
            varint((long) field << 3 | 5);
            fixed(Float.floatToRawIntBits(v), 4);
        }

        void bytesField(int field, byte[] v) {
            if (v.length > 0) {
                varint((long) field << 3 | 2);
                varint(v.length);
                b.writeBytes(v);
            }
        }

        void packedDoubles(int field, double[] v) {
            if (v.length > 0) {
                varint((long) field << 3 | 2);
                varint(8L * v.length);
                for (double d : v) {
                    fixed(Double.doubleToRawLongBits(d), 8);
                }
            }
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                b.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b.write((int) v);
        }

        private void fixed(long bits, int bytes) {
            for (int i = 0; i < bytes; i++) {
                b.write((int) (bits >>> (8 * i)) & 0xFF);
            }
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
