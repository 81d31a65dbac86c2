package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.DataSource;
import dev.dendrite.data.DataSourceException;
import dev.dendrite.data.Tensor;

/**
 * {@link FitOptions#sampleWeight}'s refusals, each naming the offending value, and that each sample keeps its weight
 * through the shuffled batches: weights of 0 for class 0 and 1 for the rest train exactly as the class weights
 * {0: 0} do, which the loss looks up from each row's own label. (KerasSampleWeightTest checks the weighting itself
 * against Keras.)
 */
class SampleWeightOptionsTest extends CpuModelTestBase {
    private static final int ROWS = 40;

    @Test
    void badWeightsAreRefused() {
        refuses("sampleWeight[2] is -1.0; expected a finite weight >= 0",
                () -> new FitOptions().sampleWeight(new float[] {1, 0, -1}));
        refuses("sampleWeight[0] is NaN; expected a finite weight >= 0",
                () -> new FitOptions().sampleWeight(new float[] {Float.NaN}));
        float[] w = {1, 2};
        FitOptions o = new FitOptions().sampleWeight(w);
        w[0] = 7; // the option keeps a copy
        assertArrayEquals(new float[] {1, 2}, o.sampleWeight());
        try (Sequential m = compiledSmallNet()) {
            refuses("sampleWeight has 39 weights; expected one per sample, 40",
                    () -> m.fit(x(), labels(), options().sampleWeight(new float[ROWS - 1])));
            refuses("sampleWeight and classWeight cannot be used together (Keras refuses them too); multiply each "
                    + "sample's weight by its class's and give sampleWeight alone",
                    () -> m.fit(x(), labels(), options().sampleWeight(new float[ROWS]).classWeight(Map.of(0, 2))));
            refuses("sampleWeight weighs the arrays given to fit, one weight per sample; a DataSource's batches "
                    + "carry their own (DataSource.of(x, y, sampleWeight, ...), or DataSource.Batch's sampleWeight)",
                    () -> m.fit(DataSource.of(x(), labels(), 8, false, 1), options().sampleWeight(new float[ROWS])));
        }
    }

    @Test
    void evaluateWeighsEachSamplesLoss() {
        float[] w = new float[ROWS];
        Random r = new Random(3);
        for (int i = 0; i < ROWS; i++) {
            w[i] = i % 6 == 0 ? 0f : 3 * r.nextFloat();
        }
        try (Sequential m = compiledSmallNet()) {
            Tensor x = x();
            int[] y = labels();
            // Keras's weighted loss: sum of w_i l_i over the N samples, / N; each l_i from the sample alone
            double expected = 0;
            for (int i = 0; i < ROWS; i++) {
                expected += w[i] * m.evaluate(x.rows(i, i + 1), new int[] {y[i]}).get("loss");
            }
            expected /= ROWS;
            Map<String, Double> weighted = m.evaluate(x, y, w);
            assertEquals(expected, weighted.get("loss"), 1e-5 * expected);
            assertEquals(m.evaluate(x, y).get("accuracy"), weighted.get("accuracy"), "the accuracy is not weighted");
            refuses("sampleWeight has 2 weights; expected one per sample, 40", () -> m.evaluate(x, y, new float[2]));
            refuses("sampleWeight[1] is -2.0; expected a finite weight >= 0",
                    () -> m.evaluate(x, y, new float[] {0, -2}));
        }
    }

    @Test
    void eachSampleKeepsItsWeightThroughTheShuffle() {
        for (int steps : new int[] {1, 3}) {
            FitOptions shuffled = options().shuffle(true).seed(9).stepsPerExecution(steps).validationSplit(0.2);
            assertTrainsAsClassZeroUnweighted(m -> m.fit(x(), labels(), shuffled.sampleWeight(zeroForClassZero())),
                    m -> m.fit(x(), labels(), options().shuffle(true).seed(9).stepsPerExecution(steps)
                            .validationSplit(0.2).classWeight(Map.of(0, 0.0))), "steps per execution " + steps);
        }
    }

    @Test
    void eachSampleKeepsItsWeightThroughAShuffledSource() {
        for (int prefetch : new int[] {0, 4}) {
            assertTrainsAsClassZeroUnweighted(
                    m -> m.fit(DataSource.of(x(), labels(), zeroForClassZero(), 8, true, 9),
                            options().prefetch(prefetch)),
                    m -> m.fit(DataSource.of(x(), labels(), 8, true, 9),
                            options().prefetch(prefetch).classWeight(Map.of(0, 0.0))), "prefetch " + prefetch);
        }
    }

    /** Weight 0 for the samples of class 0, 1 for the others. */
    private static float[] zeroForClassZero() {
        int[] y = labels();
        float[] w = new float[ROWS];
        for (int i = 0; i < ROWS; i++) {
            w[i] = y[i] == 0 ? 0f : 1f;
        }
        return w;
    }

    /**
     * Two copies of one net, one trained by {@code bySample} (weights from {@link #zeroForClassZero}), the other by
     * {@code byClass} (class weights {0: 0}, which the loss looks up from each row's own label), end with the same
     * losses and weights bit for bit: each sample kept its own weight.
     */
    private static void assertTrainsAsClassZeroUnweighted(Function<Sequential, History> bySample,
                                                          Function<Sequential, History> byClass, String what) {
        try (Sequential a = sgdNet(); Sequential b = sgdNet()) {
            b.setWeights(a.getWeights());
            History ha = bySample.apply(a);
            History hb = byClass.apply(b);
            assertEquals(hb.get("loss"), ha.get("loss"), what);
            List<float[]> wa = a.getWeights();
            List<float[]> wb = b.getWeights();
            for (int i = 0; i < wa.size(); i++) {
                assertArrayEquals(wb.get(i), wa.get(i), "weight " + i + ", " + what);
            }
        }
    }

    @Test
    void aWeightedValidationSourceGivesTheWeightedValidationLoss() {
        float[] w = new float[ROWS];
        Random r = new Random(5);
        for (int i = 0; i < ROWS; i++) {
            w[i] = 3 * r.nextFloat();
        }
        Tensor vx = gaussianInputs(ROWS, 14);
        History arrays;
        try (Sequential m = compiledSmallNet()) {
            arrays = m.fit(x(), labels(), options().validationData(vx, labels(), w));
        }
        try (Sequential m = compiledSmallNet()) {
            History h = m.fit(x(), labels(), options().validationData(DataSource.of(vx, labels(), w, 6, false, 0)));
            assertEquals(arrays.get("loss"), h.get("loss"));
            for (int e = 0; e < 2; e++) {
                // Seven batch sums weighted by their sizes against one sum: float rounding apart, so 1e-6 relative.
                assertEquals(arrays.get("val_loss").get(e), h.get("val_loss").get(e),
                        1e-6 * arrays.get("val_loss").get(e), "epoch " + e);
            }
        }
    }

    @Test
    void badWeightsInASourceAreRefused() {
        Tensor x = x();
        int[] y = labels();
        refuses("sampleWeight[1] is -2.0; expected a finite weight >= 0",
                () -> new DataSource.Batch(x.rows(0, 2), new int[2], null, new float[] {1, -2}));
        refuses("batch has 2 samples but 3 sample weights; expected one weight per sample",
                () -> new DataSource.Batch(x.rows(0, 2), new int[2], null, new float[3]));
        refuses("batch has sample weights but no labels or targets; expected weights only beside what they weigh",
                () -> new DataSource.Batch(x.rows(0, 2), null, null, new float[2]));
        refuses("batch has 40 samples but 39 sample weights; expected one weight per sample",
                () -> DataSource.of(x, y, new float[ROWS - 1], 8, false, 0));
        float[] w = new float[ROWS];
        w[ROWS - 1] = Float.POSITIVE_INFINITY;
        refuses("sampleWeight[39] is Infinity; expected a finite weight >= 0",
                () -> DataSource.of(x, y, w, 8, false, 0));
        try (Sequential m = compiledSmallNet()) {
            refuses("sampleWeight and classWeight cannot be used together (Keras refuses them too); multiply each "
                    + "sample's weight by its class's and give sampleWeight alone",
                    () -> m.fit(DataSource.of(x, y, new float[ROWS], 8, false, 0),
                            options().classWeight(Map.of(1, 2))));
            DataSource mixed = new DataSource() {
                @Override
                public int batchesPerEpoch() {
                    return 2;
                }

                @Override
                public Batch batch(int index) {
                    return new Batch(x.rows(0, 8), new int[8], null, index == 0 ? new float[8] : null);
                }
            };
            DataSourceException e = assertThrows(DataSourceException.class, () -> m.fit(mixed, options()));
            assertEquals("the training data source failed at batch 1: no sample weights, unlike the first batch;"
                    + " expected every batch to carry them or none", e.getMessage());
        }
    }


    private static FitOptions options() {
        return new FitOptions().batchSize(8).epochs(2).shuffle(false).verbose(0);
    }

    private static Tensor x() {
        return gaussianInputs(ROWS, 13);
    }

    private static int[] labels() {
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 4 == 0 ? 2 : i % 3 == 0 ? 1 : 0;
        }
        return y;
    }

}
