package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.dendrite.constraints.MaxNorm;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Normalization;
import dev.dendrite.regularizers.Regularizer;

/**
 * {@link Sequential#cloneModel}, Keras's {@code keras.models.clone_model}: the same layers made again from their
 * configs, weights of its own (the ones the model started from), not compiled; with the weights copied over, the
 * clone predicts what the model predicts, and training either leaves the other as it was (the course's
 * {@code model_A_clone} before reusing model A's layers).
 */
class CloneModelTest extends CpuModelTestBase {
    private static final int ROWS = 64;

    /** A model with a layer of each kind that holds configuration: preprocessing, weights, frozen, noise. */
    private static Sequential richNet() {
        Sequential m = unadaptedNet();
        ((Normalization) m.layers().get(1)).adapt(gaussianInputs(ROWS, 5));
        return m;
    }

    /** {@link #richNet()} before its Normalization is adapted: its statistics are weights, as in Keras. */
    private static Sequential unadaptedNet() {
        Sequential m = new Sequential(new Input(4), new Normalization(), new Dense(16, "mish")
                .kernelRegularizer(Regularizer.l2(1e-3)).kernelConstraint(new MaxNorm(2)), new BatchNormalization(),
                new LeakyReLU(0.1), new Dropout(0.2), new Dense(8, "hard_silu").named("hidden"),
                new Dense(3, "softmax")).backend(cpu).seed(7).name("model_a");
        m.layers().get(6).setTrainable(false); // "hidden"; getLayer would build the model
        return m;
    }

    private static int[] labels(int rows) {
        Random r = new Random(3);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
        }
        return y;
    }

    private static void fitOnce(Sequential m) {
        m.fit(gaussianInputs(ROWS, 11), labels(ROWS), new FitOptions().epochs(2).batchSize(16).verbose(0));
    }

    @Test
    void theCloneHasTheLayersAndStartsFromTheModelsInitialWeightsUncompiled() {
        try (Sequential a = richNet(); Sequential fresh = unadaptedNet()) {
            a.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            a.classNames("t-shirt", "trouser", "pullover");
            fitOnce(a);
            try (Sequential clone = Sequential.cloneModel(a)) {
                assertTrue(clone.isBuilt(), "a built model's clone is built");
                assertNull(clone.optimizer(), "not compiled, as in Keras");
                assertEquals(a.summaryText(), clone.summaryText());
                assertEquals("model_a", clone.name());
                assertEquals(a.seed(), clone.seed());
                assertArrayEquals(a.classNames(), clone.classNames());
                assertSame(a.backend(), clone.backend(), "the backend given to the model");
                assertEquals(a.layers().size(), clone.layers().size());
                for (int i = 0; i < a.layers().size(); i++) {
                    Layer la = a.layers().get(i);
                    Layer lc = clone.layers().get(i);
                    assertNotSame(la, lc, "layer " + i + " is a new object");
                    assertEquals(la.className(), lc.className());
                    assertEquals(la.name(), lc.name());
                    assertEquals(la.isTrainable(), lc.isTrainable(), la.name() + " trainable");
                    assertEquals(Json.write(ModelFiles.layerConfig(la)), Json.write(ModelFiles.layerConfig(lc)),
                            la.name() + " config");
                }
                // Fresh weights from the seed: the model's own before it trained, and the Normalization's statistics
                // those of a layer not adapted (they are weights: Keras's clone too leaves them to set_weights).
                fresh.build(4);
                assertWeightsEqual(fresh.getWeights(), clone.getWeights());
                assertFalse(equal(a.getWeights(), clone.getWeights()), "not the trained weights");
            }
        }
    }

    @Test
    void withTheWeightsCopiedTheClonePredictsTheSameAndTrainsApart() {
        Tensor x = gaussianInputs(ROWS, 21);
        try (Sequential a = richNet()) {
            a.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            fitOnce(a);
            List<float[]> trained = a.getWeights();
            try (Sequential clone = Sequential.cloneModel(a)) {
                clone.setWeights(a.getWeights());
                assertArrayEquals(a.predict(x).toArray(), clone.predict(x).toArray(), "bit for bit");
                // model_B_on_A: the clone's lower layers under a new output, trained; model A stays as it was.
                clone.pop();
                clone.add(new Dense(1, "sigmoid"));
                clone.compile("sgd", "binary_crossentropy");
                float[] y = new float[ROWS];
                for (int i = 0; i < ROWS; i += 2) {
                    y[i] = 1f;
                }
                clone.fit(x, Tensor.wrap(y, ROWS, 1), new FitOptions().epochs(1).batchSize(16).verbose(0));
                assertWeightsEqual(trained, a.getWeights());
                // and training A leaves the clone's kept layers alone
                List<float[]> cloneBefore = clone.getWeights();
                fitOnce(a);
                assertWeightsEqual(cloneBefore, clone.getWeights());
            }
        }
    }

    @Test
    void anUnbuiltModelGivesAnUnbuiltCloneThatBuildsAsTheModelWould() {
        try (Sequential a = new Sequential(new Dense(5, "relu"), new Dense(2, "softmax")).backend(cpu).seed(9);
             Sequential clone = Sequential.cloneModel(a)) {
            assertFalse(clone.isBuilt());
            a.build(3);
            clone.build(3);
            assertEquals(a.summaryText(), clone.summaryText());
            assertWeightsEqual(a.getWeights(), clone.getWeights());
        }
    }

    @Test
    void aClosedModelIsRefused() {
        Sequential a = smallNet();
        a.close();
        assertThrows(IllegalStateException.class, () -> Sequential.cloneModel(a));
    }

    private static boolean equal(List<float[]> a, List<float[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static void assertWeightsEqual(List<float[]> want, List<float[]> got) {
        assertEquals(want.size(), got.size(), "weight count");
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "weight " + i);
        }
    }
}
