package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * On a GPU, fit records its training step as one CUDA graph and replays it; training must be exactly what the
 * same ops issued one by one give ({@code -Ddendrite.cuda.graphs=false}). The same kernels run in the same
 * order on one stream with a fixed cuBLAS workspace, and cuBLAS documents bit-wise identical results from run
 * to run on the same GPU, so the tolerance is zero. The GEMM path is pinned ({@code -Ddendrite.cuda.gemm}): in
 * the default "auto" each backend measures cuBLAS against the own kernels per shape and two backends may choose
 * differently; "own" is checked too, because all own variants give the same bits whichever is chosen, also for a
 * shape first seen during the capture. (The CPU-side twin, {@code StepCaptureTest}, checks the
 * engine's recording logic in every CI run.) Skipped, with the reason, where there is no usable GPU.
 */
class CudaStepCaptureTest {

    private static CudaBackend cudaOrSkip(boolean graphs, String gemm) {
        String old = System.getProperty("dendrite.cuda.graphs");
        String oldGemm = System.getProperty("dendrite.cuda.gemm");
        System.setProperty("dendrite.cuda.graphs", Boolean.toString(graphs));
        System.setProperty("dendrite.cuda.gemm", gemm);
        try {
            return new CudaBackend();
        } catch (UnsupportedOperationException e) {
            System.out.println("CudaStepCaptureTest skipped: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        } finally {
            restore("dendrite.cuda.graphs", old);
            restore("dendrite.cuda.gemm", oldGemm);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private record Run(History history, List<float[]> weights, long graphLaunches) {
    }

    private static Run train(boolean graphs, String gemm, Dataset train, Preprocessing scale) {
        try (CudaBackend cuda = cudaOrSkip(graphs, gemm);
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(256, "relu"),
                     new BatchNormalization(), new Dropout(0.2), new Dense(128, "relu"), new Dense(10, "softmax"))
                     .backend(cuda)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(scale.apply(train.images()), train.labels(), new FitOptions().batchSize(64).epochs(2)
                    .verbose(0).validationSplit(0.1).seed(5));
            return new Run(h, m.getWeights(), cuda.graphLaunches());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cublas", "own"})
    void graphReplayTrainsExactlyLikeIssuingEachOp(String gemm) throws IOException {
        Dataset train = FashionMnist.loadSample().train(); // 3000 rows: 2700 train = 42 full batches + 12 rows
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run eager = train(false, gemm, train, scale);
        Run graphs = train(true, gemm, train, scale);
        assertEquals(0, eager.graphLaunches(), "graphs switched off");
        // 42 full batches and a partial one per epoch; the first step of each shape is issued directly.
        assertEquals(2 * 43 - 2, graphs.graphLaunches(), "every other step of both epochs replayed from a graph");
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(eager.history().get(key), graphs.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < eager.weights().size(); i++) {
            assertArrayEquals(eager.weights().get(i), graphs.weights().get(i), "weight array " + i);
        }
        assertTrue(graphs.history().get("accuracy").get(1) > 0.7, "learns: " + graphs.history().get("accuracy"));
    }
}
