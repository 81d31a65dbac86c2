package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;

/**
 * The course's reuse of a trained model's lower layers (Géron, chapter 11: model A's layers under a new output for
 * task B, frozen, then trained): {@link Sequential#pop()} and {@link Sequential#add} on a loaded, built model keep the
 * other layers' weights, drop the compile configuration and the class names of the old output as Keras's workflow
 * needs them dropped, and refuse what they cannot do, leaving the model as it was.
 */
class ReuseLayersTest extends CpuModelTestBase {
    private static final int ROWS = 40;

    private static int[] binary(int[] labels) {
        int[] b = new int[labels.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = labels[i] == 0 ? 1 : 0;
        }
        return b;
    }

    @Test
    void aTrainedModelsLowerLayersServeANewOutputFrozen(@TempDir Path dir) throws IOException {
        Tensor x = gaussianInputs(ROWS, 21);
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 3;
        }
        Path fileA = dir.resolve("a.safetensors");
        try (Sequential a = compiledSmallNet()) {
            a.classNames("x", "y", "z");
            a.fit(x, y, new FitOptions().batchSize(8).epochs(2).verbose(0));
            a.save(fileA);
        }
        try (Sequential a = Sequential.load(fileA, cpu); Sequential b = Sequential.load(fileA, cpu)) {
            int before = b.layers().size();
            Layer top = b.layers().get(before - 1);
            assertSame(top, b.pop(), "pop returns the removed layer");
            b.add(new Dense(1, "sigmoid"));
            assertEquals(before, b.layers().size());
            assertNull(b.classNames(), "the old output's class names are gone");
            for (int i = 0; i < before - 1; i++) {
                Layer kept = b.layers().get(i);
                List<float[]> wa = a.getWeights(kept.name());
                List<float[]> wb = b.getWeights(kept.name());
                for (int k = 0; k < wa.size(); k++) {
                    assertArrayEquals(wa.get(k), wb.get(k), kept.name() + " weight " + k + " kept");
                }
                kept.setTrainable(false);
            }
            IllegalStateException notCompiled = assertThrows(IllegalStateException.class,
                    () -> b.fit(x, binary(y), new FitOptions().verbose(0)));
            assertTrue(notCompiled.getMessage().contains("compile"), notCompiled.getMessage());
            b.compile("adam", "binary_crossentropy", "accuracy");
            List<float[]> newBefore = b.getWeights(b.layers().get(before - 1).name());
            Tensor targets = Tensor.wrap(toFloats(binary(y)), ROWS, 1);
            b.fit(x, targets, new FitOptions().batchSize(8).epochs(2).verbose(0));
            for (int i = 0; i < before - 1; i++) {
                String name = b.layers().get(i).name();
                List<float[]> wa = a.getWeights(name);
                List<float[]> wb = b.getWeights(name);
                for (int k = 0; k < wa.size(); k++) {
                    assertArrayEquals(wa.get(k), wb.get(k), name + " weight " + k + " frozen");
                }
            }
            List<float[]> newAfter = b.getWeights(b.layers().get(before - 1).name());
            assertFalse(Arrays.equals(newBefore.get(0), newAfter.get(0)), "the new output layer trained");
        }
    }

    private static float[] toFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    @Test
    void whatCannotBeDoneIsRefusedAndLeavesTheModelAsItWas() {
        try (Sequential m = new Sequential(new Input(2, 2), new Flatten(), new Dense(3, "softmax")).backend(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy");
            List<float[]> w = m.getWeights();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.add(new Input(3)));
            assertTrue(e.getMessage().contains("an Input layer can only be the first layer"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.add(m.layers().get(2)));
            assertEquals(3, m.layers().size());
            assertTrue(m.isBuilt());
            assertArrayEquals(w.get(0), m.getWeights().get(0));
            assertEquals("adam", m.optimizer().name(), "still compiled: nothing changed");
            m.pop();
            m.pop();
            IllegalStateException empty = assertThrows(IllegalStateException.class, m::pop);
            assertTrue(empty.getMessage().contains("has no layer to pop (only its Input)"), empty.getMessage());
            assertFalse(m.isBuilt(), "a model of only its Input is not built");
            m.add(new Flatten()).add(new Dense(2, "softmax"));
            assertEquals(2 * 2 * 2 + 2, m.trainableParams(), "built again from the Input on demand");
        }
    }
}
