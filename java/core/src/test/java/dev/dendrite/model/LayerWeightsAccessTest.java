package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/** Keras's {@code model.get_layer(name)} and a layer's {@code get_weights} / {@code set_weights}, by layer name. */
class LayerWeightsAccessTest {
    private static Sequential net() {
        return new Sequential(new Input(5), new Dense(4, "relu"), new Dropout(0.1), new BatchNormalization(),
                new Dense(3, "softmax")).seed(9);
    }

    @Test
    void aLayersWeightsAreItsPartOfTheModelsInKerassOrder() {
        try (Sequential m = net()) {
            List<float[]> all = m.getWeights();
            Dense first = (Dense) m.getLayer("dense");
            assertSame(m.layers().get(1), first);
            assertEquals(4, first.units());
            List<float[]> dense = m.getWeights("dense");
            assertEquals(2, dense.size(), "kernel and bias");
            assertArrayEquals(all.get(0), dense.get(0), "the kernel, [5, 4] row-major");
            assertArrayEquals(all.get(1), dense.get(1));
            assertEquals(List.of(), m.getWeights("dropout"), "a Dropout has none");
            List<float[]> bn = m.getWeights("batch_normalization");
            assertEquals(4, bn.size(), "gamma, beta, moving mean, moving variance");
            assertArrayEquals(all.get(7), m.getWeights("dense_1").get(1), "the output layer's bias");
        }
    }

    @Test
    void settingOneLayersWeightsLeavesTheOthers() {
        try (Sequential m = net()) {
            List<float[]> before = m.getWeights();
            float[] kernel = new float[4 * 3];
            for (int i = 0; i < kernel.length; i++) {
                kernel[i] = i * 0.25f;
            }
            float[] bias = {1f, 2f, 3f};
            m.setWeights("dense_1", List.of(kernel, bias));
            List<float[]> after = m.getWeights();
            for (int k = 0; k < 6; k++) {
                assertArrayEquals(before.get(k), after.get(k), "weight " + k + " untouched");
            }
            assertArrayEquals(kernel, after.get(6));
            assertArrayEquals(bias, after.get(7));
        }
    }

    @Test
    void badNamesAndShapesAreNamed() {
        try (Sequential m = net()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.getWeights("dense_7"));
            assertTrue(e.getMessage().contains("'dense_7'") && e.getMessage().contains("dense_1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.getLayer("Dense"));
            assertTrue(e.getMessage().contains("[input_layer, dense, dropout"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.setWeights("dense", List.of(new float[20])));
            assertTrue(e.getMessage().contains("1 weight arrays for layer 'dense'; it has 2"), e.getMessage());
            List<float[]> before = m.getWeights("dense");
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.setWeights("dense", List.of(new float[20], new float[5])));
            assertTrue(e.getMessage().contains("dense/bias has 4 values; got an array of 5"), e.getMessage());
            assertArrayEquals(before.get(0), m.getWeights("dense").get(0), "nothing written by a refused call");
        }
    }
}
