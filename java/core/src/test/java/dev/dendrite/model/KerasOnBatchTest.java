package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.optimizers.Adam;

/**
 * {@link Sequential#trainOnBatch}, {@link Sequential#testOnBatch} and {@link Sequential#predictOnBatch} against
 * Keras 3 itself: {@code keras-on-batch.json}, written by {@code bench/keras/on_batch_fixture.py} (Keras 3.15 on JAX,
 * CPU, float32), records three {@code train_on_batch} calls (the third with sample weights) from fixed weights, a
 * {@code test_on_batch} after each and a final {@code predict_on_batch}. Each call here must return Keras's loss and
 * accuracy (the batch's alone: Keras 3 resets the metrics at each call; the training loss is the one before the
 * update) and leave Keras's weights. A subclass per backend.
 *
 * <p>Tolerances: KerasOptimizerReplayTest's, {@code 2e-5 + 1e-4 |w|} on the weights, {@code 1e-5} relative on the
 * losses, the accuracies exactly (up to Keras's float32 means), {@code 1e-5} on the probabilities.
 */
public abstract class KerasOnBatchTest extends KerasFixtureTest {
    protected KerasOnBatchTest() {
        super(KerasOnBatchTest.class, "keras-on-batch.json", "bench/keras/on_batch_fixture.py");
    }

    @SuppressWarnings("unchecked")
    @Test
    void eachCallReturnsKerasLogsAndLeavesKerasWeights() {
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) fixture.get("initial_weights")) {
            initial.add(floats(w));
        }
        Tensor xTest = Tensor.wrap(floats(fixture.get("x_test")), 7, 5);
        int[] yTest = ints(fixture.get("y_test"));
        List<Object> batches = (List<Object>) fixture.get("batches");
        List<Object> steps = (List<Object>) fixture.get("steps");
        try (Sequential m = new Sequential(new Input(5), new Dense(8, "relu"), new Dense(3, "softmax"))
                .backend(backend)) {
            m.setWeights(initial);
            m.compile(new Adam(0.01), "sparse_categorical_crossentropy", "accuracy");
            for (int i = 0; i < 3; i++) {
                Map<String, Object> b = (Map<String, Object>) batches.get(i);
                Tensor x = Tensor.wrap(floats(b.get("x")), 6, 5);
                int[] y = ints(b.get("y"));
                Map<String, Double> train = i == 2 ? m.trainOnBatch(x, y, floats(fixture.get("sample_weight_3")))
                        : m.trainOnBatch(x, y);
                Map<String, Double> test = m.testOnBatch(xTest, yTest);
                Map<String, Object> want = (Map<String, Object>) steps.get(i);
                String what = "step " + i + " on " + backend.name();
                assertLogs(what + ", train_on_batch", (Map<String, Object>) want.get("train"), train);
                assertLogs(what + ", test_on_batch", (Map<String, Object>) want.get("test"), test);
                assertWeightsNear(what, want.get("weights"), m.getWeights());
            }
            float[] want = floats(fixture.get("predictions"));
            float[] got = m.predictOnBatch(xTest).toArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5, "prediction " + i);
            }
        }
    }

    private static void assertLogs(String what, Map<String, Object> keras, Map<String, Double> got) {
        assertEquals(keras.keySet(), got.keySet(), what + ": keys");
        double loss = ((Number) keras.get("loss")).doubleValue();
        assertEquals(loss, got.get("loss"), 1e-5 * loss, what + ", loss");
        assertEquals(((Number) keras.get("accuracy")).doubleValue(), got.get("accuracy"), 1e-7, what + ", accuracy");
    }
}
