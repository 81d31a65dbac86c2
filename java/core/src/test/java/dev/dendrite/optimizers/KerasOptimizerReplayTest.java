package dev.dendrite.optimizers;

import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.integer;
import static dev.dendrite.keras.KerasFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * 50 training steps with each optimizer and gradient option against Keras 3 itself: the fixture
 * {@code keras-optimizers-50-steps.json} was written by {@code bench/keras/optimizer_fixture.py} (Keras 3 on JAX,
 * CPU, float32; rerun it to regenerate), which trains a 6-8-3 relu/softmax net from weights and batches it drew
 * and wrote alongside. Here the same net starts from the same weights, builds its optimizer with
 * {@link Optimizer#fromConfig} from Keras's own {@code get_config()}, runs {@code fit} over the same 50 batches
 * in order, and must end with Keras's weights and epoch loss. A subclass per backend: the CPU, and OpenCL (PoCL in
 * CI), where the steps are recorded and replayed.
 *
 * <p>Tolerance: {@code 2e-5 + 1e-4 |w|} on each weight, {@code 1e-5} relative on the epoch loss. Two float32
 * implementations differ from the first step in the order of their sums (GEMMs, softmax, the clipping norms), by
 * about 1e-7 relative; 50 steps carry and amplify that, most for Adam-like rules, whose step {@code m / sqrt(v)} is
 * about lr whatever the gradient's size. Measured on this machine (AMD EPYC, AVX-512, 2026-12-02), CPU and PoCL
 * alike: at most 1.4e-6 on a weight (Adam with global_clipnorm) and 5e-7 relative on the loss; the Adafactor cases
 * (added 2026-12-02) at most 3.0e-7 on the CPU and 2.4e-7 on PoCL. The cases are
 * 3.6e-2 or more apart from each other in Keras (Adam against AdamW, Nadam, Adamax; clipnorm against
 * global_clipnorm against none; clipvalue against clipnorm), so a formula mistake cannot hide in the tolerance;
 * the exact order of weight decay and update is checked step by step in {@code KerasOptimizerFormulaTest}.
 */
public abstract class KerasOptimizerReplayTest extends KerasFixtureTest {
    private static final String FIXTURE = "keras-optimizers-50-steps.json";
    private static final double WEIGHT_ABS = 2e-5;
    private static final double WEIGHT_REL = 1e-4;
    private static final double LOSS_REL = 1e-5;

    protected KerasOptimizerReplayTest() {
        super(KerasOptimizerReplayTest.class, FIXTURE, "bench/keras/optimizer_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fiftyStepsEndWithKerasWeights(String name) {
        Map<String, Object> net = (Map<String, Object>) fixture.get("net");
        int in = integer(net.get("inputs"));
        int hidden = integer(net.get("hidden"));
        int out = integer(net.get("outputs"));
        int batch = integer(fixture.get("batch_size"));
        int steps = integer(fixture.get("steps"));
        float[] x = floats(fixture.get("x"));
        int[] y = ints(fixture.get("y"));
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) fixture.get("initial_weights")) {
            initial.add(floats(w));
        }
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        Optimizer optimizer = Optimizer.fromConfig((String) kase.get("optimizer"),
                (Map<String, Object>) kase.get("config"));
        try (Sequential m = new Sequential(new Input(in), new Dense(hidden, (String) net.get("hidden_activation")),
                new Dense(out, (String) net.get("output_activation"))).backend(backend)) {
            m.setWeights(initial);
            m.compile(optimizer, new SparseCategoricalCrossentropy());
            History h = m.fit(Tensor.wrap(x, steps * batch, in), y,
                    new FitOptions().batchSize(batch).epochs(1).shuffle(false).verbose(0));
            List<float[]> got = m.getWeights();
            List<Object> want = (List<Object>) kase.get("weights");
            double worst = 0;
            for (int k = 0; k < want.size(); k++) {
                float[] e = floats(want.get(k));
                float[] a = got.get(k);
                assertEquals(e.length, a.length, name + ": weight " + k + " length");
                for (int i = 0; i < e.length; i++) {
                    double diff = Math.abs((double) a[i] - e[i]);
                    worst = Math.max(worst, diff);
                    assertTrue(diff <= WEIGHT_ABS + WEIGHT_REL * Math.abs(e[i]), name + " on " + backend.name()
                            + ": weight " + k + "[" + i + "] = " + a[i] + ", Keras " + e[i] + " (optimizer "
                            + optimizer + ")");
                }
            }
            double kerasLoss = ((Number) kase.get("loss")).doubleValue();
            double loss = h.last("loss");
            System.out.printf("%s on %s: largest weight difference %.2e, loss %.7f against Keras %.7f%n", name,
                    backend.name(), worst, loss, kerasLoss);
            assertEquals(kerasLoss, loss, LOSS_REL * Math.abs(kerasLoss), name + ": epoch loss");
        }
    }
}
