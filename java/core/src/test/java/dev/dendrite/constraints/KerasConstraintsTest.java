package dev.dendrite.constraints;

import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.integer;
import static dev.dendrite.keras.KerasFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Adam;

/**
 * Dendrite's weight constraints against Keras 3 itself: the fixture {@code keras-constraints.json} was written by
 * {@code bench/keras/constraints_fixture.py} (Keras 3.15 on JAX, CPU, float32; rerun it to regenerate). Each
 * constraint, made by {@link Constraint#get} from Keras's serialized form, must give Keras's output on the same
 * kernel and bias; and a net trained with constraints on both layers' kernels and a bias must end with Keras's
 * weights and epoch losses, which also checks where Keras applies them: after every update, after use_ema's moving
 * average (whose final overwrite is not constrained), and on every step under gradient accumulation. A subclass per
 * backend: the CPU, OpenCL (PoCL in CI; recorded steps) and CUDA (the emulated driver in CI).
 *
 * <p>Tolerances. Direct: {@code 1e-7 + 4 eps |w|}: one float norm (a few roundings of a 6-term sum), one factor and
 * one product per element, against Keras's own float32 arithmetic. Training: {@code 2e-5 + 1e-4 |w|} and
 * {@code 1e-5} relative on the loss, KerasOptimizerReplayTest's (its Javadoc says why), over 8 steps of Adam at rate
 * 0.05. Without the constraints the weights end 0.1 or more away from Keras's (checked here too), so a constraint
 * left out, or applied before the update, cannot hide in the tolerance.
 */
public abstract class KerasConstraintsTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-constraints.json";
    private static final double EPS = Math.ulp(1f);

    protected KerasConstraintsTest() {
        super(KerasConstraintsTest.class, FIXTURE, "bench/keras/constraints_fixture.py");
    }

    /** The fixture's constraints applied directly (its training runs: trainingCases). */
    @Override
    protected Stream<String> cases() throws IOException {
        return KerasFixtures.names(loadFixture().get("direct")).stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachConstraintGivesKerasOutput(String name) {
        Map<String, Object> kase = KerasFixtures.named(fixture.get("direct"), name);
        Map<String, Object> serialized = (Map<String, Object>) kase.get("serialized");
        Constraint c = Constraint.get(serialized);
        assertEquals(serialized.get("class_name"), c.className(), name);
        Map<String, Object> kerasConfig = (Map<String, Object>) serialized.get("config");
        assertEquals(kerasConfig.keySet(), c.config().keySet(), name + ": config keys");
        for (Map.Entry<String, Object> e : kerasConfig.entrySet()) {
            assertEquals(((Number) e.getValue()).doubleValue(), ((Number) c.config().get(e.getKey())).doubleValue(),
                    name + ": " + e.getKey());
        }
        int[] shape = ints(fixture.get("kernel_shape"));
        assertApplies(name + " on the kernel", c, floats(fixture.get("kernel")), shape, floats(kase.get("kernel")));
        if (kase.containsKey("bias")) {
            float[] bias = floats(fixture.get("bias"));
            assertApplies(name + " on the bias", c, bias, new int[] {bias.length}, floats(kase.get("bias")));
        }
    }

    private void assertApplies(String what, Constraint c, float[] w, int[] shape, float[] expected) {
        try (Buffer b = backend.allocate(DType.F32, w.length)) {
            backend.upload(w, 0, b.all());
            c.apply(backend, b.all(), shape);
            float[] got = new float[w.length];
            backend.download(b.all(), got, 0);
            for (int i = 0; i < w.length; i++) {
                assertEquals(expected[i], got[i], 1e-7 + 4 * EPS * Math.abs(expected[i]),
                        what + " on " + backend.name() + " at " + i);
            }
        }
    }

    @SuppressWarnings("unchecked")
    Stream<String> trainingCases() throws IOException {
        return KerasFixtures.names(((Map<String, Object>) loadFixture().get("training")).get("cases")).stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("trainingCases")
    void aNetTrainedWithConstraintsEndsWithKerasWeights(String name) {
        Map<String, Object> kase = KerasFixtures.named(((Map<String, Object>) fixture.get("training")).get("cases"),
                name);
        Map<String, Object> options = (Map<String, Object>) kase.get("options");
        List<float[]> got = train(true, options, (List<Object>) kase.get("loss"));
        List<float[]> plain = train(false, options, null);
        double apart = 0;
        List<Object> want = (List<Object>) kase.get("weights");
        for (int k = 0; k < want.size(); k++) {
            float[] e = floats(want.get(k));
            float[] a = got.get(k);
            assertEquals(e.length, a.length, "weight " + k + " length");
            for (int i = 0; i < e.length; i++) {
                assertTrue(Math.abs((double) a[i] - e[i]) <= 2e-5 + 1e-4 * Math.abs(e[i]), name + ": weight " + k
                        + "[" + i + "] = " + a[i] + " on " + backend.name() + ", Keras " + e[i]);
                apart = Math.max(apart, Math.abs((double) plain.get(k)[i] - e[i]));
            }
        }
        assertTrue(apart > 0.1, name + ": without the constraints the weights end only " + apart + " from Keras's: "
                + "the fixture does not tell constrained training apart");
    }

    /** The fixture's net trained with Keras's optimizer {@code options}, checking each epoch's loss if given. */
    @SuppressWarnings("unchecked")
    private List<float[]> train(boolean constrained, Map<String, Object> options, List<Object> kerasLoss) {
        Map<String, Object> t = (Map<String, Object>) fixture.get("training");
        List<Object> layers = (List<Object>) t.get("layers");
        Map<String, Object> hidden = (Map<String, Object>) layers.get(0);
        Map<String, Object> output = (Map<String, Object>) layers.get(1);
        int in = integer(t.get("inputs"));
        int batch = integer(t.get("batch_size"));
        int epochs = integer(t.get("epochs"));
        Dense d1 = new Dense(integer(hidden.get("units")), "relu");
        Dense d2 = new Dense(integer(output.get("units")), "softmax");
        if (constrained) {
            d1.kernelConstraint(Constraint.get(hidden.get("kernel_constraint")))
                    .biasConstraint(Constraint.get(hidden.get("bias_constraint")));
            d2.kernelConstraint(Constraint.get(output.get("kernel_constraint")));
        }
        float[] x = floats(t.get("x"));
        int[] y = ints(t.get("y"));
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) t.get("initial_weights")) {
            initial.add(floats(w));
        }
        Adam adam = new Adam(((Number) t.get("learning_rate")).doubleValue());
        if (Boolean.TRUE.equals(options.get("use_ema"))) {
            adam.options().useEma(true).emaMomentum(((Number) options.get("ema_momentum")).doubleValue());
        }
        if (options.containsKey("gradient_accumulation_steps")) {
            adam.options().gradientAccumulationSteps(integer(options.get("gradient_accumulation_steps")));
        }
        try (Sequential m = new Sequential(new Input(in), d1, d2).backend(backend)) {
            m.setWeights(initial);
            m.compile(adam, "sparse_categorical_crossentropy");
            History h = m.fit(Tensor.wrap(x, y.length, in), y,
                    new FitOptions().batchSize(batch).epochs(epochs).shuffle(false).verbose(0));
            for (int e = 0; kerasLoss != null && e < epochs; e++) {
                double k = ((Number) kerasLoss.get(e)).doubleValue();
                assertEquals(k, h.history().get("loss").get(e), 1e-5 * k, "epoch " + e + " loss on " + backend.name());
            }
            return m.getWeights();
        }
    }
}
