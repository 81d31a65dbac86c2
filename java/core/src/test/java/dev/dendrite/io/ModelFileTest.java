package dev.dendrite.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFileTest {
    @TempDir
    Path dir;

    static final String CONFIG = "{\"class_name\":\"Sequential\",\"layers\":[{\"class_name\":\"Dense\","
            + "\"config\":{\"name\":\"dense\",\"units\":2,\"activation\":\"relu\"}}],\"optimizer\":{\"lr\":0.001}}";

    static LinkedHashMap<String, TensorData> weights() {
        LinkedHashMap<String, TensorData> w = new LinkedHashMap<>();
        w.put(ModelFile.weightName("dense", "kernel"), new TensorData(new int[] {3, 2},
                new float[] {0.1f, -0.2f, 0.3f, -0f, Float.MIN_VALUE, 6}));
        w.put("dense/bias", new TensorData(new int[] {2}, new float[] {0.01f, -0.01f}));
        w.put("batch_normalization/gamma", new TensorData(new int[] {2}, new float[] {1, 1}));
        w.put("batch_normalization/beta", new TensorData(new int[] {2}, new float[] {0, 0}));
        w.put("batch_normalization/moving_mean", new TensorData(new int[] {2}, new float[] {0.5f, 0.25f}));
        w.put("batch_normalization/moving_variance", new TensorData(new int[] {2}, new float[] {2, 3}));
        return w;
    }

    @Test
    void roundTrip() throws IOException {
        Path f = dir.resolve("model.safetensors");
        LinkedHashMap<String, TensorData> w = weights();
        ModelFile.write(f, CONFIG, w);

        ModelFile.Contents c = ModelFile.read(f);
        assertEquals(CONFIG, c.configJson());
        assertEquals(w, c.weights());
        assertEquals(List.copyOf(w.keySet()), List.copyOf(c.weights().keySet()));
        assertEquals(Float.floatToRawIntBits(-0f),
                Float.floatToRawIntBits(c.weights().get("dense/kernel").get(3)));
        assertEquals(w, ModelFile.readWeights(f));
    }

    @Test
    void isAPlainSafetensorsFileWithTheDocumentedMetadata() throws IOException {
        Path f = dir.resolve("model.safetensors");
        ModelFile.write(f, CONFIG, weights());
        SafetensorsFile st = Safetensors.read(f);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("format", "dendrite-model");
        expected.put("format_version", "1");
        expected.put("dendrite_config", CONFIG);
        assertEquals(expected, st.metadata());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(st.metadata().keySet()));
        assertArrayEquals(new int[] {3, 2}, st.tensor("dense/kernel").shape());
    }

    @Test
    void aWeightsOnlyFileIsNotAModelButItsWeightsLoad() throws IOException {
        Path f = dir.resolve("weights.safetensors");
        Safetensors.write(f, weights(), Map.of("format", "pt"));
        IOException e = assertThrows(IOException.class, () -> ModelFile.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not a Dendrite model file"), e.getMessage());
        assertTrue(e.getMessage().contains("\"format\": \"pt\""), e.getMessage());
        assertTrue(e.getMessage().contains("readWeights"), e.getMessage());
        assertEquals(weights(), ModelFile.readWeights(f));

        Safetensors.write(f, weights(), null);
        e = assertThrows(IOException.class, () -> ModelFile.read(f));
        assertTrue(e.getMessage().contains("no \"format\" entry"), e.getMessage());
    }

    private Path withMetadata(String... kv) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            meta.put(kv[i], kv[i + 1]);
        }
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, weights(), meta);
        return f;
    }

    @Test
    void rejectsOtherVersionsAndBrokenConfigs() throws IOException {
        Path v2 = withMetadata("format", "dendrite-model", "format_version", "2", "dendrite_config", "{}");
        IOException e = assertThrows(IOException.class, () -> ModelFile.read(v2));
        assertTrue(e.getMessage().contains("format_version \"2\" is not supported; expected \"1\""), e.getMessage());

        Path noVersion = withMetadata("format", "dendrite-model", "dendrite_config", "{}");
        e = assertThrows(IOException.class, () -> ModelFile.read(noVersion));
        assertTrue(e.getMessage().contains("format_version is missing"), e.getMessage());

        Path noConfig = withMetadata("format", "dendrite-model", "format_version", "1");
        e = assertThrows(IOException.class, () -> ModelFile.read(noConfig));
        assertTrue(e.getMessage().contains("no \"dendrite_config\""), e.getMessage());

        Path badJson = withMetadata("format", "dendrite-model", "format_version", "1", "dendrite_config", "{\"a\":}");
        e = assertThrows(IOException.class, () -> ModelFile.read(badJson));
        assertTrue(e.getMessage().contains("\"dendrite_config\" metadata is not valid JSON: expected a JSON value"
                + " at offset 5, found '}'"), e.getMessage());

        Path notObject = withMetadata("format", "dendrite-model", "format_version", "1", "dendrite_config", "[]");
        e = assertThrows(IOException.class, () -> ModelFile.read(notObject));
        assertTrue(e.getMessage().contains("not a JSON object"), e.getMessage());
    }

    @Test
    void rejectsNonFloatWeights() throws IOException {
        Path f = dir.resolve("ints.safetensors");
        Map<String, StoredTensor> m = new LinkedHashMap<>();
        m.put("dense/kernel", StoredTensor.f32(new TensorData(new int[] {1}, new float[] {1})));
        m.put("step", StoredTensor.i32(new int[] {}, new int[] {5}));
        Safetensors.writeStored(f, m, Map.of("format", "dendrite-model", "format_version", "1",
                "dendrite_config", "{}"));
        IOException e = assertThrows(IOException.class, () -> ModelFile.read(f));
        assertEquals(f + ": tensor 'step' has dtype I32; expected F32 weights", e.getMessage());
        assertThrows(IOException.class, () -> ModelFile.readWeights(f));
    }

    @Test
    void invalidConfigIsRejectedBeforeWriting() throws IOException {
        Path f = dir.resolve("model.safetensors");
        ModelFile.write(f, CONFIG, weights());
        byte[] before = Files.readAllBytes(f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFile.write(f, "{\"a\":1", weights()));
        assertTrue(e.getMessage().contains("configJson is not valid JSON: expected ',' or '}' at offset 6"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelFile.write(f, "[1]", weights()));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("model.safetensors"), AtomicFilesTest.listing(dir));
    }

    @Test
    void corruptModelFilesGiveIOExceptions() throws IOException {
        Path f = dir.resolve("model.safetensors");
        ModelFile.write(f, CONFIG, weights());
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        IOException e = assertThrows(IOException.class, () -> ModelFile.read(f));
        assertTrue(e.getMessage().contains("batch_normalization/moving_variance"), e.getMessage());
    }

    @Test
    void weightNames() {
        assertEquals("dense_1/kernel", ModelFile.weightName("dense_1", "kernel"));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.weightName("", "kernel"));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.weightName("a/b", "kernel"));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.weightName("a", "k/x"));
        assertFalse(ModelFile.weightName("a", "bias").isEmpty());
    }
}
