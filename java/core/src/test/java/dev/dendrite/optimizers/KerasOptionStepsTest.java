package dev.dendrite.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.optimizers.schedules.CosineDecay;
import dev.dendrite.optimizers.schedules.PiecewiseConstantDecay;

/**
 * Fifty steps of each optimizer option against Keras 3 itself: the committed script {@code keras_option_steps.py}
 * ran Keras 3.15 (JAX) from the same weights and gradients (the gradients are in the fixture too) and wrote every
 * step's weights, and the weights after
 * {@code finalize_variable_values}, to {@code keras_option_steps.tsv}. The cases cross the options with each other
 * (EMA under accumulation, a schedule under accumulation), where Keras's choices (the EMA's iteration is the
 * accumulated one, the schedule's step is the raw one) would show.
 *
 * <p>Tolerance 2e-6 absolute: weights below 1.6 in magnitude (float spacing at most 1.2e-7), fifty steps of a few
 * float operations each, Adam's division by {@code sqrt(v) + eps} amplifying the gradient's rounding by at most a
 * few times.
 */
class KerasOptionStepsTest {
    private static final float[] W0 = {0.5f, -0.3f, 0.8f};
    /** The fixture's lines named {@code grad}: the gradient of each step, as the script fed them to Keras. */
    private static final String GRAD = "grad";
    private static float[][] grads;
    private static Backend cpu;

    @BeforeAll
    static void start() throws IOException {
        grads = keras().get(GRAD).toArray(new float[0][]);
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    /** The same cases as the script's CASES. */
    private static Map<String, Supplier<Optimizer>> cases() {
        Map<String, Supplier<Optimizer>> m = new LinkedHashMap<>();
        m.put("sgd_momentum_ema", () -> {
            SGD o = new SGD(0.1, 0.9);
            o.options().useEma(true).emaMomentum(0.7);
            return o;
        });
        m.put("sgd_ema_overwrite", () -> {
            SGD o = new SGD(0.1);
            o.options().useEma(true).emaMomentum(0.8).emaOverwriteFrequency(3);
            return o;
        });
        m.put("adam_accumulate3", () -> {
            Adam o = new Adam(0.01);
            o.options().gradientAccumulationSteps(3);
            return o;
        });
        m.put("adam_accumulate2_ema", () -> {
            Adam o = new Adam(0.01);
            o.options().gradientAccumulationSteps(2).useEma(true).emaMomentum(0.5).emaOverwriteFrequency(2);
            return o;
        });
        m.put("rmsprop_cosine_warmup", () -> new RMSprop(new CosineDecay(0.0, 4, 0.1, 0.02, 3)));
        m.put("adam_piecewise_accumulate2", () -> {
            Adam o = new Adam(new PiecewiseConstantDecay(new double[] {2, 5}, new double[] {0.05, 0.02, 0.01}));
            o.options().gradientAccumulationSteps(2);
            return o;
        });
        return m;
    }

    private static Map<String, List<float[]>> keras() throws IOException {
        Map<String, List<float[]>> out = new LinkedHashMap<>();
        try (InputStream in = KerasOptionStepsTest.class.getResourceAsStream(
                "/dev/dendrite/optimizers/keras_option_steps.tsv")) {
            assertTrue(in != null, "fixture keras_option_steps.tsv is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                String[] v = f[2].split(",");
                float[] w = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    w[i] = Float.parseFloat(v[i]);
                }
                out.computeIfAbsent(f[0], k -> new ArrayList<>()).add(w);
            }
        }
        return out;
    }

    /** The weights after each step and, last, after {@link UpdatePlan#finish}. */
    private static List<float[]> run(Optimizer opt) {
        int n = W0.length;
        float[] init = opt.slotInitialValues();
        List<Buffer> slots = new ArrayList<>();
        try (Buffer p = cpu.allocate(DType.F32, n); Buffer g = cpu.allocate(DType.F32, n);
             Buffer hyper = cpu.allocate(DType.F32, 4); Buffer counters = cpu.allocate(DType.I32, 2);
             UpdatePlan plan = new UpdatePlan(cpu, opt, n, init.length)) {
            Slice[] s = new Slice[init.length];
            for (int i = 0; i < init.length; i++) {
                slots.add(cpu.allocate(DType.F32, n));
                cpu.fill(slots.get(i).all(), init[i]);
                s[i] = slots.get(i).all();
            }
            cpu.upload(W0, 0, p.all());
            cpu.upload(new float[] {(float) opt.learningRate()}, 0, hyper.slice(Backend.HYPER_LR, 1));
            cpu.upload(new int[] {0, 0}, 0, counters.all());
            List<float[]> out = new ArrayList<>();
            for (float[] grad : grads) {
                cpu.upload(grad, 0, g.all());
                plan.update(p.all(), g.all(), s, hyper.all(), counters.all());
                cpu.advanceCounters(counters.all());
                float[] w = new float[n];
                cpu.download(p.all(), w, 0);
                out.add(w);
            }
            plan.finish(p.all(), grads.length);
            float[] w = new float[n];
            cpu.download(p.all(), w, 0);
            out.add(w);
            return out;
        } finally {
            slots.forEach(Buffer::close);
        }
    }

    @Test
    void everyOptionFollowsKerasStepByStep() throws IOException {
        Map<String, List<float[]>> keras = keras();
        assertEquals(50, keras.remove(GRAD).size(), "the script's steps");
        Map<String, Supplier<Optimizer>> cases = cases();
        assertEquals(cases.keySet(), keras.keySet(), "the script's cases");
        for (Map.Entry<String, Supplier<Optimizer>> c : cases.entrySet()) {
            List<float[]> expected = keras.get(c.getKey());
            List<float[]> actual = run(c.getValue().get());
            assertEquals(grads.length + 1, expected.size(), c.getKey());
            for (int t = 0; t < expected.size(); t++) {
                for (int i = 0; i < W0.length; i++) {
                    assertEquals(expected.get(t)[i], actual.get(t)[i], 2e-6, c.getKey() + " step "
                            + (t == grads.length ? "final" : t) + " weight " + i);
                }
            }
        }
    }
}
