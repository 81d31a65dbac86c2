package dev.dendrite.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.model.Sequential;

/**
 * {@link ActivityRegularization}'s arguments, its pass-through outputs, and the loss it adds in evaluation against a
 * float64 sum over the activations (KerasActivityRegularizationTest checks training against Keras). Keras's
 * {@code Dense(activity_regularizer=...)} is refused by name rather than dropped.
 */
class ActivityRegularizationTest {

    @Test
    void aNegativeOrNonFiniteFactorIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ActivityRegularization(-0.1, 0));
        assertEquals("ActivityRegularization l1 -0.1; expected a finite value >= 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ActivityRegularization(0, Double.NaN));
    }

    @Test
    void kerasDenseActivityRegularizerIsRefusedRatherThanDropped() {
        Map<String, Object> c = new HashMap<>(Map.of("units", 4, "activation", "relu"));
        c.put("activity_regularizer", Map.of("class_name", "L1", "config", Map.of("l1", 0.01)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layers.fromConfig("Dense", "dense", c));
        assertTrue(e.getMessage().contains("put ActivityRegularization(l1, l2) after the layer"), e.getMessage());
    }

    /**
     * The outputs are the layer below's, and evaluate's loss is the plain model's plus
     * {@code (l1 sum |h| + l2 sum h^2) / rows} over the hidden outputs h (sigmoid: never 0): the sum in float64, the
     * loss to 1e-5 relative (float32 sums of 60 rows).
     */
    @Test
    void predictPassesThroughAndEvaluateAddsThePenalty() {
        Random r = new Random(5);
        int rows = 60;
        float[] x = new float[rows * 4];
        int[] y = new int[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
        }
        Tensor xs = Tensor.wrap(x, rows, 4);
        double l1 = 0.03;
        double l2 = 0.2;
        try (CpuBackend cpu = new CpuBackend(1);
             Sequential plain = new Sequential(new Input(4), new Dense(5, "sigmoid"), new Dense(3, "softmax"))
                     .backend(cpu).seed(2);
             Sequential hidden = new Sequential(new Input(4), new Dense(5, "sigmoid")).backend(cpu).seed(2);
             Sequential regular = new Sequential(new Input(4), new Dense(5, "sigmoid"),
                     new ActivityRegularization(l1, l2), new Dense(3, "softmax")).backend(cpu).seed(2)) {
            plain.compile("sgd", "sparse_categorical_crossentropy");
            regular.compile("sgd", "sparse_categorical_crossentropy");
            hidden.build(4);
            regular.setWeights(plain.getWeights()); // it holds none: the same list
            hidden.setWeights(plain.getWeights().subList(0, 2));
            assertArrayEquals(plain.predict(xs).toArray(), regular.predict(xs).toArray());
            assertEquals(plain.predict(xs).rows(), regular.call(xs, true).rows(), "a training pass without a loss");
            float[] h = hidden.predict(xs).toArray();
            double penalty = 0;
            for (float v : h) {
                penalty += l1 * Math.abs(v) + l2 * v * (double) v;
            }
            double want = plain.evaluate(xs, y).get("loss") + penalty / rows;
            double got = regular.evaluate(xs, y).get("loss");
            assertEquals(want, got, 1e-5 * want);
        }
    }
}
