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
import dev.dendrite.optimizers.schedules.ExponentialDecay;

/**
 * The first steps of the optimizer options ({@link UpdatePlan}: Keras 2's decay, a schedule, gradient accumulation,
 * EMA with and without overwriting) against Keras's formulas written out by hand in double precision, for one
 * weight {@code w0 = 0.5} and gradients {@code 0.2, -0.1, 0.4, 0.3}. Tolerance 1e-6 absolute, as
 * {@link OptimizerFormulaTest}: weights near 0.5, a few float operations per step.
 */
class OptimizerOptionsFormulaTest {
    private static final double W0 = 0.5;
    private static final double[] G = {0.2, -0.1, 0.4, 0.3};
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    /** The weight after each step of {@code opt} (options included) and, last, what {@link UpdatePlan#finish} leaves. */
    private static double[] run(Optimizer opt) {
        float[] init = opt.slotInitialValues();
        Buffer[] slots = new Buffer[init.length];
        try (Buffer p = cpu.allocate(DType.F32, 1); Buffer g = cpu.allocate(DType.F32, 1);
             Buffer hyper = cpu.allocate(DType.F32, 4); Buffer counters = cpu.allocate(DType.I32, 2);
             UpdatePlan plan = new UpdatePlan(cpu, opt, 1, init.length)) {
            Slice[] s = new Slice[init.length];
            for (int i = 0; i < init.length; i++) {
                slots[i] = cpu.allocate(DType.F32, 1);
                cpu.fill(slots[i].all(), init[i]);
                s[i] = slots[i].all();
            }
            cpu.upload(new float[] {(float) W0}, 0, p.all());
            cpu.upload(new float[] {(float) opt.learningRate()}, 0, hyper.slice(Backend.HYPER_LR, 1));
            cpu.upload(new int[] {0, 0}, 0, counters.all());
            double[] out = new double[G.length + 1];
            float[] v = new float[1];
            for (int t = 0; t < G.length; t++) {
                cpu.upload(new float[] {(float) G[t]}, 0, g.all());
                plan.update(p.all(), g.all(), s, hyper.all(), counters.all());
                cpu.advanceCounters(counters.all());
                cpu.download(p.all(), v, 0);
                out[t] = v[0];
            }
            plan.finish(p.all(), G.length);
            cpu.download(p.all(), v, 0);
            out[G.length] = v[0];
            return out;
        } finally {
            for (Buffer b : slots) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    private static void assertSteps(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, what + ", step " + i);
        }
    }

    @Test
    void legacyDecayIsKeras2InverseTimeDecayPerStep() {
        SGD sgd = new SGD(0.1);
        sgd.options().decay(0.5);
        double[] e = new double[G.length + 1];
        double w = W0;
        for (int t = 0; t < G.length; t++) {
            w -= 0.1 / (1 + 0.5 * t) * G[t];
            e[t] = w;
        }
        e[G.length] = w;
        assertSteps(e, run(sgd), "SGD(0.1, decay=0.5)");
        assertEquals(0.1 / (1 + 0.5 * 3), sgd.learningRateAt(3), 1e-8);
    }

    @Test
    void aScheduleSetsEachStepsRate() {
        SGD sgd = new SGD(new ExponentialDecay(0.2, 2, 0.5, true));
        double[] e = new double[G.length + 1];
        double w = W0;
        for (int t = 0; t < G.length; t++) {
            w -= 0.2 * Math.pow(0.5, Math.floor(t / 2.0)) * G[t];
            e[t] = w;
        }
        e[G.length] = w;
        assertSteps(e, run(sgd), "SGD(ExponentialDecay(0.2, 2, 0.5, staircase))");
        IllegalStateException x = assertThrows(IllegalStateException.class, () -> sgd.setLearningRate(0.1));
        assertTrue(x.getMessage().contains("schedule"), x.getMessage());
    }

    /** Adam over 2-step accumulation: nothing moves on steps 0 and 2; steps 1 and 3 apply the means with t = 1, 2. */
    @Test
    void accumulationAppliesTheMeanEveryNSteps() {
        Adam adam = new Adam(0.01);
        adam.options().gradientAccumulationSteps(2);
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-7;
        double m = 0;
        double v = 0;
        double w = W0;
        double[] e = new double[G.length + 1];
        for (int t = 0; t < G.length; t++) {
            if (t % 2 == 1) {
                double g = (G[t - 1] + G[t]) / 2;
                int step = t / 2 + 1;
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                w -= 0.01 * Math.sqrt(1 - Math.pow(b2, step)) / (1 - Math.pow(b1, step)) * m / (Math.sqrt(v) + eps);
            }
            e[t] = w;
        }
        e[G.length] = w;
        assertSteps(e, run(adam), "Adam(0.01, gradient_accumulation_steps=2)");
    }

    /** SGD with EMA 0.8, overwriting every 3 iterations: average_0 = w_1, average_t = 0.8 average + 0.2 w. */
    @Test
    void emaAveragesOverwritesAndFinishes() {
        SGD sgd = new SGD(0.1);
        sgd.options().useEma(true).emaMomentum(0.8).emaOverwriteFrequency(3);
        double w = W0;
        double avg = 0;
        double[] e = new double[G.length + 1];
        for (int t = 0; t < G.length; t++) {
            w -= 0.1 * G[t];
            double mom = t == 0 ? 0 : 0.8;
            avg = mom * avg + (1 - mom) * w;
            if ((t + 1) % 3 == 0) {
                w = avg;
            }
            e[t] = w;
        }
        e[G.length] = avg; // finalize_variable_values
        double[] got = run(sgd);
        assertSteps(e, got, "SGD(0.1, use_ema, ema_momentum=0.8, ema_overwrite_frequency=3)");
        assertTrue(Math.abs(got[G.length] - got[G.length - 1]) > 1e-3, "the average differs from the last weight");
    }

    @Test
    void optionsRejectKerasInvalidValues() {
        OptimizerOptions o = new Adam().options();
        assertThrows(IllegalArgumentException.class, () -> o.gradientAccumulationSteps(1));
        assertThrows(IllegalArgumentException.class, () -> o.emaMomentum(1.5));
        assertThrows(IllegalArgumentException.class, () -> o.emaOverwriteFrequency(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.decay(-0.1));
        assertTrue(e.getMessage().contains("-0.1"), e.getMessage());
        Adam both = new Adam(new ExponentialDecay(0.1, 10, 0.9));
        both.options().decay(0.01);
        e = assertThrows(IllegalArgumentException.class, () -> new UpdatePlan(cpu, both, 1, 2));
        assertTrue(e.getMessage().contains("decay"), e.getMessage());
    }
}
