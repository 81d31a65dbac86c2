package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

import org.junit.jupiter.api.Test;

/**
 * The OpenCL twin of the CUDA memory-cycles test, as far as OpenCL can tell: {@value #CYCLES} lives of create a
 * backend, build and fit a small model on it (shuffled, with validation data), predict, close the model, close
 * the backend. The model borrows the backend, so after the model's close the backend must hold no buffer of
 * it ({@link OpenClBackend#openBuffers()} back to 0 while the backend is still open). OpenCL has no portable
 * free-memory query, so the device memory itself is not measured; {@link OpenClCloseTest} checks that the
 * backend's close frees what it still holds. Skipped without an OpenCL device, except on CI.
 */
class OpenClMemoryCyclesTest {
    static final int CYCLES = 20;

    @Test
    void everyModelClosesEveryBufferItMade() {
        int rows = 384;
        SplittableRandom rnd = new SplittableRandom(11);
        byte[] pixels = new byte[rows * 784];
        int[] labels = new int[rows];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) rnd.nextInt(256);
        }
        for (int i = 0; i < rows; i++) {
            labels[i] = rnd.nextInt(10);
        }
        ByteTensor raw = ByteTensor.wrap(pixels, rows, 784);
        ByteTensor x = Preprocessing.fit("scale", raw).apply(raw);
        for (int i = 0; i < CYCLES; i++) {
            OpenClBackend b = OpenClTestSupport.backendOrSkip();
            try {
                int heldOpen;
                try (Sequential m = new Sequential(new Input(784), new Dense(128, "relu"), new BatchNormalization(),
                        new Dropout(0.2), new Dense(10, "softmax")).backend(b).seed(i)) {
                    m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
                    m.fit(x, labels, new FitOptions().batchSize(64).epochs(1).verbose(0)
                            .validationData(x.rows(0, 64), Arrays.copyOf(labels, 64)));
                    m.predict(x.rows(0, 10));
                    heldOpen = b.openBuffers();
                }
                assertTrue(heldOpen > 0, "cycle " + i + ": the model held no buffer on the backend");
                assertEquals(0, b.openBuffers(), "cycle " + i + ": buffers left open by the closed model (of "
                        + heldOpen + " it held)");
            } finally {
                b.close();
            }
        }
    }
}
