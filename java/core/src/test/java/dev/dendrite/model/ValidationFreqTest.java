package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.data.Tensor;

/**
 * {@link FitOptions#validationFreq}, Keras's {@code validation_freq}: validation runs after the epochs it names and
 * only those, the others' logs lack the {@code val_} keys (NaN in the history, whose lists stay one per epoch), and
 * skipping it changes no training step.
 */
class ValidationFreqTest extends CpuModelTestBase {
    private static final Double NaN = Double.NaN;
    private static final int ROWS = 48;

    @Test
    void validatesAfterTheEpochsNamed() {
        List<Double> every = run(new FitOptions()).get("val_loss");
        assertEquals(5, every.size());
        History second = runHistory(new FitOptions().validationFreq(2));
        assertEquals(List.of(NaN, every.get(1), NaN, every.get(3), NaN), second.get("val_loss"));
        assertEquals(List.of(every.get(0), NaN, NaN, every.get(3), every.get(4)),
                run(new FitOptions().validationFreq(List.of(5, 1, 4))).get("val_loss"));
        // the training itself is the same: every epoch's loss, with or without validation after it
        assertEquals(run(new FitOptions()).get("loss"), second.get("loss"));
        assertEquals(5, second.get("loss").size());
    }

    @Test
    void aMonitorWaitsForTheEpochsThatValidate() {
        // patience 0 and a min_delta no epoch can beat: the first validated epoch (the 2nd) sets the best, the next
        // one (the 4th) fails to improve and stops the fit; the 1st and 3rd, without val_loss, count for nothing
        History h = runHistory(new FitOptions().validationFreq(2).callbacks(new EarlyStopping("val_loss", 0)
                .minDelta(10)));
        List<Double> val = h.get("val_loss");
        assertEquals(4, val.size(), "epochs run: " + val);
        assertTrue(Double.isNaN(val.get(0)) && Double.isNaN(val.get(2)), val.toString());
        assertTrue(Double.isFinite(val.get(1)) && Double.isFinite(val.get(3)), val.toString());
    }

    @Test
    void badFrequenciesAreRefused() {
        assertEquals("validationFreq 0; expected >= 1 (validate every n-th epoch)",
                assertThrows(IllegalArgumentException.class, () -> new FitOptions().validationFreq(0)).getMessage());
        assertEquals("validationFreq epoch 0; expected epochs counted from 1", assertThrows(
                IllegalArgumentException.class, () -> new FitOptions().validationFreq(List.of(2, 0))).getMessage());
        assertEquals("validationFreq: no epochs; expected the epochs (from 1) to validate after", assertThrows(
                IllegalArgumentException.class, () -> new FitOptions().validationFreq(List.of())).getMessage());
    }

    private static java.util.Map<String, List<Double>> run(FitOptions options) {
        return runHistory(options).history();
    }

    private static History runHistory(FitOptions options) {
        Random r = new Random(11);
        float[] x = new float[ROWS * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = x[i * 4] > 0 ? (x[i * 4 + 1] > 0 ? 2 : 1) : 0;
        }
        try (Sequential m = compiledSmallNet()) {
            m.setWeights(weights());
            return m.fit(Tensor.wrap(x, ROWS, 4), y, options.batchSize(8).epochs(5).seed(3).verbose(0)
                    .validationSplit(0.25));
        }
    }

    /** The same starting weights for every run. */
    private static List<float[]> weights() {
        try (Sequential m = compiledSmallNet()) {
            Random r = new Random(5);
            List<float[]> w = m.getWeights();
            for (float[] a : w) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (0.3 * r.nextGaussian());
                }
            }
            return w;
        }
    }
}
