package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.Slice;
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
 * same ops issued one by one give ({@code -Ddendrite.cuda.graphs=false}). The same kernels run on the same
 * inputs with fixed cuBLAS workspaces (in the graph, the weight gradients on a parallel branch that touches
 * nothing the main path does meanwhile), and cuBLAS documents bit-wise identical results from run to run on the
 * same GPU, so the tolerance is zero. The GEMM path is pinned ({@code -Ddendrite.cuda.gemm}): in
 * the default "auto" each backend measures cuBLAS against the own kernels per shape and two backends may choose
 * differently; "own" is checked too, because all own variants give the same bits whichever is chosen, also for a
 * shape first seen during the capture. (The CPU-side twin, {@code StepCaptureTest}, checks the
 * engine's recording logic in every CI run.) Skipped, with the reason, where there is no usable GPU.
 */
class CudaStepCaptureTest {

    private static CudaBackend cudaOrSkip(boolean graphs, String gemm) {
        return cudaOrSkip(graphs, gemm, true);
    }

    private static CudaBackend cudaOrSkip(boolean graphs, String gemm, boolean branches) {
        return CudaTestSupport.backendOrSkip(CudaStepCaptureTest.class, "dendrite.cuda.graphs",
                Boolean.toString(graphs), "dendrite.cuda.gemm", gemm, "dendrite.cuda.branches",
                Boolean.toString(branches));
    }

    private record Run(History history, List<float[]> weights, long graphLaunches) {
    }

    private static Run train(boolean graphs, String gemm, Dataset train, Preprocessing scale) {
        return train(graphs, gemm, train, scale, 1);
    }

    private static Run train(boolean graphs, String gemm, Dataset train, Preprocessing scale, int stepsPerExecution) {
        try (CudaBackend cuda = cudaOrSkip(graphs, gemm);
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(256, "relu"),
                     new BatchNormalization(), new Dropout(0.2), new Dense(128, "relu"), new Dense(10, "softmax"))
                     .backend(cuda)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(scale.apply(train.images()), train.labels(), new FitOptions().batchSize(64).epochs(2)
                    .verbose(0).validationSplit(0.1).seed(5).stepsPerExecution(stepsPerExecution));
            return new Run(h, m.getWeights(), cuda.graphLaunches());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cublas", "cublaslt", "own"})
    void graphReplayTrainsExactlyLikeIssuingEachOp(String gemm) throws IOException {
        Dataset train = FashionMnist.loadSample().train(); // 3000 rows: 2700 train = 42 full batches + 12 rows
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run eager = train(false, gemm, train, scale);
        Run graphs = train(true, gemm, train, scale);
        assertEquals(0, eager.graphLaunches(), "graphs switched off");
        // 42 full batches and a partial one per epoch, each step gathering the next one's batch beside it
        // (BatchBuffers): five kinds of step (the epoch's first full batch, which gathers its own; those from either
        // batch buffer; the last full one, which gathers nothing next; the partial one), the first of each issued
        // directly. With -Ddendrite.prefetchBatches=false every step gathers its own: two kinds, full and partial.
        int kinds = CudaTestSupport.on("dendrite.prefetchBatches") ? 5 : 2;
        assertEquals(2 * 43 - kinds, graphs.graphLaunches(), "every other step of both epochs replayed from a graph");
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(eager.history().get(key), graphs.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < eager.weights().size(); i++) {
            assertArrayEquals(eager.weights().get(i), graphs.weights().get(i), "weight array " + i);
        }
        assertTrue(graphs.history().get("accuracy").get(1) > 0.7, "learns: " + graphs.history().get("accuracy"));
    }

    /**
     * Eight steps recorded as one graph (FitOptions.stepsPerExecution) train exactly like every op issued one by
     * one, with one graph launch per execution: 42 full batches are executions of 8 (five) and 2, the partial
     * batch runs alone; four kinds (the epoch's first execution gathers its own first batch, the next four start
     * from the batch the one before gathered), the first execution of each issued directly. With
     * -Ddendrite.prefetchBatches=false three kinds: executions of 8, of 2, and the partial batch.
     */
    @Test
    void stepsPerExecutionLaunchOneGraphPerExecution() throws IOException {
        Dataset train = FashionMnist.loadSample().train();
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run eager = train(false, "cublas", train, scale, 1);
        Run graphs = train(true, "cublas", train, scale, 8);
        int kinds = CudaTestSupport.on("dendrite.prefetchBatches") ? 4 : 3;
        assertEquals(2 * 7 - kinds, graphs.graphLaunches(), "one launch per execution but the first of each kind");
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(eager.history().get(key), graphs.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < eager.weights().size(); i++) {
            assertArrayEquals(eager.weights().get(i), graphs.weights().get(i), "weight array " + i);
        }
    }

    /**
     * Evaluation batches replay from a graph too (the first full batch issued directly, the second recorded, the
     * rest replayed): over 1000 rows in the default batches of 256 (three full, one of 232), two graph launches, and
     * the loss, the accuracy and the device-counted top-2 hits exactly as with every op issued. With
     * -Ddendrite.recordEvaluation=false none is recorded, and the results are the same.
     */
    @Test
    void evaluationBatchesReplayFromAGraphToTheIssuedBits() throws IOException {
        Dataset data = FashionMnist.loadSample().train().rows(0, 1000);
        Preprocessing scale = Preprocessing.fit("scale", data.images());
        assertEquals(evaluated(false, data, scale), evaluated(true, data, scale));
    }

    private static java.util.Map<String, Double> evaluated(boolean graphs, Dataset data, Preprocessing scale) {
        try (CudaBackend cuda = cudaOrSkip(graphs, "cublas");
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"),
                     new BatchNormalization(), new Dense(10, "softmax")).backend(cuda)) {
            m.compile(new dev.dendrite.optimizers.Adam(1e-3),
                    dev.dendrite.losses.Loss.fromName("sparse_categorical_crossentropy"),
                    List.of("accuracy", new dev.dendrite.metrics.TopKCategoricalAccuracy(2)));
            m.fit(scale.apply(data.images()), data.labels(), new FitOptions().batchSize(100).epochs(1).verbose(0)
                    .seed(5));
            long before = cuda.graphLaunches();
            java.util.Map<String, Double> logs = m.evaluate(scale.apply(data.images()), data.labels());
            boolean recorded = graphs && CudaTestSupport.on("dendrite.recordEvaluation");
            assertEquals(recorded ? 2 : 0, cuda.graphLaunches() - before, "graph launches of the evaluation");
            return logs;
        }
    }

    /**
     * The critical path of a recorded step, for the course's mlp512 and bn256 (narrower). mlp: forward, a product and
     * its bias and activation kernel per layer (the last with softmax and the loss), then for each layer below the top
     * the input gradient's product and the activation's backward with the bias gradient, then the first layer's
     * weight gradient and its update, which also advances the counters: 12 nodes. bn (three Dense, relu, batch norm
     * and Dropout units, then Dense 10): forward a product and the batch norm per unit, then the output's product and
     * loss; backward per unit the input gradient's product and the batch norm's backward through the relu below,
     * then the first layer's weight gradient and update: 16. The gather of the next batch, the other weight
     * gradients and updates run beside them. At a small batch each node costs about one launch, so one node more
     * here is a launch more on every step: the second layer's update issued after the first layer's weight gradient
     * instead of beside it made mlp's 13, and a batch norm's update apart from the dense layer's above it put bn's
     * side path, 19 nodes long, ahead of the main one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "bn"})
    void aStepsCriticalPathIsItsChainOfLayers(String net) throws IOException {
        CudaTestSupport.assumeDefaultStep("the critical path of " + net + "'s step");
        Dataset data = FashionMnist.loadSample().train().rows(0, 640);
        Preprocessing scale = Preprocessing.fit("scale", data.images());
        try (CudaBackend cuda = CudaTestSupport.backendOrSkip(CudaStepCaptureTest.class, "dendrite.cuda.gemm",
                "cublas", "dendrite.cuda.graphShape", "true"); Sequential m = (net.equals("mlp")
                ? new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"), new Dense(32, "relu"),
                        new Dense(10, "softmax"))
                : new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"), new BatchNormalization(),
                        new Dropout(0.2), new Dense(64, "relu"), new BatchNormalization(), new Dropout(0.2),
                        new Dense(64, "relu"), new BatchNormalization(), new Dropout(0.2), new Dense(10, "softmax")))
                .backend(cuda)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            m.fit(scale.apply(data.images()), data.labels(), new FitOptions().batchSize(64).epochs(1).verbose(0)
                    .seed(5));
            CudaGraph.GraphShape shape = cuda.largestGraph();
            assertTrue(shape != null, "a step was recorded as a graph");
            Assumptions.assumeTrue(shape.criticalPath() >= 0, "libdendrite_launch.so cannot read a graph's edges"
                    + " here (" + CudaLaunchEx.load() + "): the critical path is not checked");
            assertEquals(net.equals("mlp") ? 12 : 16, shape.criticalPath(), "nodes on the critical path: " + shape);
            assertTrue(shape.nodes() >= shape.criticalPath() + 4, "weight gradients and updates beside it: " + shape);
        }
    }

    /**
     * mlp's step with the output layer's two products on rows (a choices file, as a GPU's tuner may choose; every
     * other product on cuBLAS, as above): the softmax layer computes its product inside its loss kernel, so the main
     * path is 11 nodes where cuBLAS's product made it 12, and the graph has two nodes fewer than with cuBLAS
     * everywhere and the update not carried: that product, and the output layer's update, which shares the second
     * layer's op (carried down); with -Ddendrite.updates.carry=false only the product. The hidden layers keep their
     * product and the kernel after it (the file's "product" lines; see the next test).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theOutputLayerOnRowsAndItsUpdateCarriedTakeNodesOff(boolean carry) throws IOException {
        CudaTestSupport.assumeDefaultStep("the nodes that rows and the carry take off");
        // the engine reads the carry when the model compiles; the cuBLAS run keeps the update apart
        long[] nodes = mlpStepGraphs(mlpChoices("rows", "product"), new String[] {"false", carry ? null : "false"},
                new String[0], (cuda, cublas, history, shape) -> {
                    assertEquals(cublas ? 12 : 11, shape.criticalPath(), (cublas ? "cuBLAS" : "rows") + ": " + shape);
                    if (!cublas) {
                        assertEquals(GemmVariant.ROWS.id(), cuda.gemmChoice(false, false, 64, 10, 32),
                                "the choices file's path for the output layer's product");
                    }
                });
        assertEquals(carry ? 2L : 1L, nodes[0] - nodes[1], "nodes off by rows" + (carry ? " and the carry" : ""));
    }

    /** What a test checks of one run of {@link #mlpStepGraphs}. */
    private interface StepGraphCheck {
        void check(CudaBackend cuda, boolean cublas, History history, CudaGraph.GraphShape shape);
    }

    /**
     * mlp (64 and 32 relu units, 10 softmax) trained one epoch of 640 images at batch 64, twice: with cuBLAS forced,
     * then on the choices file {@code choiceLines} with the backend properties {@code chosen} (key, value, ...); the
     * update carried as {@code carry[run]} says (null: the default). After each run {@code check} sees the backend and
     * its largest graph, whose critical path must be readable (else the test is skipped, saying why). Returns the two
     * graphs' node counts.
     */
    private static long[] mlpStepGraphs(List<String> choiceLines, String[] carry, String[] chosen,
                                        StepGraphCheck check) throws IOException {
        Dataset data = FashionMnist.loadSample().train().rows(0, 640);
        Preprocessing scale = Preprocessing.fit("scale", data.images());
        java.nio.file.Path choices = java.nio.file.Files.createTempFile("dendrite-choices", ".txt");
        try {
            java.nio.file.Files.write(choices, choiceLines);
            long[] nodes = new long[2];
            for (int run = 0; run < 2; run++) {
                boolean cublas = run == 0;
                List<String> properties = new java.util.ArrayList<>(List.of("dendrite.cuda.graphShape", "true"));
                properties.addAll(List.of("dendrite.cuda.gemm", cublas ? "cublas" : "auto"));
                if (!cublas) {
                    properties.addAll(List.of("dendrite.gemm.choices", choices.toString()));
                    properties.addAll(java.util.Arrays.asList(chosen));
                }
                try (CudaBackend cuda = CudaTestSupport.backendOrSkip(CudaStepCaptureTest.class,
                        properties.toArray(new String[0]));
                     Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"),
                             new Dense(32, "relu"), new Dense(10, "softmax")).backend(cuda)) {
                    History h = CudaTestSupport.withProperties(() -> {
                        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
                        return m.fit(scale.apply(data.images()), data.labels(), new FitOptions().batchSize(64)
                                .epochs(1).verbose(0).seed(5));
                    }, "dendrite.updates.carry", carry[run]);
                    CudaGraph.GraphShape shape = cuda.largestGraph();
                    assertTrue(shape != null, "a step was recorded as a graph");
                    Assumptions.assumeTrue(shape.criticalPath() >= 0, "libdendrite_launch.so cannot read a graph's"
                            + " edges here (" + CudaLaunchEx.load() + "): the critical path is not checked");
                    check.check(cuda, cublas, h, shape);
                    nodes[run] = shape.nodes();
                }
            }
            return nodes;
        } finally {
            java.nio.file.Files.deleteIfExists(choices);
        }
    }

    /**
     * A choices file for mlp's step at batch 64 (the lines -Ddendrite.gemm.verbose=true prints): every product on
     * cuBLAS but the output layer's two, on {@code output}, and the two relu layers on {@code hidden} ("product" or a
     * "cublaslt-epilogue/" algorithm).
     */
    private static List<String> mlpChoices(String output, String hidden) {
        List<String> lines = new java.util.ArrayList<>();
        for (String shape : new String[] {"A*B m=64 n=64 k=784", "A*B m=64 n=32 k=64", "A^T*B m=784 n=64 k=64",
                "A^T*B m=64 n=32 k=64", "A*B^T m=64 n=64 k=32", "A*B^T m=64 n=32 k=10"}) {
            lines.add("dendrite gemm (cuda): " + shape + ": set by this test -> cublas");
        }
        lines.add("dendrite gemm (cuda): A*B m=64 n=10 k=32: set by this test -> " + output);
        lines.add("dendrite gemm (cuda): A^T*B m=32 n=10 k=64: set by this test -> " + output);
        lines.add("dendrite gemm (cuda_dense_relu_bias): A*B m=64 n=64 k=784: set by this test -> " + hidden);
        lines.add("dendrite gemm (cuda_dense_relu_bias): A*B m=64 n=32 k=64: set by this test -> " + hidden);
        return lines;
    }

    /**
     * mlp's step with its two relu layers each one cuBLASLt product with the bias and relu in its epilogue (a choices
     * file, as a GPU's tuner may choose; every product on cuBLAS, as above): the kernel after each forward product
     * goes, so the main path is 10 nodes where it was 12, and the graph two nodes smaller; with
     * {@code -Ddendrite.cuda.ltEpilogue=false} the file's dense lines are left aside and the step is cuBLAS's again.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theHiddenLayersInCublasLtsEpilogueTakeTheirKernelsOff(boolean epilogue) throws IOException {
        CudaTestSupport.assumeDefaultStep("the nodes that the epilogues take off");
        long[] nodes = mlpStepGraphs(mlpChoices("cublas", "cublaslt-epilogue/0"), new String[2],
                new String[] {"dendrite.cuda.ltEpilogue", epilogue ? null : "false"},
                (cuda, cublas, history, shape) -> {
                    Assumptions.assumeTrue(cuda.description().contains(", cuBLASLt,"), "no cuBLASLt here: "
                            + cuda.description());
                    assertTrue(Double.isFinite(history.get("loss").get(0)), "a finite loss: " + history.get("loss"));
                    boolean fused = !cublas && epilogue;
                    assertEquals(fused ? 10 : 12, shape.criticalPath(), (fused ? "epilogues" : "cuBLAS") + ": "
                            + shape);
                    assertEquals(fused, cuda.cublasLtEpilogues() > 0, "layers run in cuBLASLt's epilogue");
                });
        assertEquals(epilogue ? 2L : 0L, nodes[0] - nodes[1], "nodes off by the epilogues");
    }

    /**
     * A branch recorded in a graph is a path beside the main one: fill c1; branch {fill c2}; fill c3; join; copy
     * c2 to c4 is four nodes with four edges (c1 before both c2 and c3, and both before the copy), where one path
     * has three; with {@code -Ddendrite.cuda.branches=false} it is that one path. Replays give the same values.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aBranchIsAPathBesideTheMainOne(boolean branches) {
        try (CudaBackend cuda = cudaOrSkip(true, "cublas", branches);
             Buffer c = cuda.allocate(DType.F32, 4 * 256)) {
            Slice c1 = c.slice(0, 256);
            Slice c2 = c.slice(256, 256);
            Slice c3 = c.slice(512, 256);
            Slice c4 = c.slice(768, 256);
            Runnable step = () -> {
                cuda.fill(c1, 1f);
                cuda.branch(() -> cuda.fill(c2, 2f));
                cuda.fill(c3, 3f);
                cuda.joinBranches();
                cuda.copy(c2, c4);
            };
            step.run(); // outside a recording, as the engine's first step: creates the side lane
            cuda.fill(c.all(), 0f);
            try (CudaGraph g = CudaGraph.capture(cuda, step)) {
                long[] ne = g.nodesAndEdges();
                assertEquals(4, ne[0], "nodes");
                assertEquals(branches ? 4 : 3, ne[1], "edges");
                // c1 > c3 > copy (or c1 > c2 > copy) with the branch; all four in a row without it.
                assertEquals(branches ? 3 : 4, g.shape().criticalPath(), "nodes on the longest chain");
                g.launch();
                g.launch();
                float[] got = new float[4 * 256];
                cuda.download(c.all(), got, 0);
                for (int i = 0; i < 256; i++) {
                    assertEquals(1f, got[i]);
                    assertEquals(2f, got[256 + i]);
                    assertEquals(3f, got[512 + i]);
                    assertEquals(2f, got[768 + i], "the copy after the join sees the branch's fill");
                }
            }
        }
    }
}
