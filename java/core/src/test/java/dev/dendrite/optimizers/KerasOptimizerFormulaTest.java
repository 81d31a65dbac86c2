package dev.dendrite.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * The first three steps of AdamW, Adamax, Nadam, Lion, Adadelta, Ftrl and Lamb, and of the gradient options (clipnorm per
 * variable, global_clipnorm, clipvalue, weight decay before the update), against Keras 3's formulas written out
 * by hand in double precision (keras/src/optimizers/*.py and base_optimizer.py), through {@link Optimizer#apply}
 * as a training step issues it. Three parameters in two variables ({@code a} of two elements, {@code b} of one),
 * so that per-variable and global norms differ.
 *
 * <p>Tolerance 1e-6 absolute: the weights stay near 0.5, where float32 has a spacing of 6e-8, and three steps of
 * a few float operations each accumulate well under 1e-6, while each formula's alternatives (epsilon's place, the
 * order of decay and update, which norm) differ by 1e-5 or more at these values.
 */
class KerasOptimizerFormulaTest {
    private static final double[] W0 = {0.5, -0.3, 0.8};
    private static final double[][] G = {{0.2, -0.1, 0.4}, {-0.3, 0.05, 0.1}, {0.25, 0.2, -0.6}};
    /** Variable a = elements 0 and 1, variable b = element 2. */
    private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(
            new ParameterLayout.Variable("a", 0, new int[] {2}), new ParameterLayout.Variable("b", 2, new int[] {1})));
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
        return steps(cpu, opt, LAYOUT, W0, G);
    }

    /**
     * {@code gs.length} steps of {@code opt} over the weights {@code w0} of {@code layout} on {@code cpu}, through
     * {@link Optimizer#apply}; the weights after each step.
     */
    static double[][] steps(Backend cpu, Optimizer opt, ParameterLayout layout, double[] w0, double[][] gs) {
        opt.build(layout);
        int n = w0.length;
        float[] init = opt.slotInitialValues();
        Buffer[] slots = new Buffer[init.length];
        try (Buffer p = cpu.allocate(DType.F32, n); Buffer g = cpu.allocate(DType.F32, n);
             Buffer hyper = cpu.allocate(DType.F32, 4); Buffer counters = cpu.allocate(DType.I32, 2)) {
            Slice[] s = new Slice[init.length];
            for (int i = 0; i < init.length; i++) {
                slots[i] = cpu.allocate(DType.F32, n);
                cpu.fill(slots[i].all(), init[i]);
                s[i] = slots[i].all();
            }
            cpu.upload(toFloat(w0), 0, p.all());
            cpu.upload(new float[] {(float) opt.learningRate()}, 0, hyper.slice(Backend.HYPER_LR, 1));
            double[][] out = new double[gs.length][n];
            for (int t = 0; t < gs.length; t++) {
                cpu.upload(toFloat(gs[t]), 0, g.all());
                opt.apply(cpu, p.all(), g.all(), s, n, hyper.all(), counters.all());
                cpu.advanceCounters(counters.all());
                float[] v = new float[n];
                cpu.download(p.all(), v, 0);
                for (int i = 0; i < n; i++) {
                    out[t][i] = v[i];
                }
            }
            return out;
        } finally {
            for (Buffer b : slots) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    private static float[] toFloat(double[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) x[i];
        }
        return r;
    }

    private static void assertSteps(double[][] expected, double[][] got, String what) {
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < expected[t].length; i++) {
                assertEquals(expected[t][i], got[t][i], 1e-6, what + ": weight " + i + " after step " + (t + 1));
            }
        }
    }

    /** A per-element rule: {@code step(t, i, g, w)} returns the new weight; state lives in the lambda's arrays. */
    private interface Rule {
        double step(int t, int i, double g, double w);
    }

    private static double[][] expected(Rule rule) {
        double[] w = W0.clone();
        double[][] e = new double[G.length][];
        for (int t = 1; t <= G.length; t++) {
            for (int i = 0; i < w.length; i++) {
                w[i] = rule.step(t, i, G[t - 1][i], w[i]);
            }
            e[t - 1] = w.clone();
        }
        return e;
    }

    @Test
    void adamWDecaysBeforeAdamsStep() {
        double lr = 0.01;
        double wd = 0.1;
        double[] m = new double[3];
        double[] v = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            w = w - w * wd * lr; // base_optimizer._apply_weight_decay, before update_step
            m[i] += (g - m[i]) * 0.1;
            v[i] += (g * g - v[i]) * 0.001;
            double alpha = lr * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
            return w - alpha * m[i] / (Math.sqrt(v[i]) + 1e-7);
        });
        assertSteps(e, run(new AdamW(lr, wd, 0.9, 0.999, 1e-7, false)), "AdamW");
        // Step 1 of weight 0 by hand: 0.5 - 0.5 * 0.001 = 0.4995, then Adam's first step of about lr: 0.4895002.
        assertEquals(0.4895002, run(new AdamW(lr, wd, 0.9, 0.999, 1e-7, false))[0][0], 2e-7);
        assertEquals(0.004, new AdamW().gradientOptions().weightDecay());
    }

    @Test
    void adamax() {
        double lr = 0.02;
        double[] m = new double[3];
        double[] u = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            m[i] += (g - m[i]) * (1 - 0.9);
            u[i] = Math.max(0.999 * u[i], Math.abs(g));
            return w - lr * m[i] / ((1 - Math.pow(0.9, t)) * (u[i] + 1e-7));
        });
        assertSteps(e, run(new Adamax(lr)), "Adamax");
        // Step 1 by hand: m = 0.02, u = 0.2, step = 0.02 * 0.02 / (0.1 * 0.2000001) = 0.0199999.
        assertEquals(0.5 - 0.0199999, run(new Adamax(lr))[0][0], 2e-7);
    }

    @Test
    void nadam() {
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double[] m = new double[3];
        double[] v = new double[3];
        double[] product = {1};
        double[][] e = expected((t, i, g, w) -> {
            if (i == 0) { // Nadam._backend_update_step, once per step before the variables
                product[0] *= b1 * (1 - 0.5 * Math.pow(0.96, t));
            }
            double ut = b1 * (1 - 0.5 * Math.pow(0.96, t));
            double ut1 = b1 * (1 - 0.5 * Math.pow(0.96, t + 1));
            double productNext = product[0] * ut1;
            m[i] += (g - m[i]) * (1 - b1);
            v[i] += (g * g - v[i]) * (1 - b2);
            double mHat = ut1 * m[i] / (1 - productNext) + (1 - ut) * g / (1 - product[0]);
            double vHat = v[i] / (1 - Math.pow(b2, t));
            return w - mHat * lr / (Math.sqrt(vHat) + 1e-7);
        });
        assertSteps(e, run(new Nadam(lr)), "Nadam");
    }

    @Test
    void lion() {
        double lr = 0.01;
        double[] m = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            double next = w - lr * Math.signum(m[i] * 0.9 + g * (1 - 0.9));
            m[i] = m[i] * 0.99 + g * (1 - 0.99);
            return next;
        });
        assertSteps(e, run(new Lion(lr)), "Lion");
        assertEquals(0.49, run(new Lion(lr))[0][0], 1e-7, "a first step of exactly lr against the gradient's sign");
    }

    @Test
    void adadelta() {
        double lr = 1.0;
        double rho = 0.95;
        double eps = 1e-7;
        double[] ag = new double[3];
        double[] ad = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            ag[i] = rho * ag[i] + (1 - rho) * g * g;
            double delta = -Math.sqrt(ad[i] + eps) * g / Math.sqrt(ag[i] + eps);
            ad[i] = rho * ad[i] + (1 - rho) * delta * delta;
            return w + lr * delta;
        });
        assertSteps(e, run(new Adadelta(lr)), "Adadelta");
    }

    @Test
    void ftrlWithEveryRegularisation() {
        double lr = 0.1;
        double power = -0.5;
        double l1 = 0.01;
        double l2 = 0.02;
        double shrink = 0.03;
        double beta = 0.5;
        double[] acc = {0.1, 0.1, 0.1};
        double[] linear = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            double l2Total = l2 + beta / (2 * lr);
            double gradToUse = g + 2 * shrink * w;
            double newAcc = acc[i] + g * g;
            linear[i] += gradToUse - (Math.pow(newAcc, -power) - Math.pow(acc[i], -power)) / lr * w;
            double quadratic = Math.pow(newAcc, -power) / lr + 2 * l2Total;
            double clipped = Math.min(Math.max(linear[i], -l1), l1);
            acc[i] = newAcc;
            return (clipped - linear[i]) / quadratic;
        });
        assertSteps(e, run(new Ftrl(lr, power, 0.1, l1, l2, shrink, beta)), "Ftrl");
        // Keras's defaults, step 1 of weight 0 by hand: acc' = 0.14, linear = 0.2 - (sqrt(0.14) - sqrt(0.1)) / 0.1
        // * 0.5 = -0.0896899; l1 = 0 clips it to 0, so w = 0.0896899 / (sqrt(0.14) / 0.1) = 0.0239706.
        assertEquals(0.0239706, run(new Ftrl(lr))[0][0], 2e-7);
    }

    /** The trust ratio is per variable: a = elements 0-1, b = element 2. */
    @Test
    void lambScalesEachVariableByItsTrustRatio() {
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-7;
        double[] w = W0.clone();
        double[] m = new double[3];
        double[] v = new double[3];
        double[][] e = new double[3][];
        int[][] variables = {{0, 1}, {2}};
        for (int t = 1; t <= 3; t++) {
            double[] u = new double[3];
            for (int i = 0; i < 3; i++) {
                double g = G[t - 1][i];
                m[i] += (g - m[i]) * (1 - b1);
                v[i] += (g * g - v[i]) * (1 - b2);
                u[i] = (m[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + eps);
            }
            for (int[] var : variables) {
                double ws = 0;
                double us = 0;
                for (int i : var) {
                    ws += w[i] * w[i];
                    us += u[i] * u[i];
                }
                double ratio = Math.sqrt(ws) / Math.sqrt(us);
                for (int i : var) {
                    w[i] -= ratio * lr * u[i];
                }
            }
            e[t - 1] = w.clone();
        }
        assertSteps(e, run(new Lamb(lr)), "Lamb");
        // Step 1 of b by hand: u = 1 (Adam's first direction, about sign(g)), ||w|| = 0.8, so w = 0.8 - 0.01 * 0.8.
        assertEquals(0.792, run(new Lamb(lr))[0][2], 2e-7);
    }

    /** SGD with each clipping option, so that the gradient that reaches the update is visible directly. */
    @Test
    void clippingOptionsAsKerasDefinesThem() {
        double lr = 0.1;
        // clipnorm: each variable on its own (a = elements 0-1, b = element 2).
        double[] w = W0.clone();
        double[][] e = new double[3][];
        for (int t = 0; t < 3; t++) {
            double[] g = G[t].clone();
            double na = Math.hypot(g[0], g[1]);
            double nb = Math.abs(g[2]);
            g[0] = g[0] * 0.15 / Math.max(na, 0.15);
            g[1] = g[1] * 0.15 / Math.max(na, 0.15);
            g[2] = g[2] * 0.15 / Math.max(nb, 0.15);
            for (int i = 0; i < 3; i++) {
                w[i] -= lr * g[i];
            }
            e[t] = w.clone();
        }
        assertSteps(e, run(new SGD(lr).setGradientOptions(GradientOptions.NONE.withClipnorm(0.15))), "clipnorm");
        // global_clipnorm: one norm over all three.
        w = W0.clone();
        for (int t = 0; t < 3; t++) {
            double[] g = G[t];
            double norm = Math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
            double scale = 0.15 * Math.min(1 / norm, 1 / 0.15);
            for (int i = 0; i < 3; i++) {
                w[i] -= lr * g[i] * scale;
            }
            e[t] = w.clone();
        }
        assertSteps(e, run(new SGD(lr).setGradientOptions(GradientOptions.NONE.withGlobalClipnorm(0.15))),
                "global_clipnorm");
        // clipvalue
        w = W0.clone();
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 3; i++) {
                w[i] -= lr * Math.min(Math.max(G[t][i], -0.15), 0.15);
            }
            e[t] = w.clone();
        }
        assertSteps(e, run(new SGD(lr).setGradientOptions(GradientOptions.NONE.withClipvalue(0.15))), "clipvalue");
    }

    /** Weight decay then clipping then momentum: each in Keras's order. */
    @Test
    void weightDecayComesBeforeTheUpdateAndAfterClipping() {
        double lr = 0.1;
        double wd = 0.2;
        double[] vel = new double[3];
        double[][] e = expected((t, i, g, w) -> {
            double clipped = Math.min(Math.max(g, -0.15), 0.15);
            w = w - w * wd * lr;
            vel[i] = 0.9 * vel[i] - lr * clipped;
            return w + vel[i];
        });
        Optimizer sgd = new SGD(lr, 0.9).setGradientOptions(GradientOptions.NONE.withClipvalue(0.15)
                .withWeightDecay(wd));
        assertSteps(e, run(sgd), "SGD momentum with clipvalue and weight_decay");
    }

    @Test
    void clipnormNeedsTheLayout() {
        Optimizer o = new SGD(0.1).setGradientOptions(GradientOptions.NONE.withClipnorm(1.0));
        try (Buffer p = cpu.allocate(DType.F32, 3); Buffer hyper = cpu.allocate(DType.F32, 1);
             Buffer counters = cpu.allocate(DType.I32, 2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> o.apply(cpu, p.all(), p.all(), new Slice[0], 3, hyper.all(), counters.all()));
            assertTrue(e.getMessage().contains("layout"), e.getMessage());
        }
    }

    @Test
    void onlyOneClippingAndBadValuesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradientOptions.NONE.withClipnorm(1.0).withClipvalue(0.5));
        assertTrue(e.getMessage().contains("Only one of") && e.getMessage().contains("clipvalue=0.5"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientOptions.NONE.withGlobalClipnorm(0.0));
        assertTrue(e.getMessage().contains("global_clipnorm 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientOptions.NONE.withWeightDecay(-0.1));
        assertTrue(e.getMessage().contains("weight_decay -0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Lion(0.001, 0.0, 0.99));
        assertTrue(e.getMessage().contains("beta_1 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Nadam(0.001, 1.0, 0.999, 1e-7));
        assertThrows(IllegalArgumentException.class, () -> new Adamax(0.001, 0.9, 1.0, 1e-7));
        assertThrows(IllegalArgumentException.class, () -> new Adadelta(0.001, 1.5, 1e-7));
    }

    @Test
    void kerasNamesDefaultsAndConfigRoundTrip() {
        assertTrue(Optimizer.fromName("AdamW") instanceof AdamW);
        assertTrue(Optimizer.fromName("adadelta") instanceof Adadelta);
        assertTrue(Optimizer.fromName("adamax") instanceof Adamax);
        assertTrue(Optimizer.fromName("nadam") instanceof Nadam);
        assertTrue(Optimizer.fromName("lion") instanceof Lion);
        assertTrue(Optimizer.fromName("ftrl") instanceof Ftrl);
        assertTrue(Optimizer.fromName("lamb") instanceof Lamb);
        assertEquals(0.1f, new Ftrl().slotInitialValues()[0]);
        assertEquals(0.001, new AdamW().learningRate());
        assertEquals(0.001, new Adadelta().learningRate());
        assertEquals(0.95, ((Number) new Adadelta().config().get("rho")).doubleValue(), 1e-7);
        assertEquals(0.99, ((Number) new Lion().config().get("beta_2")).doubleValue(), 1e-7);
        for (Optimizer o : new Optimizer[] {new AdamW(0.002, 0.01, 0.8, 0.99, 1e-6, true),
            new Adadelta(0.5, 0.9, 1e-6), new Adamax(0.003, 0.8, 0.99, 1e-6), new Nadam(0.004, 0.8, 0.99, 1e-6),
            new Lion(0.0003, 0.8, 0.95), new Ftrl(0.05, -0.3, 0.2, 0.01, 0.02, 0.03, 0.4),
            new Lamb(0.003, 0.8, 0.99, 1e-6),
            new Adam(0.01).setGradientOptions(GradientOptions.NONE.withClipnorm(0.5).withWeightDecay(0.01)),
            new SGD(0.1).setGradientOptions(GradientOptions.NONE.withGlobalClipnorm(2.0)),
            new RMSprop(0.01).setGradientOptions(GradientOptions.NONE.withClipvalue(0.1))}) {
            Optimizer back = Optimizer.fromConfig(o.name(), o.config());
            assertEquals(o.config(), back.config(), o.name());
            assertEquals(o.getClass(), back.getClass(), o.name());
        }
        // Keras's own config spells unset options as null.
        Map<String, Object> keras = new HashMap<>();
        keras.put("learning_rate", 0.01);
        keras.put("clipnorm", null);
        keras.put("global_clipnorm", 1.5);
        keras.put("weight_decay", null);
        Optimizer o = Optimizer.fromConfig("nadam", keras);
        assertEquals(1.5, o.gradientOptions().globalClipnorm());
        assertEquals(null, o.gradientOptions().weightDecay());
    }

    /** The options travel in the model file with the rest of the optimizer's config. */
    @Test
    void modelFileKeepsTheOptions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.dendrite");
        try (Sequential m = new Sequential(new Input(3), new Dense(2, "softmax")).backend(cpu)) {
            m.build(3);
            m.compile(new AdamW(0.002, 0.02, 0.9, 0.999, 1e-7, false)
                    .setGradientOptions(new AdamW().gradientOptions().withWeightDecay(0.02).withClipnorm(0.7)),
                    new SparseCategoricalCrossentropy());
            m.save(file);
        }
        assertTrue(Files.size(file) > 0);
        try (Sequential back = Sequential.load(file, cpu)) {
            assertTrue(back.optimizer() instanceof AdamW, String.valueOf(back.optimizer()));
            assertEquals(0.7, back.optimizer().gradientOptions().clipnorm());
            assertEquals(0.02, back.optimizer().gradientOptions().weightDecay(), 1e-12);
            assertEquals(0.002, back.optimizer().learningRate(), 1e-12);
        }
    }
}
