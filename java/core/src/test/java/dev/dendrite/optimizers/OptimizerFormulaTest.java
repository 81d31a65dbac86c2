package dev.dendrite.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * The first three steps of every optimizer against Keras 3's update formulas, written out by hand in double
 * precision for a weight {@code w0 = 0.5} and gradients {@code 0.2, -0.1, 0.4}; plus a literal value worked
 * by hand for the first step of each.
 *
 * <p>Tolerance 1e-6 absolute: the weights stay near 0.5, where float32 has a spacing of 6e-8, and three
 * steps of a few float operations each accumulate well under 1e-6.
 */
class OptimizerFormulaTest {
    private static final double W0 = 0.5;
    private static final double[] G = {0.2, -0.1, 0.4};
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    /** Runs three steps of {@code opt} on one weight and returns its value after each. */
    private static double[] run(Optimizer opt) {
        float[] init = opt.slotInitialValues();
        Buffer[] slots = new Buffer[init.length];
        try (Buffer p = cpu.allocate(DType.F32, 1); Buffer g = cpu.allocate(DType.F32, 1);
             Buffer hyper = cpu.allocate(DType.F32, 4); Buffer counters = cpu.allocate(DType.I32, 2)) {
            Slice[] s = new Slice[init.length];
            for (int i = 0; i < init.length; i++) {
                slots[i] = cpu.allocate(DType.F32, 1);
                cpu.fill(slots[i].all(), init[i]);
                s[i] = slots[i].all();
            }
            cpu.upload(new float[] {(float) W0}, 0, p.all());
            cpu.upload(new float[] {(float) opt.learningRate()}, 0, hyper.slice(Backend.HYPER_LR, 1));
            double[] out = new double[G.length];
            for (int t = 0; t < G.length; t++) {
                cpu.upload(new float[] {(float) G[t]}, 0, g.all());
                opt.update(cpu, p.all(), g.all(), s, 1, hyper.all(), counters.all());
                cpu.advanceCounters(counters.all());
                float[] v = new float[1];
                cpu.download(p.all(), v, 0);
                out[t] = v[0];
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

    private static void assertSteps(double[] expected, double[] got) {
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], got[t], 1e-6, "weight after step " + (t + 1));
        }
    }

    @Test
    void sgdPlain() {
        double w = W0;
        double[] e = new double[3];
        for (int t = 0; t < 3; t++) {
            w -= 0.1 * G[t];
            e[t] = w;
        }
        double[] got = run(new SGD(0.1));
        assertSteps(e, got);
        assertEquals(0.48, got[0], 1e-7, "0.5 - 0.1 * 0.2");
    }

    @Test
    void sgdMomentumAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            double w = W0;
            double v = 0;
            double[] e = new double[3];
            for (int t = 0; t < 3; t++) {
                v = 0.9 * v - 0.1 * G[t];
                w += nesterov ? 0.9 * v - 0.1 * G[t] : v;
                e[t] = w;
            }
            double[] got = run(new SGD(0.1, 0.9, nesterov));
            assertSteps(e, got);
            // Step 1 by hand: v = -0.02; plain w = 0.48; Nesterov w = 0.5 + 0.9 * -0.02 - 0.02 = 0.462.
            assertEquals(nesterov ? 0.462 : 0.48, got[0], 1e-7);
        }
    }

    @Test
    void adamAndAmsgrad() {
        for (boolean ams : new boolean[] {false, true}) {
            double lr = 0.01;
            double b1 = 0.9;
            double b2 = 0.999;
            double eps = 1e-7;
            double w = W0;
            double m = 0;
            double v = 0;
            double vmax = 0;
            double[] e = new double[3];
            for (int t = 1; t <= 3; t++) {
                double g = G[t - 1];
                double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                m += (g - m) * (1 - b1);
                v += (g * g - v) * (1 - b2);
                vmax = Math.max(vmax, v);
                w -= alpha * m / (Math.sqrt(ams ? vmax : v) + eps);
                e[t - 1] = w;
            }
            double[] got = run(new Adam(lr, b1, b2, eps, ams));
            assertSteps(e, got);
            // Step 1 by hand: m = 0.02, v = 4e-5, alpha = 0.01 * sqrt(0.001) / 0.1 = 0.0031623,
            // step = alpha * 0.02 / (0.0063246 + 1e-7) = 0.0099998: Adam's first step is about lr * sign(g).
            assertEquals(0.5 - 0.0099998, got[0], 2e-7);
        }
    }

    @Test
    void rmspropPlainMomentumCentered() {
        double[][] configs = {{0, 0}, {0.5, 0}, {0, 1}, {0.5, 1}};
        for (double[] c : configs) {
            double momentum = c[0];
            boolean centered = c[1] == 1;
            double lr = 0.01;
            double rho = 0.9;
            double eps = 1e-7;
            double w = W0;
            double ms = 0;
            double mg = 0;
            double mom = 0;
            double[] e = new double[3];
            for (int t = 0; t < 3; t++) {
                double g = G[t];
                ms = rho * ms + (1 - rho) * g * g;
                double denom = ms;
                if (centered) {
                    mg = rho * mg + (1 - rho) * g;
                    denom = ms - mg * mg;
                }
                double inc = lr * g / Math.sqrt(denom + eps);
                if (momentum > 0) {
                    mom = momentum * mom + inc;
                    w -= mom;
                } else {
                    w -= inc;
                }
                e[t] = w;
            }
            double[] got = run(new RMSprop(lr, rho, momentum, eps, centered));
            assertSteps(e, got);
            if (!centered) {
                // Step 1 by hand: ms = 0.1 * 0.04 = 0.004; inc = 0.01 * 0.2 / sqrt(0.0040001) = 0.0316224.
                assertEquals(0.5 - 0.0316224, got[0], 2e-7);
            }
        }
    }

    @Test
    void adagrad() {
        double lr = 0.1;
        double acc = 0.1;
        double w = W0;
        double[] e = new double[3];
        for (int t = 0; t < 3; t++) {
            acc += G[t] * G[t];
            w -= lr * G[t] / Math.sqrt(acc + 1e-7);
            e[t] = w;
        }
        double[] got = run(new Adagrad(lr));
        assertSteps(e, got);
        // Step 1 by hand: acc = 0.1 + 0.04 = 0.14; step = 0.1 * 0.2 / sqrt(0.1400001) = 0.0534522.
        assertEquals(0.5 - 0.0534522, got[0], 2e-7);
    }

    @Test
    void kerasDefaultsAndNames() {
        assertEquals(0.01, new SGD().learningRate());
        assertEquals(0.001, new Adam().learningRate());
        assertEquals(0.001, new RMSprop().learningRate());
        assertEquals(0.001, new Adagrad().learningRate());
        assertEquals(0.1f, new Adagrad().slotInitialValues()[0]);
        assertTrue(Optimizer.fromName("Adam") instanceof Adam);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.fromName("adabelief"));
        assertTrue(e.getMessage().contains("'adabelief'") && e.getMessage().contains("rmsprop"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SGD(-1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.001, 1.0, 0.999, 1e-7, false));
    }

    @Test
    void configRoundTrip() {
        for (Optimizer o : new Optimizer[] {new SGD(0.05, 0.9, true), new Adam(0.002, 0.8, 0.99, 1e-6, true),
            new RMSprop(0.003, 0.8, 0.1, 1e-6, true), new Adagrad(0.02, 0.2, 1e-6)}) {
            Optimizer back = Optimizer.fromConfig(o.name(), o.config());
            assertEquals(o.config(), back.config(), o.name());
        }
    }
}
