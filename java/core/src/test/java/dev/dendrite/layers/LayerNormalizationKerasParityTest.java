package dev.dendrite.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.io.Json;

/**
 * LayerNormalization against Keras 3: the layer's forward and backward passes, issued as the engine issues them
 * (through a {@link LayerContext}), on the inputs of {@code layer_normalization.json}, which
 * {@code layer_normalization.py} (beside it in the test resources) made with Keras 3.15 on JAX, float32.
 *
 * <p>Tolerance: both sides are float32 computations of the same function, in different orders. Keras computes
 * {@code y = x * (inv gamma) + (beta - mean * inv gamma)}, whose two terms cancel when the mean is large against the
 * spread; each side is then within a few ulps of its largest intermediate term. So every element is allowed
 * {@code 16 EPS} times the magnitude of its terms ({@code |x inv gamma| + |mean inv gamma| + |beta|} for y, and the
 * same scale times the row sums' terms for the gradients). A wrong epsilon, a missing beta or gamma, the unbiased
 * variance or gamma outside the row sums is off by far more (1e-3 to O(1)).
 */
class LayerNormalizationKerasParityTest {
    private static final double EPS = 0x1.0p-24;
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        String path = "dev/dendrite/keras/layer_normalization.json";
        try (InputStream in = LayerNormalizationKerasParityTest.class.getClassLoader().getResourceAsStream(path)) {
            assertTrue(in != null, "missing fixture " + path);
            Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
            assertTrue(String.valueOf(root.get("keras")).startsWith("3."), "fixture from Keras 3: " + root);
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    @SuppressWarnings("unchecked")
    private static float[] floats(Map<String, Object> c, String key) {
        List<Object> v = (List<Object>) c.get(key);
        if (v == null) {
            return null;
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) v.get(i)).floatValue();
        }
        return out;
    }

    /** A LayerContext over buffers of the CPU backend: what the engine hands a layer. */
    private static final class Context implements LayerContext {
        final int rows;
        final List<Slice> weights = new ArrayList<>();
        final List<Slice> grads = new ArrayList<>();
        final List<Slice> scratch = new ArrayList<>();

        Context(int rows) {
            this.rows = rows;
        }

        @Override
        public Backend backend() {
            return cpu;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public Slice weight(int i) {
            return weights.get(i);
        }

        @Override
        public Slice grad(int i) {
            return grads.get(i);
        }

        @Override
        public Slice scratch(int i) {
            return scratch.get(i);
        }

        @Override
        public Slice counters() {
            return cpu.allocate(DType.I32, Backend.COUNTERS_LENGTH).all();
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

    private static Slice upload(float[] data) {
        Slice s = cpu.allocate(DType.F32, data.length).all();
        cpu.upload(data, 0, s);
        return s;
    }

    private static float[] download(Slice s) {
        float[] out = new float[s.length()];
        cpu.download(s, out, 0);
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void forwardAndGradientsMatchKeras3() throws IOException {
        List<Map<String, Object>> cases = cases();
        assertTrue(cases.size() >= 4, "cases: " + cases.size());
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            int rows = ((Number) c.get("rows")).intValue();
            List<Object> shapeList = (List<Object>) c.get("shape");
            int[] shape = shapeList.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
            boolean center = (Boolean) c.get("center");
            boolean scale = (Boolean) c.get("scale");
            LayerNormalization layer = (LayerNormalization) Layers.fromConfig("LayerNormalization", "ln",
                    Map.of("axis", -1, "epsilon", c.get("epsilon"), "center", center, "scale", scale));
            layer.build(shape);
            float[] x = floats(c, "x");
            float[] dy = floats(c, "dy");
            float[] gamma = floats(c, "gamma");
            float[] beta = floats(c, "beta");
            Context ctx = new Context(rows);
            for (WeightSpec w : layer.weights()) {
                float[] value = w.name().equals("gamma") ? gamma : beta;
                ctx.weights.add(upload(value));
                ctx.grads.add(cpu.allocate(DType.F32, value.length).all());
            }
            for (int size : layer.scratchSizes(rows)) {
                ctx.scratch.add(cpu.allocate(DType.F32, size).all());
            }
            Slice xs = upload(x);
            Slice y = cpu.allocate(DType.F32, x.length).all();
            layer.forward(ctx, xs, y, true);
            Slice dx = cpu.allocate(DType.F32, x.length).all();
            layer.backward(ctx, xs, y, upload(dy), dx);

            int features = shape[shape.length - 1];
            int groups = x.length / features;
            double[] termY = new double[x.length];
            double[] termDx = new double[x.length];
            double[] termDg = new double[features];
            double[] termDb = new double[features];
            double eps = ((Number) c.get("epsilon")).doubleValue();
            for (int g = 0; g < groups; g++) {
                double mean = 0;
                for (int f = 0; f < features; f++) {
                    mean += x[g * features + f] / (double) features;
                }
                double var = 0;
                for (int f = 0; f < features; f++) {
                    var += Math.pow(x[g * features + f] - mean, 2) / features;
                }
                double inv = 1 / Math.sqrt(var + eps);
                double sumDyg = 0;
                for (int f = 0; f < features; f++) {
                    sumDyg += Math.abs(dy[g * features + f] * (gamma == null ? 1 : gamma[f]));
                }
                // How far the terms each side rounds are from the result: the cancellation of x * inv against
                // mean * inv, as a factor.
                double cancel = 1 + Math.abs(mean) * inv;
                for (int f = 0; f < features; f++) {
                    int i = g * features + f;
                    double gm = gamma == null ? 1 : Math.abs(gamma[f]);
                    termY[i] = (Math.abs(x[i]) + Math.abs(mean)) * inv * gm + (beta == null ? 0 : Math.abs(beta[f]));
                    termDx[i] = cancel * inv * (Math.abs(dy[i]) * gm + 2 * sumDyg / features) * Math.sqrt(features);
                    termDg[f] += cancel * Math.abs(dy[i]) * (Math.abs(x[i] - mean) * inv + 1);
                    termDb[f] += Math.abs(dy[i]);
                }
            }
            check(name + ": y", floats(c, "y"), download(y), termY);
            check(name + ": dx", floats(c, "dx"), download(dx), termDx);
            int k = 0;
            if (scale) {
                check(name + ": dgamma", floats(c, "dgamma"), download(ctx.grads.get(k++)), termDg);
            }
            if (center) {
                check(name + ": dbeta", floats(c, "dbeta"), download(ctx.grads.get(k)), termDb);
            }
        }
    }

    private static void check(String what, float[] keras, float[] ours, double[] terms) {
        assertTrue(keras.length == ours.length, what + ": length " + ours.length + " vs Keras's " + keras.length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < keras.length; i++) {
            double tol = 16 * EPS * terms[i] + Double.MIN_NORMAL;
            double ratio = Math.abs(ours[i] - keras[i]) / tol;
            if (ratio > worst) {
                worst = ratio;
                at = i;
            }
        }
        System.out.printf("%s: worst error %.3g of the tolerance%n", what, worst);
        assertTrue(worst <= 1, what + ": element " + at + " is " + (at < 0 ? 0 : ours[at]) + ", Keras "
                + (at < 0 ? 0 : keras[at]) + " (" + worst + " times the tolerance)");
    }
}
