package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import dev.dendrite.model.History;

/**
 * What a test fit leaves to compare with another fit of the same model and data: its history, its weights and its
 * predictions on a few rows; for the tests that train bit for bit one way and another (a path or a switch).
 */
record TrainedRun(History history, List<float[]> weights, float[] predictions) {
    /** Every epoch's loss and accuracy (validation too), every weight and every prediction, bit for bit. */
    void assertSameAs(TrainedRun expected) {
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(expected.history().get(key), history.get(key), key + " per epoch");
        }
        assertEquals(expected.weights().size(), weights.size());
        for (int i = 0; i < weights.size(); i++) {
            assertArrayEquals(expected.weights().get(i), weights.get(i), "weight array " + i);
        }
        assertArrayEquals(expected.predictions(), predictions, "predictions");
    }
}
