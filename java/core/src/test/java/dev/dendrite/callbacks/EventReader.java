package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a TensorBoard event file back for the tests, apart from the writer's code: the TFRecord framing (each
 * record's CRCs checked with the fixture-checked {@link EventFile#maskedCrc}) and the few Event fields the writer
 * uses, decoded by a protocol-buffer reader of its own that skips unknown fields as protobuf does.
 */
final class EventReader {
    /** One event: its step and, for a summary, its tag and simple value or histogram count (else NaN). */
    record Event(long step, String fileVersion, String tag, float value, double histogramCount) {
    }

    private EventReader() {
    }

    static List<Event> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] header = new byte[8];
            b.get(header);
            assertEquals(EventFile.maskedCrc(header, 0, 8), b.getInt(), "length CRC of record " + events.size());
            byte[] data = new byte[Math.toIntExact(ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong())];
            b.get(data);
            assertEquals(EventFile.maskedCrc(data, 0, data.length), b.getInt(), "data CRC of record " + events.size());
            events.add(event(data));
        }
        return events;
    }

    private static Event event(byte[] data) {
        long step = 0;
        String version = null;
        String tag = null;
        float value = Float.NaN;
        double count = Double.NaN;
        for (Field f : fields(data)) {
            if (f.number == 2) {
                step = f.varint;
            } else if (f.number == 3) {
                version = new String(f.bytes, StandardCharsets.UTF_8);
            } else if (f.number == 5) { // Summary: one Value
                for (Field v : fields(fields(f.bytes).get(0).bytes)) {
                    if (v.number == 1) {
                        tag = new String(v.bytes, StandardCharsets.UTF_8);
                    } else if (v.number == 2) {
                        value = Float.intBitsToFloat((int) v.varint);
                    } else if (v.number == 5) {
                        count = 0;
                        for (Field h : fields(v.bytes)) {
                            if (h.number == 3) {
                                count = Double.longBitsToDouble(h.varint);
                            }
                        }
                    }
                }
            }
        }
        return new Event(step, version, tag, value, count);
    }

    /** A field: its number and its value (varint and fixed kinds in {@code varint}, length-delimited in bytes). */
    private record Field(int number, long varint, byte[] bytes) {
    }

    private static List<Field> fields(byte[] data) {
        List<Field> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            long key = varint(b);
            int number = (int) (key >>> 3);
            switch ((int) (key & 7)) {
                case 0 -> out.add(new Field(number, varint(b), null));
                case 1 -> out.add(new Field(number, b.getLong(), null));
                case 5 -> out.add(new Field(number, b.getInt() & 0xFFFFFFFFL, null));
                case 2 -> {
                    byte[] bytes = new byte[Math.toIntExact(varint(b))];
                    b.get(bytes);
                    out.add(new Field(number, 0, bytes));
                }
                default -> throw new IllegalStateException("wire type " + (key & 7));
            }
        }
        return out;
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b.get() & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if (x < 0x80) {
                return v;
            }
        }
    }
}
