package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.io.Json;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * Conformance of the optimizer-options family ({@link Backend#learningRateSchedule},
 * {@link Backend#accumulateGradients}, {@link Backend#restoreUnlessUpdateStep}, {@link Backend#emaUpdate}) on one
 * backend: the schedules against Keras 3's own values (the fixture {@code keras_schedules.tsv}, made by the
 * committed {@code keras_schedules.py}), the element-wise ops against float64 formulas written from Keras's
 * {@code base_optimizer.py}. It has its own subclass per backend so that the shared suite
 * ({@link BackendConformanceTest}) is not run twice; its buffers, guards, seeds and comparisons are that suite's,
 * through a helper instance.
 *
 * <p>Tolerances. Schedules: {@code 2e-6} relative plus {@code 1e-9} absolute. Keras computes in float32, as the
 * kernels do; the two differ only by the ulps of {@code pow}, {@code cos} and {@code log} (a few times 6e-8
 * relative, up to the condition number of the formula, which stays below 10 at these steps), while a wrong branch
 * or parameter is off by 1e-3 or more. Element-wise ops: {@code 4 EPS} relative to the terms' magnitude (one
 * division or two products and a sum, each rounded once).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OptimizerOptionsConformanceTest {
    /** The backend under test, created once per test class (may abort the class with the reason). */
    protected abstract Backend createBackend();

    private final Fixtures h = new Fixtures(this::createBackend);

    /**
     * The shared suite's fixtures (buffers with guards, seeds, comparisons) without its tests: JUnit runs only the
     * classes it is given or finds, and neither picks a static nested class (Surefire leaves out every {@code $}).
     */
    private static final class Fixtures extends BackendConformanceTest {
        private final java.util.function.Supplier<Backend> factory;

        Fixtures(java.util.function.Supplier<Backend> factory) {
            this.factory = factory;
        }

        @Override
        protected Backend createBackend() {
            return factory.get();
        }
    }

    @BeforeAll
    final void open() {
        h.openBackend();
    }

    @AfterAll
    final void close() {
        h.closeBackend();
    }

    @BeforeEach
    final void seed(TestInfo info) {
        h.seedTest(info);
    }

    @AfterEach
    final void guards() {
        h.checkGuardsAndFree();
    }

    /** One fixture line: Keras's schedule, a step and Keras's value there. */
    private record KerasValue(String serialized, int step, double value) {
    }

    static List<KerasValue> kerasValues() throws IOException {
        List<KerasValue> out = new ArrayList<>();
        try (InputStream in = OptimizerOptionsConformanceTest.class.getResourceAsStream(
                "/dev/dendrite/optimizers/keras_schedules.tsv")) {
            assertTrue(in != null, "fixture keras_schedules.tsv is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                out.add(new KerasValue(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2])));
            }
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void schedulesGiveKerasValuesOnTheDevice() throws IOException {
        List<KerasValue> values = kerasValues();
        assertTrue(values.size() > 300, "fixture has " + values.size() + " values");
        Backend b = h.backend;
        int kinds = 0;
        String last = null;
        Slice params = null;
        LearningRateSchedule schedule = null;
        for (KerasValue kv : values) {
            if (!kv.serialized().equals(last)) {
                last = kv.serialized();
                schedule = LearningRateSchedule.deserialize((Map<String, Object>) Json.parse(last));
                params = h.f32(schedule.parameters());
                kinds |= 1 << schedule.kind();
            }
            Slice counters = h.i32(new int[] {kv.step(), 5});
            Slice hyper = h.f32(new float[] {123f}); // not read by Keras's schedules
            Slice out = h.f32Out(1);
            b.learningRateSchedule(params, schedule.kind(), counters, hyper, out);
            String what = schedule + " at step " + kv.step();
            h.assertClose(what, new double[] {kv.value()}, h.get(out), 2e-6, 1e-9);
            h.assertClose(what + " (host)", new double[] {kv.value()}, new float[] {(float) schedule.valueAt(kv.step())},
                    2e-6, 1e-9);
            assertArrayEquals(new int[] {kv.step(), 5}, h.getInts(counters), "counters are read only");
        }
        assertEquals(0b1111110, kinds, "the fixture covers all six Keras schedules");
    }

    /** Keras 2's decay: {@code lr_t = lr * (1 / (1 + decay * t))} with lr read from hyper, written in place. */
    @Test
    void legacyDecayScalesTheSettableRate() {
        Slice params = h.f32(new float[] {0.01f});
        for (int step : new int[] {0, 1, 7, 100, 12345}) {
            Slice hyper = h.f32(new float[] {0.3f, 9f});
            h.backend.learningRateSchedule(params, ScheduleMath.LEGACY_DECAY, h.i32(new int[] {step, 0}), hyper,
                    hyper);
            double expected = 0.3f / (1 + 0.01f * (double) step);
            h.assertClose("decay at step " + step, new double[] {expected, 9}, h.get(hyper), 4 * BackendConformanceTest.EPS,
                    0);
        }
    }

    @Test
    void accumulationFollowsKeras() {
        for (int n : new int[] {1, 7, 70_001}) {
            int steps = 3;
            float[] acc0 = h.normal(n, 1);
            Slice acc = h.f32(acc0.clone());
            double[] accD = BackendConformanceTest.d(acc0);
            for (int step = 4; step <= 8; step++) { // 5 (step + 1 = 6) and 8 (9) are update steps
                float[] g = h.normal(n, 1);
                Slice grads = h.f32(g.clone());
                Slice optimizerCounters = h.i32(new int[] {-1, -1});
                h.backend.accumulateGradients(grads, acc, n, h.i32(new int[] {step, 2}), steps, optimizerCounters);
                boolean update = (step + 1) % steps == 0;
                double[] expectGrad = new double[n];
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    if (update) {
                        expectGrad[i] = ((double) g[i] + accD[i]) / steps;
                        tol[i] = 4 * BackendConformanceTest.EPS * (Math.abs(g[i]) + Math.abs(accD[i]));
                        accD[i] = 0;
                    } else {
                        expectGrad[i] = g[i];
                        accD[i] += g[i];
                    }
                }
                String what = "n " + n + " step " + step;
                h.assertWithin(what + ": grads", expectGrad, h.get(grads), tol);
                h.assertClose(what + ": accumulator", accD, h.get(acc), 4 * BackendConformanceTest.EPS, 1e-6);
                // The float accumulator is the reference from here on (its own rounding is not under test).
                accD = BackendConformanceTest.d(h.get(acc));
                assertArrayEquals(new int[] {step / steps, 2}, h.getInts(optimizerCounters), what);
            }
        }
    }

    @Test
    void restoreKeepsOnlyUpdateSteps() {
        int n = 1000;
        for (int step = 0; step < 6; step++) {
            float[] dst = h.normal(n, 1);
            float[] backup = h.normal(n, 1);
            Slice d = h.f32(dst);
            h.backend.restoreUnlessUpdateStep(d, h.f32(backup), n, h.i32(new int[] {step, 0}), 3);
            assertArrayEquals((step + 1) % 3 == 0 ? dst : backup, h.get(d), "step " + step);
        }
    }

    @Test
    void emaFollowsKeras() {
        for (int n : new int[] {1, 129, 70_001}) {
            // {raw step, accumulation steps, overwrite frequency}: first iteration (momentum 0), a later one, an
            // overwriting one, and the iteration as counted under accumulation.
            int[][] cases = {{0, 1, 0}, {6, 1, 0}, {5, 1, 3}, {7, 4, 2}, {3, 4, 0}};
            for (int[] c : cases) {
                float momentum = 0.9f;
                float[] p = h.normal(n, 1);
                float[] a = h.normal(n, 1);
                Slice ps = h.f32(p);
                Slice as = h.f32(a);
                h.backend.emaUpdate(ps, as, n, h.i32(new int[] {c[0], 0}), c[1], momentum, c[2]);
                int iteration = c[0] / c[1];
                double m = iteration == 0 ? 0 : momentum;
                boolean overwrite = c[2] > 0 && (iteration + 1) % c[2] == 0;
                double[] avg = new double[n];
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    avg[i] = m * a[i] + (1 - m) * p[i];
                    tol[i] = 4 * BackendConformanceTest.EPS * (Math.abs(m * a[i]) + Math.abs((1 - m) * p[i]));
                }
                String what = "n " + n + " case " + java.util.Arrays.toString(c);
                h.assertWithin(what + ": average", avg, h.get(as), tol);
                if (overwrite) {
                    h.assertWithin(what + ": params", avg, h.get(ps), tol);
                } else {
                    assertArrayEquals(p, h.get(ps), what + ": params untouched");
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Backend b = h.backend;
        Slice counters = h.i32(new int[2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.learningRateSchedule(h.f32(new float[4]), 9, counters, h.f32(new float[1]), h.f32Out(1)));
        assertTrue(e.getMessage().contains("schedule kind 9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.learningRateSchedule(h.f32(new float[3]),
                ScheduleMath.COSINE, counters, h.f32(new float[1]), h.f32Out(1)));
        assertTrue(e.getMessage().contains("schedule"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.accumulateGradients(h.f32(new float[2]),
                h.f32(new float[2]), 2, counters, 1, h.i32(new int[2])));
        assertTrue(e.getMessage().contains("accumulation steps 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.emaUpdate(h.f32(new float[2]), h.f32(new float[2]), 2,
                counters, 1, 1.5f, 0));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }
}
