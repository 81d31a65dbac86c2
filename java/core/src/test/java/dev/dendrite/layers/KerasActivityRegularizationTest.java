package dev.dendrite.layers;

import static dev.dendrite.keras.KerasFixtures.assertEpochsNear;
import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.ints;
import static dev.dendrite.keras.KerasFixtures.integer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/**
 * Keras's {@code ActivityRegularization} layer against Keras 3 itself: the fixture
 * {@code keras-activity-regularization.json} was written by {@code bench/keras/activity_regularization_fixture.py}
 * (Keras 3.15 on JAX, CPU, float32). An 8-6-3 net with the layer after its hidden Dense (sigmoid with l1, as Géron's
 * sparse autoencoder, sigmoid with l2, relu with both), made from Keras's own layer config and trained 8 SGD steps from
 * the same weights, must end with Keras's weights, epoch losses and validation losses (the penalty is in both). A
 * subclass per backend: the CPU, OpenCL (PoCL in CI) and CUDA (the emulated driver).
 *
 * <p>Tolerances: KerasOptimizerReplayTest's, {@code 2e-5 + 1e-4 |w|} and {@code 1e-5} relative on the losses. The
 * penalty makes up 12-24% of the cases' first-epoch losses, and without its gradient the first weight ends 1e-3 to
 * 3e-2 from Keras's.
 */
public abstract class KerasActivityRegularizationTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-activity-regularization.json";

    protected KerasActivityRegularizationTest() {
        super(KerasActivityRegularizationTest.class, FIXTURE, "bench/keras/activity_regularization_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightStepsEndWithKerasWeightsAndLosses(String name) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        int in = integer(fixture.get("inputs"));
        float[] x = floats(fixture.get("x"));
        float[] xVal = floats(fixture.get("x_val"));
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) fixture.get("initial_weights")) {
            initial.add(floats(w));
        }
        Layer regularization = Layers.fromConfig("ActivityRegularization", null,
                (Map<String, Object>) kase.get("config"));
        assertEquals(((Number) ((Map<String, Object>) kase.get("config")).get("l1")).floatValue(),
                ((ActivityRegularization) regularization).l1());
        try (Sequential m = new Sequential(new Input(in), new Dense(integer(fixture.get("hidden")),
                (String) kase.get("activation")), regularization, new Dense(integer(fixture.get("outputs")),
                "softmax")).backend(backend)) {
            m.setWeights(initial);
            m.compile(new SGD(((Number) fixture.get("learning_rate")).doubleValue()),
                    "sparse_categorical_crossentropy");
            History h = m.fit(Tensor.wrap(x, x.length / in, in), ints(fixture.get("y")), new FitOptions()
                    .batchSize(integer(fixture.get("batch_size"))).epochs(integer(fixture.get("epochs")))
                    .shuffle(false).verbose(0)
                    .validationData(Tensor.wrap(xVal, xVal.length / in, in), ints(fixture.get("y_val"))));
            String what = name + " on " + backend.name();
            assertWeightsNear(what, kase.get("weights"), m.getWeights());
            assertEpochsNear(what + ", loss", kase.get("epoch_loss"), h.get("loss"), 1e-5);
            assertEpochsNear(what + ", val_loss", kase.get("epoch_val_loss"), h.get("val_loss"), 1e-5);
        }
    }
}
