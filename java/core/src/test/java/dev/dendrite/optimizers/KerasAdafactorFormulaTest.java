package dev.dendrite.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.model.Sequential;

/**
 * The first three steps of Adafactor against Keras 3's {@code update_step} (keras/src/optimizers/adafactor.py)
 * transcribed line by line in double precision ({@link #kerasSteps}), through {@link Optimizer#apply} as a training
 * step issues it. Three variables: a 2x3 kernel (factored), a bias of 3 (full accumulator) and a 3x1 kernel, which
 * Keras factors and Dendrite keeps unfactored (see {@link Adafactor}): the two agree up to rounding, and this test
 * holds them to it.
 *
 * <p>Tolerance 1e-6 absolute: the weights stay below 1, where float32's spacing is at most 6e-8, and three steps of a
 * few float operations each stay well under 1e-6. The three steps move the weights by up to 1.2e-3 (the default
 * rate), 0.11 (rate 0.1) and 0.32 (every option changed), and each of the formula's near alternatives moves at least
 * one case's weights by 7e-3 or more (computed in numpy beside Keras's formula): beta from {@code t - 1} rather than
 * {@code t}, v without the division by {@code mean(r)}, no clip, the RMS of the weights after the step rather than
 * before.
 */
class KerasAdafactorFormulaTest {
    private static final double[] W0 = {0.5, -0.3, 0.8, 0.1, -0.6, 0.2, 0.05, -0.1, 0.3, 0.4, -0.2, 0.7};
    private static final double[][] G = {
        {0.2, -0.1, 0.4, 0.3, 0.05, -0.2, 0.1, 0.3, -0.4, 0.02, -0.5, 0.25},
        {-0.3, 0.05, 0.1, -0.2, 0.4, 0.1, -0.1, 0.2, 0.3, -0.3, 0.1, 0.05},
        {0.25, 0.2, -0.6, 0.1, -0.1, 0.3, 0.2, -0.4, 0.1, 0.15, 0.3, -0.2}};
    private static final int[][] SHAPES = {{2, 3}, {3}, {3, 1}};
    private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(
            new ParameterLayout.Variable("dense/kernel", 0, SHAPES[0]),
            new ParameterLayout.Variable("dense/bias", 6, SHAPES[1]),
            new ParameterLayout.Variable("dense_1/kernel", 9, SHAPES[2])));
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    /** Three steps of {@code opt} through {@link Optimizer#apply}; the weights after each step. */
    private static double[][] run(Optimizer opt) {
        assertEquals(1, opt.slotInitialValues().length);
        return KerasOptimizerFormulaTest.steps(cpu, opt, LAYOUT, W0, G);
    }

    /**
     * Keras 3's Adafactor over the three variables, {@code clipnorm} (per variable, before the update, as
     * base_optimizer.py) when {@code clipnorm > 0}; the weights after each step.
     */
    private static double[][] kerasSteps(double learningRate, double beta2Decay, double epsilon1, double epsilon2,
                                         double clipThreshold, boolean relativeStep, double clipnorm) {
        double[] w = W0.clone();
        double[][] r = new double[SHAPES.length][];
        double[][] c = new double[SHAPES.length][];
        double[][] v = new double[SHAPES.length][];
        for (int k = 0; k < SHAPES.length; k++) {
            int[] s = SHAPES[k];
            r[k] = new double[s[0]];
            c[k] = new double[s.length == 2 ? s[1] : 0];
            v[k] = new double[s.length == 2 ? s[0] * s[1] : s[0]];
        }
        double[][] out = new double[G.length][];
        for (int step = 0; step < G.length; step++) {
            int offset = 0;
            for (int k = 0; k < SHAPES.length; k++) {
                int[] s = SHAPES[k];
                int n = v[k].length;
                double[] var = new double[n];
                double[] grad = new double[n];
                System.arraycopy(w, offset, var, 0, n);
                System.arraycopy(G[step], offset, grad, 0, n);
                if (clipnorm > 0) {
                    double norm = Math.sqrt(sumSquares(grad));
                    for (int i = 0; i < n; i++) {
                        grad[i] = grad[i] * clipnorm / Math.max(norm, clipnorm);
                    }
                }
                double lr = learningRate;
                double localStep = step + 1;
                if (relativeStep) {
                    lr = Math.min(lr, 1 / Math.sqrt(localStep));
                }
                double rhoT = Math.min(lr, 1 / Math.sqrt(localStep));
                double alphaT = Math.max(epsilon2, Math.sqrt(sumSquares(var) / n)) * rhoT;
                double[] regulated = new double[n];
                for (int i = 0; i < n; i++) {
                    regulated[i] = grad[i] * grad[i] + epsilon1;
                }
                double beta2T = 1 - Math.pow(localStep, beta2Decay);
                if (s.length >= 2) {
                    int rows = s[0];
                    int cols = s[1];
                    for (int i = 0; i < rows; i++) {
                        double mean = 0;
                        for (int j = 0; j < cols; j++) {
                            mean += regulated[i * cols + j] / cols;
                        }
                        r[k][i] = beta2T * r[k][i] + (1 - beta2T) * mean;
                    }
                    for (int j = 0; j < cols; j++) {
                        double mean = 0;
                        for (int i = 0; i < rows; i++) {
                            mean += regulated[i * cols + j] / rows;
                        }
                        c[k][j] = beta2T * c[k][j] + (1 - beta2T) * mean;
                    }
                    double rMean = 0;
                    for (double x : r[k]) {
                        rMean += x / rows;
                    }
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            v[k][i * cols + j] = r[k][i] / rMean * c[k][j];
                        }
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        v[k][i] = beta2T * v[k][i] + (1 - beta2T) * regulated[i];
                    }
                }
                double[] u = new double[n];
                for (int i = 0; i < n; i++) {
                    u[i] = grad[i] / Math.sqrt(v[k][i]);
                }
                double uHatScale = Math.max(1, Math.sqrt(sumSquares(u) / n) / clipThreshold);
                for (int i = 0; i < n; i++) {
                    w[offset + i] = var[i] - alphaT * (u[i] / uHatScale);
                }
                offset += n;
            }
            out[step] = w.clone();
        }
        return out;
    }

    private static double sumSquares(double[] x) {
        double s = 0;
        for (double e : x) {
            s += e * e;
        }
        return s;
    }

    private static void assertSteps(double[][] expected, double[][] got, String what) {
        double moved = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < expected[t].length; i++) {
                assertEquals(expected[t][i], got[t][i], 1e-6, what + ": weight " + i + " after step " + (t + 1));
                moved = Math.max(moved, Math.abs(expected[t][i] - W0[i]));
            }
        }
        assertTrue(moved > 1e-4, what + ": the weights hardly moved (" + moved + "), so the test would prove little");
    }

    @Test
    void defaultsFollowKerasUpdateStep() {
        assertSteps(kerasSteps(0.001, -0.8, 1e-30, 1e-3, 1.0, true, 0), run(new Adafactor()), "Adafactor()");
    }

    @Test
    void largerRateFollowsKerasUpdateStep() {
        assertSteps(kerasSteps(0.1, -0.8, 1e-30, 1e-3, 1.0, true, 0), run(new Adafactor(0.1)), "Adafactor(0.1)");
    }

    /** Every hyperparameter changed; with relative_step false and rate 0.6, rho's minimum is 1/sqrt(t) from t = 3. */
    @Test
    void everyHyperparameterFollowsKerasUpdateStep() {
        double[][] e = kerasSteps(0.6, -0.5, 1e-3, 0.05, 0.5, false, 0);
        assertSteps(e, run(new Adafactor(0.6, -0.5, 1e-3, 0.05, 0.5, false)), "Adafactor(options)");
        // relative_step changes nothing in Keras 3's update (rho takes the minimum either way).
        assertSteps(e, run(new Adafactor(0.6, -0.5, 1e-3, 0.05, 0.5, true)), "Adafactor(options, relative_step)");
    }

    @Test
    void clipnormRunsBeforeTheUpdate() {
        Optimizer o = new Adafactor(0.1).setGradientOptions(GradientOptions.NONE.withClipnorm(0.2));
        assertSteps(kerasSteps(0.1, -0.8, 1e-30, 1e-3, 1.0, true, 0.2), run(o), "Adafactor(0.1, clipnorm=0.2)");
    }

    @Test
    void namesDefaultsConfigAndBadValues() {
        assertTrue(Optimizer.fromName("Adafactor") instanceof Adafactor);
        Adafactor a = new Adafactor();
        assertEquals(0.001, a.learningRate());
        assertEquals(-0.8, ((Number) a.config().get("beta_2_decay")).doubleValue(), 1e-7);
        assertEquals(1e-30, ((Number) a.config().get("epsilon_1")).doubleValue(), 1e-37);
        assertEquals(1e-3, ((Number) a.config().get("epsilon_2")).doubleValue(), 1e-10);
        assertEquals(1.0, ((Number) a.config().get("clip_threshold")).doubleValue());
        assertEquals(true, a.config().get("relative_step"));
        for (Optimizer o : new Optimizer[] {a, new Adafactor(0.05, -0.5, 1e-3, 0.05, 0.5, false),
            new Adafactor(0.1).setGradientOptions(GradientOptions.NONE.withClipnorm(0.5))}) {
            Optimizer back = Optimizer.fromConfig(o.name(), o.config());
            assertEquals(o.config(), back.config(), o.name());
            assertEquals(o.getClass(), back.getClass());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Adafactor(0.001, 0.5, 1e-30, 1e-3, 1.0, true));
        assertTrue(e.getMessage().contains("beta_2_decay 0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adafactor(0.001, -0.8, -1, 1e-3, 1.0, true));
        assertTrue(e.getMessage().contains("epsilon_1 -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adafactor(0.001, -0.8, 1e-30, 1e-3, 0, true));
        assertTrue(e.getMessage().contains("clip_threshold 0.0"), e.getMessage());
    }

    @Test
    void needsTheLayoutAndRefusesRankAboveTwo() {
        Adafactor a = new Adafactor();
        try (Buffer p = cpu.allocate(DType.F32, 8); Buffer hyper = cpu.allocate(DType.F32, 4);
             Buffer counters = cpu.allocate(DType.I32, 2)) {
            Slice[] slots = {p.all()};
            IllegalStateException s = assertThrows(IllegalStateException.class,
                    () -> a.update(cpu, p.all(), p.all(), slots, 8, hyper.all(), counters.all()));
            assertTrue(s.getMessage().contains("build(ParameterLayout)"), s.getMessage());
            a.build(new ParameterLayout(List.of(new ParameterLayout.Variable("conv/kernel", 0, new int[] {2, 2, 2}))));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> a.update(cpu, p.all(), p.all(), slots, 8, hyper.all(), counters.all()));
            assertTrue(e.getMessage().contains("conv/kernel") && e.getMessage().contains("[2, 2, 2]"),
                    e.getMessage());
        }
    }

    /** Compiled into a model, saved and loaded back: the optimizer and its options come back. */
    @Test
    void modelFileKeepsAdafactor(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = new Sequential(new Input(3), new Dense(4, "relu"), new Dense(2, "softmax")).backend(cpu)) {
            m.build(3);
            m.compile(new Adafactor(0.05, -0.5, 1e-3, 0.05, 0.5, false), new SparseCategoricalCrossentropy());
            m.save(file);
        }
        try (Sequential back = Sequential.load(file, cpu)) {
            assertTrue(back.optimizer() instanceof Adafactor, String.valueOf(back.optimizer()));
            assertEquals(new Adafactor(0.05, -0.5, 1e-3, 0.05, 0.5, false).config(), back.optimizer().config());
        }
    }
}
