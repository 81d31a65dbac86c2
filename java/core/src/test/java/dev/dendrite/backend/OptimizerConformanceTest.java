package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * Conformance of the optimizer ops added for Keras 3's toolbox (Adamax, Nadam, Lion, Adadelta, Ftrl, Lamb, weight decay,
 * clipping by value and by norm) against the float64 {@link OptimizerReference64}, on every backend: a subclass per
 * backend ({@code CpuOptimizerConformanceTest}, {@code OpenClOptimizerConformanceTest} on PoCL in CI,
 * {@code CudaOptimizerConformanceTest}, which skips with the reason where no driver is present).
 *
 * <p>It runs on {@link BackendConformanceTest}'s machinery (guarded buffers, NaN-filled outputs, seeds quoted in
 * every failure, the same comparisons), held as a helper object rather than inherited, so that the main suite's
 * cases are not run a second time. Tolerances: parameters {@code 1e-7 + 1e-6 |p|} as in the main suite, plus
 * {@code 4e-6} of each step so far (the steps' errors add up, as the reference runs on in float64): the states
 * start as after some training, where Adamax's {@code m / u} or
 * Adadelta's ratio can make a step of 0.2 rather than about lr, and a step made of a quotient, a square root and
 * a power (expm1 and log on the GPUs, each within a few ulp) carries some tens of EPS of its size. States:
 * {@code 1e-5} relative plus {@code 8 EPS} of the largest magnitudes involved in any step so far: an earlier step's
 * rounding stays in a moving average (decayed by its beta, at most 1) after the state and the gradient shrink, so a
 * bound on the latest step's magnitudes alone is too tight (a seed whose last gradient was 1e-3 failed by 40 ulp).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OptimizerConformanceTest {
    /** The backend under test, created once per test class. */
    protected abstract Backend createBackend();

    private final BackendConformanceTest kit = new BackendConformanceTest() {
        @Override
        protected Backend createBackend() {
            return OptimizerConformanceTest.this.createBackend();
        }
    };

    @BeforeAll
    final void openBackend() {
        kit.openBackend();
    }

    @AfterAll
    final void closeBackend() {
        kit.closeBackend();
    }

    @BeforeEach
    final void seedTest(TestInfo info) {
        kit.seedTest(info);
    }

    @AfterEach
    final void checkGuardsAndFree() {
        kit.checkGuardsAndFree();
    }

    private Backend backend() {
        return kit.backend;
    }

    private String where() {
        return " [seed " + kit.seed + ", backend " + backend().name() + "]";
    }

    private static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    // ================================================================== element-wise optimizers

    /** One optimizer configuration: its states and one step on the backend and on the reference. */
    private interface Case {
        String name();

        int states();

        void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters);

        /** Returns per-element slack for the parameters' tolerance, kept for the steps after (null: none). */
        double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t);

        /**
         * Whether each step's reference starts from the backend's own float results of the step before, rather
         * than from its own float64 run: for rules that carry float rounding divided by a small lr into their
         * state (FTRL's {@code (sqrt(acc') - sqrt(acc)) / lr * w}), which Keras's float32 does alike.
         */
        default boolean stepwise() {
            return false;
        }

        /** Per-element slack to add to state {@code s}'s tolerance after the last reference step (null: none). */
        default double[] stateSlack(int s) {
            return null;
        }
    }

    private static Case adamax(float b1, float b2, float eps) {
        return new Case() {
            public String name() {
                return "Adamax b1=" + b1 + " b2=" + b2 + " eps=" + eps;
            }

            public int states() {
                return 2;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.adamaxUpdate(p, g, st[0], st[1], n, hyper, counters, b1, b2, eps);
            }

            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                OptimizerReference64.adamax(p, g, st[0], st[1], lr, t, b1, b2, eps);
                return null;
            }
        };
    }

    private static Case nadam(float b1, float b2, float eps) {
        return new Case() {
            public String name() {
                return "Nadam b1=" + b1 + " b2=" + b2 + " eps=" + eps;
            }

            public int states() {
                return 2;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.nadamUpdate(p, g, st[0], st[1], n, hyper, counters, b1, b2, eps);
            }

            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                OptimizerReference64.nadam(p, g, st[0], st[1], lr, t, b1, b2, eps);
                return null;
            }
        };
    }

    private static Case lion(float b1, float b2) {
        return new Case() {
            public String name() {
                return "Lion b1=" + b1 + " b2=" + b2;
            }

            public int states() {
                return 1;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.lionUpdate(p, g, st[0], n, hyper, b1, b2);
            }

            /**
             * Where {@code c} is within float rounding of 0 a backend may take the other sign, a step of 2 lr:
             * those elements (about one in a million) get that slack.
             */
            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                double[] before = st[0].clone();
                double[] c = OptimizerReference64.lion(p, g, st[0], lr, b1, b2);
                double[] slack = new double[c.length];
                for (int i = 0; i < c.length; i++) {
                    double scale = Math.abs(before[i]) + Math.abs(g[i]);
                    slack[i] = Math.abs(c[i]) <= 16 * BackendConformanceTest.EPS * scale ? 2 * lr : 0;
                }
                return slack;
            }
        };
    }

    private static Case adadelta(float rho, float eps) {
        return new Case() {
            public String name() {
                return "Adadelta rho=" + rho + " eps=" + eps;
            }

            public int states() {
                return 2;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.adadeltaUpdate(p, g, st[0], st[1], n, hyper, rho, eps);
            }

            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                OptimizerReference64.adadelta(p, g, st[0], st[1], lr, rho, eps);
                return null;
            }
        };
    }

    private static Case ftrl(float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        return new Case() {
            private double[] linearSlack;

            public String name() {
                return "Ftrl power=" + lrPower + " l1=" + l1 + " l2=" + l2 + " shrinkage=" + l2Shrinkage + " beta="
                        + beta;
            }

            public int states() {
                return 2;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.ftrlUpdate(p, g, st[0], st[1], n, hyper, lrPower, l1, l2, l2Shrinkage, beta);
            }

            public boolean stepwise() {
                return true;
            }

            /**
             * The linear term adds {@code (acc'^e - acc^e) / lr * w}: float's rounding of the two powers (a few ulp
             * each on the GPUs) is divided by lr, which Keras's float32 does alike; that is the linear term's slack.
             */
            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                linearSlack = new double[p.length];
                for (int i = 0; i < p.length; i++) {
                    double acc = st[0][i];
                    double next = acc + g[i] * g[i];
                    linearSlack[i] = 16 * BackendConformanceTest.EPS * (Math.pow(next, -lrPower)
                            + Math.pow(acc, -lrPower)) / lr * Math.abs(p[i]);
                }
                OptimizerReference64.ftrl(p, g, st[0], st[1], lr, lrPower, l1, l2, l2Shrinkage, beta);
                return null;
            }

            public double[] stateSlack(int s) {
                return s == 1 ? linearSlack : null;
            }
        };
    }

    private static Case lamb(float b1, float b2, float eps) {
        return new Case() {
            public String name() {
                return "Lamb b1=" + b1 + " b2=" + b2 + " eps=" + eps;
            }

            public int states() {
                return 2;
            }

            public void backendStep(Backend b, Slice p, Slice g, Slice[] st, int n, Slice hyper, Slice counters) {
                b.lambUpdate(p, g, st[0], st[1], n, hyper, counters, b1, b2, eps);
            }

            public double[] referenceStep(double[] p, double[] g, double[][] st, double lr, int t) {
                OptimizerReference64.lamb(p, g, st[0], st[1], lr, t, b1, b2, eps);
                return null;
            }
        };
    }

    /**
     * Three steps of each update at several sizes, with the learning rate changed on the device between steps and
     * the step counter read from the device; Nadam also past step 440, where its momentum product's loop stops.
     */
    @Test
    void newOptimizersOverThreeStepsWithCounters() {
        Case[] cases = {
            adamax(0.9f, 0.999f, 1e-7f), adamax(0.8f, 0.99f, 1e-3f),
            nadam(0.9f, 0.999f, 1e-7f), nadam(0.8f, 0.99f, 1e-3f),
            lion(0.9f, 0.99f), lion(0.5f, 0.9f),
            adadelta(0.95f, 1e-7f), adadelta(0.9f, 1e-3f),
            ftrl(-0.5f, 0f, 0f, 0f, 0f), ftrl(-0.3f, 0.001f, 0.01f, 0.02f, 0.1f),
            lamb(0.9f, 0.999f, 1e-7f), lamb(0.8f, 0.99f, 1e-3f),
        };
        for (Case oc : cases) {
            for (int step0 : oc.name().startsWith("Nadam") ? new int[] {4, 437, 2000} : new int[] {4}) {
                for (int n : new int[] {1, 1000, 70_001}) {
                    runCase(oc, step0, n);
                }
            }
        }
    }

    private void runCase(Case oc, int step0, int n) {
        String what = oc.name() + " n=" + n + " from step " + step0;
        float[] p0 = kit.normal(n, 1);
        Slice p = kit.f32(p0);
        double[] pRef = BackendConformanceTest.d(p0);
        Slice[] st = new Slice[oc.states()];
        double[][] stRef = new double[oc.states()][];
        for (int s = 0; s < st.length; s++) {
            // States as after some training: positive where they are averages of squares.
            boolean squares = oc.name().startsWith("Adadelta") || oc.name().startsWith("Ftrl");
            float[] init = s == 0 && !squares ? kit.normal(n, 0.1) : kit.uniform(n, 0.001, 0.01);
            if (oc.name().startsWith("Ftrl") && s == 0) {
                init = kit.uniform(n, 0.1, 1); // the accumulator, from initial_accumulator_value 0.1 up
            } else if (oc.name().startsWith("Ftrl")) {
                init = kit.normal(n, 0.1); // the linear term
            }
            st[s] = kit.f32(init);
            stRef[s] = BackendConformanceTest.d(init);
        }
        Slice hyper = kit.f32(new float[] {0.01f});
        Slice counters = kit.i32(new int[] {step0, 9});
        double[] carried = new double[n]; // the steps' error budgets and slack, which add up from step to step
        // The largest magnitude each state's update has met so far: a step's rounding (a few EPS of the terms it
        // adds) stays in the state, scaled by a decay of at most 1, after the state and the gradient have shrunk.
        double[] stateScale = new double[st.length];
        for (int step = 0; step < 3; step++) {
            float lr = step == 2 ? 0.005f : 0.01f;
            backend().upload(new float[] {lr}, 0, hyper);
            float[] g = kit.normal(n, 1);
            double gScale = maxAbs(BackendConformanceTest.d(g));
            for (int s = 0; s < st.length; s++) {
                stateScale[s] = Math.max(stateScale[s], Math.max(maxAbs(stRef[s]), gScale));
            }
            oc.backendStep(backend(), p, kit.f32(g), st, n, hyper, counters);
            double[] pBefore = pRef.clone();
            double[] slack = oc.referenceStep(pRef, BackendConformanceTest.d(g), stRef, lr, step0 + step + 1);
            backend().advanceCounters(counters);
            String at = what + " step " + (step + 1);
            double[] tol = new double[n];
            for (int i = 0; i < n; i++) {
                // A step's slack stays in the budget: a parameter that took another step keeps that difference.
                carried[i] = (oc.stepwise() ? 0 : carried[i]) + 4e-6 * Math.abs(pRef[i] - pBefore[i])
                        + (slack == null ? 0 : slack[i]);
                tol[i] = 1e-7 + 1e-6 * Math.abs(pRef[i]) + carried[i];
            }
            kit.assertWithin(at + ": params", pRef, kit.get(p), tol);
            for (int s = 0; s < st.length; s++) {
                stateScale[s] = Math.max(stateScale[s], maxAbs(stRef[s]));
                double scale = stateScale[s];
                double[] stateSlack = oc.stateSlack(s);
                double[] stTol = new double[n];
                for (int i = 0; i < n; i++) {
                    stTol[i] = 1e-5 * Math.abs(stRef[s][i]) + 8 * BackendConformanceTest.EPS * scale
                            + (stateSlack == null ? 0 : stateSlack[i]);
                }
                kit.assertWithin(at + ": state " + s, stRef[s], kit.get(st[s]), stTol);
            }
            assertArrayEquals(new int[] {step0 + step + 1, 9 + step + 1}, kit.getInts(counters), at + where());
            if (oc.stepwise()) {
                System.arraycopy(BackendConformanceTest.d(kit.get(p)), 0, pRef, 0, n);
                for (int s = 0; s < st.length; s++) {
                    stRef[s] = BackendConformanceTest.d(kit.get(st[s]));
                }
            }
        }
    }

    // ================================================================== options on gradients and weights

    /** {@code p -= p * wd * lr}, with lr read from the device at each call. */
    @Test
    void weightDecayReadsTheLearningRateFromTheDevice() {
        for (int n : new int[] {1, 1000, 70_001}) {
            float[] p0 = kit.normal(n, 2);
            Slice p = kit.f32(p0);
            double[] ref = BackendConformanceTest.d(p0);
            Slice hyper = kit.f32(new float[] {0.1f});
            for (float lr : new float[] {0.1f, 0.5f}) {
                backend().upload(new float[] {lr}, 0, hyper);
                backend().weightDecay(p, n, hyper, 0.04f);
                OptimizerReference64.weightDecay(ref, lr, 0.04f);
                // One product and one fused subtraction per step: 2 EPS of |p| each.
                kit.assertClose("weightDecay n=" + n + " lr=" + lr, ref, kit.get(p), 4 * BackendConformanceTest.EPS,
                        0);
            }
        }
    }

    /** Exact: clipping only selects a value. NaN stays NaN, as jnp.clip keeps it. */
    @Test
    void clipByValueIsExactAndKeepsNaN() {
        for (int n : new int[] {1, 1000, 70_001}) {
            float[] g0 = kit.normal(n, 2);
            if (n > 1) {
                g0[n / 2] = Float.NaN;
                g0[n / 3] = Float.POSITIVE_INFINITY;
                g0[n / 4] = -0.5f; // exactly at the bound
            }
            Slice g = kit.f32(g0);
            backend().clipByValue(g, n, 0.5f);
            double[] ref = BackendConformanceTest.d(g0);
            OptimizerReference64.clipByValue(ref, 0.5f);
            kit.assertClose("clipByValue n=" + n, ref, kit.get(g), 0, 0);
        }
    }

    /**
     * Scaled to the bound where the norm exceeds it, unchanged where it does not, a zero gradient left zero; on a
     * sub-slice (the guards around it must stay intact). The norm is a float sum of n squares on the GPUs (Kahan
     * per thread, then a tree), so the scale carries a few EPS: 1e-6 relative.
     */
    @Test
    void clipByNormScalesToTheBoundOnlyWhenAbove() {
        for (int n : new int[] {1, 7, 1000, 70_001}) {
            for (double bound : new double[] {0.5, 1e6}) {
                float[] g0 = kit.normal(n, 1);
                Slice g = kit.f32(g0);
                backend().clipByNorm(g, n, (float) bound);
                double[] ref = BackendConformanceTest.d(g0);
                OptimizerReference64.clipByNorm(ref, (float) bound);
                float[] got = kit.get(g);
                String what = "clipByNorm n=" + n + " bound=" + bound;
                kit.assertClose(what, ref, got, 1e-6, 0);
                double norm = 0;
                for (float x : got) {
                    norm += (double) x * x;
                }
                norm = Math.sqrt(norm);
                double before = Math.sqrt(Arrays.stream(BackendConformanceTest.d(g0)).map(x -> x * x).sum());
                assertEquals(Math.min(before, bound), norm, 1e-6 * Math.min(before, bound), what + ": norm" + where());
            }
        }
        float[] zero = new float[300];
        Slice z = kit.f32(zero);
        backend().clipByNorm(z, 300, 1f);
        assertArrayEquals(zero, kit.get(z), "a zero gradient stays zero" + where());
        // A variable in the middle of a flat buffer: only its elements change.
        float[] flat = kit.normal(3000, 1);
        Slice all = kit.f32(flat);
        backend().clipByNorm(all.slice(1000, 1000), 1000, 0.25f);
        float[] got = kit.get(all);
        double[] mid = BackendConformanceTest.d(Arrays.copyOfRange(flat, 1000, 2000));
        OptimizerReference64.clipByNorm(mid, 0.25f);
        kit.assertClose("clipByNorm on a sub-slice", mid, Arrays.copyOfRange(got, 1000, 2000), 1e-6, 0);
        assertArrayEquals(Arrays.copyOfRange(flat, 0, 1000), Arrays.copyOfRange(got, 0, 1000), "before it" + where());
        assertArrayEquals(Arrays.copyOfRange(flat, 2000, 3000), Arrays.copyOfRange(got, 2000, 3000),
                "after it" + where());
    }

    @Test
    void badBoundsAndRatesAreRejectedNamingTheValue() {
        Slice g = kit.f32(new float[4]);
        Slice hyper = kit.f32(new float[] {0.01f});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend().clipByNorm(g, 4, 0f));
        assertTrue(e.getMessage().contains("clipNorm 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend().clipByValue(g, 4, Float.NaN));
        assertTrue(e.getMessage().contains("clipValue NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend().weightDecay(g, 4, hyper, -1f));
        assertTrue(e.getMessage().contains("weightDecay -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend().nadamUpdate(g, kit.f32(new float[4]),
                kit.f32(new float[4]), kit.f32(new float[4]), 4, hyper, kit.i32(new int[2]), 1f, 0.999f, 1e-7f));
        assertTrue(e.getMessage().contains("beta1 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend().lionUpdate(g, kit.f32(new float[4]), g, 4,
                hyper, 0.9f, 0.99f));
        assertTrue(e.getMessage().contains("lionUpdate"), e.getMessage());
    }
}
