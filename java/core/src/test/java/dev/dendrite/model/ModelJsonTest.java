package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;

/**
 * {@link Sequential#toJson} and {@link Sequential#fromJson}, Keras's {@code model.to_json()} and
 * {@code keras.models.model_from_json}, against Keras 3 itself: {@code keras-model-json.json}, written by
 * {@code bench/keras/model_json_fixture.py} (Keras 3.15 on JAX), holds a course model's JSON as Keras wrote it,
 * compiled and not. Read here, it must give Keras's layers, names and parameter count, and be compiled as Keras's
 * {@code model_from_json} compiles it; written back, every setting Dendrite writes must be Keras's own value (the
 * writer leaves some of Keras's defaults out, which Keras fills in when it reads them). That Keras's
 * {@code model_from_json} reads what {@code toJson} writes was checked in Keras itself
 * ({@code bench/keras/model_json_check.py}, see the README).
 */
class ModelJsonTest extends CpuModelTestBase {
    private static Map<String, Object> fixture() throws IOException {
        return KerasFixtures.load(ModelJsonTest.class, "keras-model-json.json", "bench/keras/model_json_fixture.py");
    }

    @Test
    void readsKerasJsonAsModelFromJsonDoes() throws IOException {
        Map<String, Object> f = fixture();
        try (Sequential compiled = Sequential.fromJson((String) f.get("compiled"), cpu);
             Sequential plain = Sequential.fromJson((String) f.get("uncompiled"), cpu)) {
            List<String> names = new ArrayList<>();
            for (Layer l : compiled.layers()) {
                if (!(l instanceof Input)) {
                    names.add(l.name());
                }
            }
            assertEquals(f.get("layer_names"), names);
            assertEquals(((Number) f.get("params")).longValue(),
                    compiled.trainableParams() + compiled.nonTrainableParams());
            assertEquals("course", compiled.name());
            assertEquals("nadam", compiled.optimizer().name());
            assertEquals(1e-3f, (float) compiled.optimizer().learningRate()); // Keras wrote float32's 0.001
            assertEquals("sparse_categorical_crossentropy", compiled.loss().name());
            assertEquals(List.of("accuracy"), compiled.metricSpecs());
            assertNull(plain.optimizer(), "no compile configuration: not compiled, as in Keras");
            // Trainable at once, on Fashion-MNIST-shaped data.
            Tensor x = images(64, 3);
            int[] y = new int[64];
            compiled.fit(x, y, new FitOptions().epochs(1).verbose(0));
        }
    }

    /** Every value Dendrite writes for a layer or the compile configuration is the one Keras wrote. */
    @SuppressWarnings("unchecked")
    @Test
    void writesWhatKerasWrote() throws IOException {
        String keras = (String) fixture().get("compiled");
        try (Sequential m = Sequential.fromJson(keras, cpu)) {
            Map<String, Object> ours = (Map<String, Object>) Json.parse(m.toJson());
            Map<String, Object> theirs = (Map<String, Object>) Json.parse(keras);
            assertEquals(theirs.get("class_name"), ours.get("class_name"));
            assertEquals(theirs.get("build_config"), ours.get("build_config"));
            List<Object> ourLayers = (List<Object>) ((Map<String, Object>) ours.get("config")).get("layers");
            List<Object> kerasLayers = (List<Object>) ((Map<String, Object>) theirs.get("config")).get("layers");
            assertEquals(kerasLayers.size(), ourLayers.size());
            for (int i = 0; i < ourLayers.size(); i++) {
                Map<String, Object> o = (Map<String, Object>) ourLayers.get(i);
                Map<String, Object> k = (Map<String, Object>) kerasLayers.get(i);
                assertEquals(k.get("class_name"), o.get("class_name"), "layer " + i);
                assertSubset("layer " + i + " (" + o.get("class_name") + ")", (Map<String, Object>) o.get("config"),
                        (Map<String, Object>) k.get("config"));
            }
            assertSubset("compile_config", (Map<String, Object>) ours.get("compile_config"),
                    (Map<String, Object>) theirs.get("compile_config"));
        }
    }

    /**
     * Each of {@code ours}' keys is in {@code keras} with an equal value; numbers equal as float32, the precision of
     * Keras's own variables (Keras writes a learning rate of 1e-3 as its float32 value 0.0010000000474974513).
     */
    @SuppressWarnings("unchecked")
    private static void assertSubset(String what, Map<String, Object> ours, Map<String, Object> keras) {
        for (Map.Entry<String, Object> e : ours.entrySet()) {
            String at = what + ", " + e.getKey();
            assertTrue(keras.containsKey(e.getKey()), at + ": Keras wrote no such key; it has " + keras.keySet());
            Object o = e.getValue();
            Object k = keras.get(e.getKey());
            if (o instanceof Map && k instanceof Map) {
                assertSubset(at, (Map<String, Object>) o, (Map<String, Object>) k);
            } else if (o instanceof Number on && k instanceof Number kn) {
                assertEquals(kn.floatValue(), on.floatValue(), at);
            } else {
                assertEquals(k, o, at);
            }
        }
    }

    /**
     * A Keras 2 {@code to_json()} string: the {@code model_config} of the tf.keras 2.x file that
     * {@code bench/keras/keras_legacy_h5_fixture.py} builds (Keras 2 writes the same JSON there and from
     * {@code to_json}) gives the model {@code Sequential.load} reads from that file, its weights then loaded from it.
     */
    @Test
    void readsKeras2Json(@TempDir Path dir) throws IOException {
        Path file = KerasFixtures.copy(ModelJsonTest.class, dir, "keras2-model.h5");
        String json = (String) Hdf5File.readAttributes(Files.readAllBytes(file), file.toString()).get("")
                .get("model_config");
        try (Sequential loaded = Sequential.load(file, cpu); Sequential m = Sequential.fromJson(json, cpu)) {
            assertEquals(loaded.layers().size(), m.layers().size());
            for (int i = 0; i < m.layers().size(); i++) {
                assertEquals(Json.write(ModelFiles.layerConfig(loaded.layers().get(i))),
                        Json.write(ModelFiles.layerConfig(m.layers().get(i))), "layer " + i);
            }
            m.loadWeights(file);
            Tensor x = Tensor.wrap(new float[] {1, -2, 3, 0.5f, 0, -1}, 1, 6);
            assertArrayEquals(loaded.predict(x).toArray(), m.predict(x).toArray());
        }
    }

    /** toJson then fromJson gives the same model: the same layer configs, and the same outputs for the same weights. */
    @Test
    void roundTripsDendritesOwnModels() {
        try (Sequential m = new Sequential(new Input(6), new Dense(5, "mish").kernelRegularizer("l2"),
                new Dense(3, "softmax")).backend(cpu)) {
            m.compile(new dev.dendrite.optimizers.RMSprop(0.002), "sparse_categorical_crossentropy", "accuracy");
            try (Sequential back = Sequential.fromJson(m.toJson(), cpu)) {
                for (int i = 0; i < m.layers().size(); i++) {
                    assertEquals(Json.write(ModelFiles.layerConfig(m.layers().get(i))),
                            Json.write(ModelFiles.layerConfig(back.layers().get(i))), "layer " + i);
                }
                assertEquals("rmsprop", back.optimizer().name());
                assertEquals(m.optimizer().config(), back.optimizer().config());
                back.setWeights(m.getWeights());
                Tensor x = Tensor.wrap(new float[] {1, -2, 3, 0.5f, 0, -1, 2, 2, -3, 1, 1, 0}, 2, 6);
                assertArrayEquals(m.predict(x).toArray(), back.predict(x).toArray());
            }
        }
    }

    @Test
    void refusesWhatIsNotASequentialByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sequential.fromJson("{oops"));
        assertTrue(e.getMessage().startsWith("model JSON: not JSON"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sequential.fromJson("[1, 2]"));
        assertTrue(e.getMessage().contains("expected an object with \"class_name\" and \"config\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sequential.fromJson(
                "{\"class_name\": \"Functional\", \"config\": {\"layers\": []}}"));
        assertTrue(e.getMessage().contains("a Keras Functional model; Dendrite reads Sequential"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sequential.fromJson("{\"class_name\": \"Sequential\","
                + " \"config\": {\"layers\": [{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\"}}]}}"));
        assertTrue(e.getMessage().contains("Conv2D"), e.getMessage());
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "leaky_relu").activationAlpha(0.3))
                .backend(cpu)) {
            e = assertThrows(IllegalArgumentException.class, m::toJson);
            assertTrue(e.getMessage().contains("activation_alpha 0.3"), e.getMessage());
        }
    }

    private static Tensor images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n * 28 * 28];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(256);
        }
        return Tensor.wrap(v, n, 28, 28);
    }
}
