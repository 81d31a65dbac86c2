package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.assertEpochsNear;
import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;

/**
 * {@link FitOptions#sampleWeight} against Keras 3 itself: the fixture {@code keras-sample-weight.json} was written by
 * {@code bench/keras/sample_weight_fixture.py} (Keras 3.15 on JAX, CPU, float32). Small nets (sparse and
 * categorical cross-entropy over 3 classes, binary cross-entropy on one output, mse on two linear outputs) trained 8
 * or 10 SGD steps with {@code sample_weight} from the same weights must end with Keras's weights, its (weighted)
 * epoch losses, its (unweighted) accuracy or mae, and its validation losses: weighted where validationSplit held the
 * samples out with their weights or the validation data came with weights of its own, unweighted where it came
 * without. Every fifth training weight is 0. A
 * subclass per backend: the CPU, OpenCL (PoCL in CI) and CUDA (the emulated driver).
 *
 * <p>Tolerances: KerasClassWeightTest's, {@code 2e-5 + 1e-4 |w|} on the weights and {@code 1e-5} relative on the
 * losses; the accuracy (counts) and mae to 1e-5 relative.
 */
public abstract class KerasSampleWeightTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-sample-weight.json";

    protected KerasSampleWeightTest() {
        super(KerasSampleWeightTest.class, FIXTURE, "bench/keras/sample_weight_fixture.py");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stepsEndWithKerasWeightsAndLogs(String name) {
        KerasFitCase c = new KerasFitCase(fixture, KerasFixtures.named(fixture.get("cases"), name));
        Map<String, Object> kase = c.kase();
        String metric = (String) kase.get("metric");
        try (Sequential m = c.net(backend, (String) kase.get("activation"), metric)) {
            FitOptions options = c.options().sampleWeight(floats(fixture.get("sample_weight")));
            if (kase.containsKey("validation_split")) {
                options.validationSplit(((Number) kase.get("validation_split")).doubleValue());
            } else {
                Object vw = kase.get("val_sample_weight");
                c.validationData(options, vw == null ? null : floats(vw));
            }
            History h = c.fit(m, options);
            String where = name + " on " + backend.name();
            assertWeightsNear(where, kase.get("weights"), m.getWeights());
            assertEpochsNear(where + ", loss", kase.get("epoch_loss"), h.get("loss"), 1e-5);
            assertEpochsNear(where + ", val_loss", kase.get("epoch_val_loss"), h.get("val_loss"), 1e-5);
            assertEpochsNear(where + ", " + metric, kase.get("epoch_metric"), h.get(metric), 1e-5);
        }
    }
}
