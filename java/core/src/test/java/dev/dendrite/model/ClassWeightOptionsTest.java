package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.DataSource;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;

/**
 * {@link FitOptions#classWeight}'s refusals, each naming the offending value, and its scope: a fit's weights end with
 * the fit, so evaluate and a later fit without them are unweighted. (KerasClassWeightTest checks the weighting itself
 * against Keras.)
 */
class ClassWeightOptionsTest extends CpuModelTestBase {
    private static final int ROWS = 40;

    @Test
    void badWeightsAreRefusedByTheOption() {
        refuses("classWeight class -1; expected a class index >= 0", () -> new FitOptions().classWeight(Map.of(-1, 2)));
        refuses("classWeight of class 2 is -0.5; expected a finite weight >= 0",
                () -> new FitOptions().classWeight(Map.of(2, -0.5)));
        refuses("classWeight of class 0 is NaN; expected a finite weight >= 0",
                () -> new FitOptions().classWeight(Map.of(0, Double.NaN)));
        refuses("classWeight of class 1 is Infinity; expected a finite weight >= 0",
                () -> new FitOptions().classWeight(Map.of(1, Double.POSITIVE_INFINITY)));
        Map<Integer, Double> withNull = new HashMap<>();
        withNull.put(1, null);
        assertThrows(NullPointerException.class, () -> new FitOptions().classWeight(withNull));
        assertEquals(Map.of(0, 0.0, 3, 2.5), new FitOptions().classWeight(Map.of(3, 2.5f, 0, 0)).classWeight());
    }

    @Test
    void balancedWeightsAreScikitLearns() {
        // sklearn.utils.class_weight.compute_class_weight("balanced", classes=[0, 2, 5], y=y): n / (k * count)
        int[] y = {0, 0, 0, 0, 0, 0, 2, 2, 5, 0};
        assertEquals(Map.of(0, 10 / (3.0 * 7), 2, 10 / (3.0 * 2), 5, 10 / 3.0), FitOptions.balancedClassWeight(y));
        refuses("balancedClassWeight: label -2 at index 1; expected a class index >= 0",
                () -> FitOptions.balancedClassWeight(new int[] {1, -2}));
        refuses("balancedClassWeight: no labels; expected at least one class index",
                () -> FitOptions.balancedClassWeight(new int[0]));
    }

    @Test
    void fitRefusesWeightsTheModelCannotUse() {
        try (Sequential m = compiledSmallNet()) {
            refuses("classWeight names class 3, but the model has classes 0 to 2 (sparse_categorical_crossentropy, "
                    + "3 outputs)", () -> m.fit(x(), labels(), options().classWeight(Map.of(3, 2.0))));
        }
        try (Sequential m = new Sequential(new Input(4), new Dense(3)).backend(cpu)) {
            m.compile("sgd", "mse");
            refuses("class weights weigh the samples of a classifier: the loss must be "
                    + "sparse_categorical_crossentropy, categorical_crossentropy or binary_crossentropy with one "
                    + "output, not mean_squared_error",
                    () -> m.fit(x(), Tensor.wrap(new float[ROWS * 3], ROWS, 3), options().classWeight(Map.of(0, 2))));
        }
        try (Sequential m = new Sequential(new Input(4), new Dense(2, "sigmoid")).backend(cpu)) {
            m.compile("sgd", "binary_crossentropy");
            refuses("class weights with binary_crossentropy need one output (a binary classifier, classes 0 and 1), "
                    + "not 2; for exclusive classes use a softmax output with categorical_crossentropy",
                    () -> m.fit(x(), Tensor.wrap(new float[ROWS * 2], ROWS, 2), options().classWeight(Map.of(1, 2))));
        }
    }

    @Test
    void aDataSourceFitIsWeightedAsAnArrayFit() {
        Map<Integer, Double> weights = Map.of(0, 0.2, 2, 4.0);
        try (Sequential arrays = sgdNet(); Sequential source = sgdNet()) {
            source.setWeights(arrays.getWeights());
            History a = arrays.fit(x(), labels(), options().classWeight(weights));
            History s = source.fit(DataSource.of(x(), labels(), 8, false, 1), options().classWeight(weights));
            assertEquals(a.get("loss"), s.get("loss"));
            assertWeightsEqual(arrays.getWeights(), source.getWeights());
        }
    }

    @Test
    void theWeightsEndWithTheirFit() {
        Map<Integer, Double> weights = Map.of(0, 0.2, 2, 4.0);
        // plain SGD keeps no state, so a model's later fit and a fresh model's first fit take the same steps
        try (Sequential weighted = sgdNet(); Sequential plain = sgdNet()) {
            plain.setWeights(weighted.getWeights());
            Map<String, Double> before = weighted.evaluate(x(), labels());
            weighted.fit(x(), labels(), options().classWeight(weights));
            plain.fit(x(), labels(), options().classWeight(weights));
            assertEquals(plain.evaluate(x(), labels()), weighted.evaluate(x(), labels()));
            // evaluate is unweighted: the same model's loss, from a fresh model holding its weights
            try (Sequential copy = sgdNet()) {
                copy.setWeights(weighted.getWeights());
                assertEquals(copy.evaluate(x(), labels()), weighted.evaluate(x(), labels()));
                // a later fit without the option trains unweighted: as the fresh model's first fit does
                History later = weighted.fit(x(), labels(), options());
                History fresh = copy.fit(x(), labels(), options());
                assertEquals(fresh.history().get("loss"), later.history().get("loss"));
                assertWeightsEqual(copy.getWeights(), weighted.getWeights());
            }
            assertEquals(before.keySet(), weighted.evaluate(x(), labels()).keySet());
        }
    }


    private static void assertWeightsEqual(List<float[]> want, List<float[]> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "weight " + i);
        }
    }

    private static FitOptions options() {
        return new FitOptions().batchSize(8).epochs(2).shuffle(false).verbose(0);
    }

    private static Tensor x() {
        return gaussianInputs(ROWS, 7);
    }

    private static int[] labels() {
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 5 == 0 ? 2 : i % 3 == 0 ? 1 : 0;
        }
        return y;
    }

}
