package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.dendrite.keras.KerasFixtures;

/**
 * Dendrite's TensorBoard events, byte for byte as TensorBoard's own Python classes encode and frame them: the
 * fixture {@code tensorboard-events.json} was written by {@code bench/tensorboard/events_fixture.py} (TensorBoard
 * 2.21's protocol buffers and RecordWriter). Equal bytes mean the field numbers, wire types, proto3's left-out zeros,
 * the packed histogram buckets and the masked CRC32C are all TensorBoard's.
 */
class EventFileTest {
    @SuppressWarnings("unchecked")
    @Test
    void eachEventIsTheRecordTensorBoardWrites() throws IOException {
        Map<String, Object> fixture = KerasFixtures.load(EventFileTest.class, "tensorboard-events.json",
                "bench/tensorboard/events_fixture.py");
        List<Object> cases = (List<Object>) fixture.get("cases");
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            double wall = ((Number) c.get("wall_time")).doubleValue();
            String kind = (String) c.get("kind");
            byte[] event = switch (kind) {
                case "file_version" -> EventFile.fileVersionEvent(wall);
                case "scalar" -> EventFile.scalarEvent(wall, ((Number) c.get("step")).longValue(),
                        (String) c.get("tag"), ((Number) c.get("value")).floatValue());
                case "histogram" -> EventFile.histogramEvent(wall, ((Number) c.get("step")).longValue(),
                        (String) c.get("tag"), EventFile.histogramProto(values((List<Object>) c.get("values"))));
                default -> throw new IllegalStateException(kind);
            };
            assertEquals(c.get("record"), HexFormat.of().formatHex(EventFile.record(event)), kind + " " + c.get("tag"));
        }
        assertEquals(6, cases.size());
    }

    private static float[] values(List<Object> values) {
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i) == null ? Float.NaN : ((Number) values.get(i)).floatValue();
        }
        return v;
    }
}
