package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.integer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Layer;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.GradientOptions;

/**
 * Frozen layers ({@link Layer#setTrainable}, Keras's {@code layer.trainable = False}) against Keras 3 itself: the
 * fixture {@code keras-trainable.json} was written by {@code bench/keras/trainable_fixture.py} (Keras 3.15 on JAX,
 * CPU, float32; rerun it to regenerate). The net is rebuilt from each case's Keras layer configs, so the
 * {@code trainable} key is read as Keras writes it; after 8 Adam steps its weights and epoch losses must be Keras's:
 * the frozen weights (a batch norm's moving statistics too) exactly as they started, the others trained through the
 * frozen ones, the frozen Dense's penalty out of the loss, a frozen batch norm in inference mode; also where the
 * update spans all parameters (global_clipnorm, with weight decay too; use_ema with gradient accumulation). A
 * subclass per backend: the CPU, OpenCL (PoCL in CI) and CUDA (the emulated driver in CI).
 *
 * <p>Tolerances: KerasFixtures's {@code 2e-5 + 1e-4 |w|} per weight and {@code 1e-5} relative per epoch loss,
 * KerasOptimizerReplayTest's for a few float32 steps summed in another order; frozen weights: exact.
 */
public abstract class KerasTrainableTest extends KerasFixtureTest {
    protected KerasTrainableTest() {
        super(KerasTrainableTest.class, "keras-trainable.json", "bench/keras/trainable_fixture.py");
    }

    /** The case's net from its Keras layer configs (frozen layers included), on the backend under test. */
    private Sequential net(Map<String, Object> kase) {
        return KerasFixtures.sequential(integer(fixture.get("inputs")), kase.get("layers"), backend);
    }

    @SuppressWarnings("unchecked")
    private static Adam adam(double rate, Map<String, Object> options) {
        Adam adam = new Adam(rate);
        GradientOptions g = GradientOptions.NONE;
        if (options.containsKey("global_clipnorm")) {
            g = g.withGlobalClipnorm(((Number) options.get("global_clipnorm")).doubleValue());
        }
        if (options.containsKey("weight_decay")) {
            g = g.withWeightDecay(((Number) options.get("weight_decay")).doubleValue());
        }
        adam.setGradientOptions(g);
        if (Boolean.TRUE.equals(options.get("use_ema"))) {
            adam.options().useEma(true).emaMomentum(((Number) options.get("ema_momentum")).doubleValue());
        }
        if (options.containsKey("gradient_accumulation_steps")) {
            adam.options().gradientAccumulationSteps(integer(options.get("gradient_accumulation_steps")));
        }
        return adam;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eightAdamStepsEndWithKerasWeightsAndLosses(String name) {
        train(name, new FitOptions());
    }

    /**
     * checkNumerics's debug mode issues every op alone and updates the whole model at once (no layer-by-layer
     * update, no fusion): the frozen layers are held apart from that update, with the same results.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void opByOpWithCheckNumericsTheSameHolds(String name) {
        train(name, new FitOptions().checkNumerics(true));
    }

    @SuppressWarnings("unchecked")
    private void train(String name, FitOptions options) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        List<float[]> initial = KerasFixtures.initialWeights(fixture);
        try (Sequential m = net(kase)) {
            m.build(integer(fixture.get("inputs")));
            m.setWeights(initial);
            m.compile(adam(((Number) fixture.get("learning_rate")).doubleValue(),
                    (Map<String, Object>) kase.get("options")), "sparse_categorical_crossentropy");
            History h = KerasFixtures.fitAsKeras(m, fixture, options);
            KerasFixtures.assertEpochsNear(name + " loss on " + backend.name(), kase.get("loss"), h.get("loss"), 1e-5);
            List<float[]> got = m.getWeights();
            KerasFixtures.assertWeightsNear(name + " on " + backend.name(), kase.get("weights"), got);
            int k = 0;
            for (Layer layer : m.layers()) {
                for (int i = 0; i < layer.weights().size(); i++, k++) {
                    if (!layer.isTrainable()) {
                        assertArrayEquals(initial.get(k), got.get(k), name + ": frozen " + layer.name() + " weight "
                                + i + " moved");
                    }
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void summaryFileAndLateChangesFollowKeras() throws IOException {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), "first dense and batch norm frozen");
        Path file = Files.createTempFile("dendrite-trainable", ".safetensors");
        try (Sequential m = net(kase)) {
            m.build(integer(fixture.get("inputs")));
            // Frozen: the first Dense (6*8, no bias) and the batch norm's gamma and beta (16) besides its statistics.
            assertEquals(8 * 8 + 8 + 8 * 3 + 3, m.trainableParams());
            assertEquals(6 * 8 + 16 + 16, m.nonTrainableParams());
            m.compile("adam", "sparse_categorical_crossentropy");
            m.save(file);
            try (Sequential back = Sequential.load(file, backend)) {
                List<Boolean> flags = back.layers().stream().map(Layer::isTrainable).toList();
                assertEquals(m.layers().stream().map(Layer::isTrainable).toList(), flags, "saved in the file");
                assertFalse(flags.get(1), "the first Dense (after the Input) is frozen");
            }
            m.layers().get(1).setTrainable(true);
            Tensor x = Tensor.wrap(new float[6], 1, 6);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.fit(x, new int[1], new FitOptions().verbose(0)));
            assertTrue(e.getMessage().contains("was made trainable=true after compile; call compile again"),
                    e.getMessage());
            m.compile("adam", "sparse_categorical_crossentropy");
            m.fit(x, new int[1], new FitOptions().verbose(0));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
