package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;

/**
 * Training from a {@link DataSource} on one backend gives bit for bit the weights of training on the same arrays
 * in the same order on that backend: the source path changes where a batch's rows come from (a two-slot staging
 * area read through an index map) but no op, and its recorded step (a CUDA graph, on CUDA) is replayed like the
 * array path's. Run per backend by a subclass that makes the backend or skips, saying why.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SourceFitBackendTest {
    private Backend backend;

    /** The backend under test; skips (a JUnit assumption, with the reason) where it cannot run. */
    protected abstract Backend createBackend();

    @BeforeAll
    void start() {
        backend = createBackend();
    }

    @AfterAll
    void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    private Sequential net() {
        // The GEMM tuner keeps its choice per shape on the backend, so both fits below run the same kernels.
        Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"), new Dropout(0.2),
                new Dense(10, "softmax")).backend(backend);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    @Test
    void aSourceOfUint8ImagesTrainsExactlyAsTheArrays() throws Exception {
        TrainTest sample = FashionMnist.loadSample();
        Dataset d = sample.train().rows(0, 1000); // 7 full batches of 128 and one of 104
        ByteTensor x = scaled(d.images());
        int[] y = d.labels();
        Dataset v = sample.test().rows(0, 300);
        ByteTensor vx = scaled(v.images());
        int[] vy = v.labels();
        History arrays;
        List<float[]> expected;
        try (Sequential m = net()) {
            arrays = m.fit(x, y, new FitOptions().batchSize(128).epochs(2).verbose(0).shuffle(false)
                    .validationData(vx, vy));
            expected = m.getWeights();
        }
        try (Sequential m = net()) {
            History h = m.fit(DataSource.of(x, y, 128, false, 0), new FitOptions().epochs(2).verbose(0)
                    .validationData(vx, vy));
            List<float[]> got = m.getWeights();
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i), "weight " + i + " on " + backend.name());
            }
            assertEquals(arrays.get("loss"), h.get("loss"));
            assertEquals(arrays.get("val_loss"), h.get("val_loss"));
            assertEquals(Arrays.asList(0, 1), h.epochs());
        }
    }

    /**
     * Batches that carry their samples' weights (Keras's {@code (x, y, sample_weight)} from a generator) train bit
     * for bit as {@code sampleWeight} on the arrays: the staging area holds the weights beside the labels and the
     * step gathers them through the same index map. Evaluating the weighted source gives the weighted arrays' loss
     * (to float rounding: the source is summed in batches of 128, the arrays in one).
     */
    @Test
    void aWeightedSourceTrainsExactlyAsWeightedArrays() throws Exception {
        TrainTest sample = FashionMnist.loadSample();
        Dataset d = sample.train().rows(0, 600); // 4 full batches of 128 and one of 88
        ByteTensor x = scaled(d.images());
        int[] y = d.labels();
        float[] w = new float[y.length];
        Random r = new Random(17);
        for (int i = 0; i < w.length; i++) {
            w[i] = i % 7 == 0 ? 0f : 2 * r.nextFloat(); // zeros, so that a sample given another's weight shows
        }
        List<float[]> expected;
        History arrays;
        try (Sequential m = net()) {
            arrays = m.fit(x, y, new FitOptions().batchSize(128).epochs(2).verbose(0).shuffle(false)
                    .sampleWeight(w));
            expected = m.getWeights();
        }
        try (Sequential m = net()) {
            History h = m.fit(DataSource.of(x, y, w, 128, false, 0), new FitOptions().epochs(2).verbose(0));
            List<float[]> got = m.getWeights();
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i), "weight " + i + " on " + backend.name());
            }
            assertEquals(arrays.get("loss"), h.get("loss"));
            double weighted = m.evaluate(x, y, w).get("loss");
            double fromSource = m.evaluate(DataSource.of(x, y, w, 128, false, 0)).get("loss");
            // float32 sums of 600 terms in two groupings: agree to ~600 * 2^-24 relative; 1e-5 leaves room
            assertEquals(weighted, fromSource, 1e-5 * weighted, "weighted evaluation on " + backend.name());
            double unweighted = m.evaluate(x, y).get("loss");
            assertTrue(Math.abs(unweighted - weighted) > 1e-3 * unweighted,
                    "the weights change the loss (" + weighted + " vs " + unweighted + ")");
        }
    }

    /** Pixels scaled to [0, 1] on the device, as the notebooks scale them. */
    static ByteTensor scaled(ByteTensor pixels) {
        float[] scale = new float[pixels.sampleSize()];
        Arrays.fill(scale, 1 / 255f);
        return pixels.withTransform(scale, new float[pixels.sampleSize()]);
    }
}
