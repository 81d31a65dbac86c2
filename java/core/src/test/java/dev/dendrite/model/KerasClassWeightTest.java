package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.assertEpochsNear;
import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;

/**
 * {@link FitOptions#classWeight} against Keras 3 itself: the fixture {@code keras-class-weight.json} was written by
 * {@code bench/keras/class_weight_fixture.py} (Keras 3.15 on JAX, CPU, float32). Small classifiers (sparse and
 * categorical cross-entropy over 3 classes, binary cross-entropy on one output) trained 8 SGD steps with
 * {@code class_weight} from the same weights must end with Keras's weights, its (weighted) epoch losses, and its
 * (unweighted) accuracies and validation losses. The cases leave a class out (weight 1), weigh a class 0, and weigh
 * the rare class 5x, so each part of the rule shows. A subclass per backend: the CPU, OpenCL (PoCL in CI) and CUDA
 * (the emulated driver).
 *
 * <p>Tolerances: KerasOptimizerReplayTest's, {@code 2e-5 + 1e-4 |w|} on the weights and {@code 1e-5} relative on the
 * losses (float32 sums in another order, over 8 steps). The accuracies are counts over 32 rows, compared to 1e-6: no
 * output in the fixture lies within float rounding of a decision. Trained without the class weights, every case fails
 * here: its first weight alone moves by 2e-3 or more, 100 times the tolerance.
 */
public abstract class KerasClassWeightTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-class-weight.json";

    protected KerasClassWeightTest() {
        super(KerasClassWeightTest.class, FIXTURE, "bench/keras/class_weight_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightStepsEndWithKerasWeightsAndLogs(String name) {
        KerasFitCase c = new KerasFitCase(fixture, KerasFixtures.named(fixture.get("cases"), name));
        Map<Integer, Double> classWeight = new TreeMap<>();
        ((Map<String, Object>) c.kase().get("class_weight")).forEach((k, v) -> classWeight.put(Integer.valueOf(k),
                ((Number) v).doubleValue()));
        try (Sequential m = c.net(backend, c.loss().equals("binary_crossentropy") ? "sigmoid" : "softmax",
                "accuracy")) {
            History h = c.fit(m, c.validationData(c.options().classWeight(classWeight), null));
            String where = name + " on " + backend.name();
            assertWeightsNear(where, c.kase().get("weights"), m.getWeights());
            assertEpochsNear(where + ", loss", c.kase().get("epoch_loss"), h.get("loss"), 1e-5);
            assertEpochsNear(where + ", val_loss", c.kase().get("epoch_val_loss"), h.get("val_loss"), 1e-5);
            assertEpochsNear(where + ", accuracy", c.kase().get("epoch_accuracy"), h.get("accuracy"), 0);
        }
    }
}
