package dev.dendrite.losses;

import static dev.dendrite.keras.KerasFixtures.assertEpochsNear;
import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.integer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/**
 * The regression losses against Keras 3 itself: the fixture {@code keras-regression-losses.json} was written by
 * {@code bench/keras/regression_losses_fixture.py} (Keras 3.15 on JAX, CPU, float32). A 5-8-2 relu/linear net
 * trained 8 SGD steps with each loss (mse, mae, huber, Huber(0.3), log_cosh) from the same weights must end with
 * Keras's weights and epoch losses. A subclass per backend: the CPU, OpenCL (PoCL in CI) and CUDA (the emulated
 * driver).
 *
 * <p>Tolerances: KerasOptimizerReplayTest's, {@code 2e-5 + 1e-4 |w|} and {@code 1e-5} relative on the loss (its
 * Javadoc says why). The five cases end 1e-2 or more apart in Keras, so a wrong term or derivative shows.
 */
public abstract class KerasRegressionLossesTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-regression-losses.json";

    protected KerasRegressionLossesTest() {
        super(KerasRegressionLossesTest.class, FIXTURE, "bench/keras/regression_losses_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightStepsEndWithKerasWeights(String name) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        Loss loss = kase.get("delta") == null ? Loss.fromName((String) kase.get("loss"))
                : new Huber(((Number) kase.get("delta")).doubleValue());
        int in = integer(fixture.get("inputs"));
        int out = integer(fixture.get("outputs"));
        float[] x = floats(fixture.get("x"));
        float[] y = floats(fixture.get("y"));
        int rows = x.length / in;
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) fixture.get("initial_weights")) {
            initial.add(floats(w));
        }
        try (Sequential m = new Sequential(new Input(in), new Dense(integer(fixture.get("hidden")), "relu"),
                new Dense(out)).backend(backend)) {
            m.setWeights(initial);
            m.compile(new SGD(((Number) fixture.get("learning_rate")).doubleValue()), loss);
            History h = m.fit(Tensor.wrap(x, rows, in), Tensor.wrap(y, rows, out), new FitOptions()
                    .batchSize(integer(fixture.get("batch_size"))).epochs(integer(fixture.get("epochs")))
                    .shuffle(false).verbose(0));
            assertWeightsNear(name + " on " + backend.name(), kase.get("weights"), m.getWeights());
            assertEpochsNear(name + ", loss", kase.get("epoch_loss"), h.get("loss"), 1e-5);
        }
    }
}
