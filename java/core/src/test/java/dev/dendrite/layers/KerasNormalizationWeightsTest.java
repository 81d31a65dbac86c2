package dev.dendrite.layers;

import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.integer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Adam;

/**
 * BatchNormalization's and LayerNormalization's weight arguments (Keras's {@code gamma_initializer},
 * {@code moving_variance_initializer}, {@code gamma_regularizer}, {@code beta_constraint}, ...) against Keras 3
 * itself: the fixture {@code keras-normalization-weights.json} was written by
 * {@code bench/keras/normalization_weights_fixture.py} (Keras 3.15 on JAX, CPU, float32; rerun it to regenerate).
 * The net is rebuilt from Keras's layer configs, so the argument names are read as Keras writes them; its
 * normalisation weights must start as Keras's initializers made them, and after 8 Adam steps end at Keras's weights
 * (moving statistics included) and epoch losses (penalties included). A subclass per backend: the CPU, OpenCL (PoCL
 * in CI) and CUDA (the emulated driver in CI).
 *
 * <p>Tolerances: KerasFixtures's {@code 2e-5 + 1e-4 |w|} per weight and {@code 1e-5} relative per epoch loss,
 * KerasOptimizerReplayTest's for a few float32 steps summed in another order. The same net without the penalties and
 * constraints ends 0.05 or more away from Keras's weights (checked), so an argument read but not applied cannot hide
 * in the tolerance.
 */
public abstract class KerasNormalizationWeightsTest extends KerasFixtureTest {
    private static final String REGULARIZED = "regularized and constrained";

    protected KerasNormalizationWeightsTest() {
        super(KerasNormalizationWeightsTest.class, "keras-normalization-weights.json", "bench/keras/normalization_weights_fixture.py");
    }

    /** The case's net, rebuilt layer by layer from Keras's configs, on the backend under test. */
    private Sequential net(String name) {
        return KerasFixtures.sequential(integer(fixture.get("inputs")),
                KerasFixtures.named(fixture.get("cases"), name).get("layers"), backend);
    }

    @SuppressWarnings("unchecked")
    @Test
    void theInitializersMakeKerasStartingWeights() {
        try (Sequential m = net(REGULARIZED)) {
            m.build(new int[] {integer(fixture.get("inputs"))});
            List<Object> built = (List<Object>) fixture.get("built");
            int at = 0;
            for (Layer layer : m.layers()) {
                if (layer instanceof BatchNormalization || layer instanceof LayerNormalization) {
                    List<Object> want = (List<Object>) built.get(at++);
                    List<float[]> got = m.getWeights(layer.name());
                    assertEquals(want.size(), got.size(), layer.className());
                    for (int k = 0; k < want.size(); k++) {
                        assertArrayEquals(floats(want.get(k)), got.get(k), layer.className() + " weight " + k);
                    }
                }
            }
            assertEquals(built.size(), at, "both normalisation layers checked");
        }
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightAdamStepsEndWithKerasWeightsAndLosses(String name) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        List<float[]> got = train(name, (List<Object>) kase.get("loss"));
        KerasFixtures.assertWeightsNear(name + " on " + backend.name(), kase.get("weights"), got);
        if (name.equals(REGULARIZED)) {
            List<Object> plain = (List<Object>) KerasFixtures.named(fixture.get("cases"), "plain").get("weights");
            double apart = 0;
            for (int k = 0; k < plain.size(); k++) {
                float[] e = floats(plain.get(k));
                for (int i = 0; i < e.length; i++) {
                    apart = Math.max(apart, Math.abs((double) got.get(k)[i] - e[i]));
                }
            }
            assertTrue(apart > 0.05, "with and without the penalties and constraints the weights end only " + apart
                    + " apart: the fixture does not tell them apart");
        }
    }

    /** The case's net trained as Keras trained it, checking each epoch's loss against {@code kerasLoss}. */
    @SuppressWarnings("unchecked")
    private List<float[]> train(String name, List<Object> kerasLoss) {
        try (Sequential m = net(name)) {
            m.build(integer(fixture.get("inputs")));
            m.setWeights(KerasFixtures.initialWeights(fixture));
            m.compile(new Adam(((Number) fixture.get("learning_rate")).doubleValue()),
                    "sparse_categorical_crossentropy");
            History h = KerasFixtures.fitAsKeras(m, fixture);
            KerasFixtures.assertEpochsNear(name + " loss on " + backend.name(), kerasLoss, h.get("loss"), 1e-5);
            return m.getWeights();
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void theArgumentsSurviveTheModelFileConfigAndUnsupportedOnesAreRefused() {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), REGULARIZED);
        for (Object o : (List<Object>) kase.get("layers")) {
            Map<String, Object> l = (Map<String, Object>) o;
            String cls = (String) l.get("class_name");
            Layer layer = Layers.fromConfig(cls, null, (Map<String, Object>) l.get("config"));
            Layer back = Layers.fromConfig(cls, null, layer.config());
            assertEquals(layer.config(), back.config(), cls + ": config, read back, writes the same");
        }
        Map<String, Object> bn = new HashMap<>((Map<String, Object>) ((Map<String, Object>)
                ((List<Object>) kase.get("layers")).get(1)).get("config"));
        bn.put("renorm", true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layers.fromConfig("BatchNormalization", "bn", bn));
        assertTrue(e.getMessage().contains("renorm true"), e.getMessage());
        Map<String, Object> ln = new HashMap<>((Map<String, Object>) ((Map<String, Object>)
                ((List<Object>) kase.get("layers")).get(3)).get("config"));
        ln.put("rms_scaling", true);
        e = assertThrows(IllegalArgumentException.class, () -> Layers.fromConfig("LayerNormalization", "ln", ln));
        assertTrue(e.getMessage().contains("rms_scaling true"), e.getMessage());
    }
}
