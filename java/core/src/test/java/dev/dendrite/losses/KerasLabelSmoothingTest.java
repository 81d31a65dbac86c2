package dev.dendrite.losses;

import static dev.dendrite.keras.KerasFixtures.assertEpochsNear;
import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;
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
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/**
 * Keras's {@code label_smoothing} against Keras 3 itself: the fixture {@code keras-label-smoothing.json} was written
 * by {@code bench/keras/label_smoothing_fixture.py} (Keras 3.15 on JAX, CPU, float32). A 6-8-k net trained 8 SGD
 * steps with CategoricalCrossentropy (a softmax output, and logits) and BinaryCrossentropy (one sigmoid output, and
 * two), each with a label smoothing, from the same weights, must end with Keras's weights, its epoch
 * losses and validation losses (smoothed as well: Keras's loss object smooths in evaluation too) and its accuracies
 * (which see the targets as given). The loss is built from Keras's own config, as a Keras file is read. A subclass
 * per backend: the CPU, OpenCL (PoCL in CI) and CUDA (the emulated driver), where the smoothing is a device op inside
 * the recorded step.
 *
 * <p>Tolerances: KerasOptimizerReplayTest's, {@code 2e-5 + 1e-4 |w|} and {@code 1e-5} relative on the losses; the
 * accuracies exactly. Without the smoothing every case fails (its first weight ends 5e-5 to 7e-3 from Keras's).
 */
public abstract class KerasLabelSmoothingTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-label-smoothing.json";

    protected KerasLabelSmoothingTest() {
        super(KerasLabelSmoothingTest.class, FIXTURE, "bench/keras/label_smoothing_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightStepsEndWithKerasWeightsLossesAndAccuracies(String name) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        Map<String, Object> config = (Map<String, Object>) kase.get("loss");
        Loss loss = Loss.fromConfig((String) config.get("name"), Boolean.TRUE.equals(config.get("from_logits")),
                config);
        assertEquals(((Number) config.get("label_smoothing")).doubleValue(), loss.labelSmoothing());
        int in = integer(fixture.get("inputs"));
        int out = integer(kase.get("outputs"));
        float[] x = floats(fixture.get("x"));
        float[] xVal = floats(fixture.get("x_val"));
        int rows = x.length / in;
        int valRows = xVal.length / in;
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) kase.get("initial_weights")) {
            initial.add(floats(w));
        }
        try (Sequential m = new Sequential(new Input(in), new Dense(integer(fixture.get("hidden")), "relu"),
                new Dense(out, (String) kase.get("activation"))).backend(backend)) {
            m.setWeights(initial);
            String metric = (String) kase.get("metric");
            m.compile(new SGD(((Number) fixture.get("learning_rate")).doubleValue()), loss, List.of(metric));
            History h = m.fit(Tensor.wrap(x, rows, in), Tensor.wrap(floats(kase.get("y")), rows, out),
                    new FitOptions().batchSize(integer(fixture.get("batch_size")))
                            .epochs(integer(fixture.get("epochs"))).shuffle(false).verbose(0)
                            .validationData(Tensor.wrap(xVal, valRows, in),
                                    Tensor.wrap(floats(kase.get("y_val")), valRows, out)));
            String what = name + " on " + backend.name();
            assertWeightsNear(what, kase.get("weights"), m.getWeights());
            assertEpochsNear(what + ", loss", kase.get("epoch_loss"), h.get("loss"), 1e-5);
            assertEpochsNear(what + ", val_loss", kase.get("epoch_val_loss"), h.get("val_loss"), 1e-5);
            assertEpochsNear(what + ", " + metric, kase.get("epoch_accuracy"), h.get(metric), 0);
            assertEpochsNear(what + ", val_" + metric, kase.get("epoch_val_accuracy"), h.get("val_" + metric), 0);
        }
    }
}
