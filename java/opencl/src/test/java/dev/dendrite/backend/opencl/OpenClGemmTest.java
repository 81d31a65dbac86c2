package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.GemmChecks;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.Slice;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenCL GEMM, every variant of kernels/common/gemm_tiled.h forced in turn (and the per-shape choice), against
 * a float64 reference and bit for bit against {@link dev.dendrite.backend.cpu.CpuGemm} ({@link GemmChecks} states
 * and justifies the tolerance): all four transpose combinations, shapes on and around the tile edges and the
 * 256-deep k-blocks (so the split variant folds 2 and 3 blocks), degenerate shapes, slices at odd offsets inside
 * larger buffers, beta == 0 over a C full of NaN, alpha == 0 over an A full of NaN. This is where the GEMM code
 * the CUDA backend runs too is tested in every CI run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClGemmTest {
    private OpenClBackend backend;
    private GemmChecks checks;

    @BeforeAll
    void open() {
        backend = OpenClTestSupport.backendOrSkip();
        checks = new GemmChecks(backend, 20261123);
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @AfterEach
    void chooseAgain() {
        if (backend != null) {
            backend.forceGemmVariant(null);
            backend.forceDensePath(null);
        }
    }

    @Test
    void everyVariantOnAwkwardShapesAllTransposes() {
        for (GemmVariant v : GemmVariant.values()) {
            backend.forceGemmVariant(v);
            checks.awkwardShapes(v.toString(), true);
        }
    }

    /**
     * gemm_rows forced (the twin of CudaGemmTest's): products of at most 32 columns bit for bit against CpuGemm, with
     * one and two k-blocks summed at once (n up to 15, and 16 to 32), k-blocks cut short, all transpositions, alpha
     * and beta, and more rows than a grid's 65,535 groups of 8 hold (CUDA's limit on its second dimension, which the
     * groups then step down C); the awkward shapes are everyVariantOnAwkwardShapesAllTransposes's.
     */
    @Test
    void rowsGivesTheCpuBitsForNarrowProducts() {
        backend.forceGemmVariant(GemmVariant.ROWS);
        int tall = 8 * GemmVariant.ROWS_MAX_GROUPS + 13;
        assertTrue(GemmVariant.ROWS.groups(tall, 2, 3)[1] * GemmVariant.ROWS.tileM() < tall);
        checks.shapes("opencl rows", GemmChecks.NARROW, true);
        checks.shapes("opencl rows", new int[][] {{tall, 2, 3}}, true);
    }

    /**
     * denseSoftmaxCrossEntropy where the layer's product takes gemm_rows (the twin of CudaGemmTest's):
     * softmax_forward_xent_rows computes the rows of z itself, with the bits of gemm_rows, the softmax and the loss
     * apart, labels and one-hot targets, one and two k-blocks at a time, up to 32 classes, rows past one group.
     */
    @Test
    void aSoftmaxLayerOnRowsComputesItsProductInItsLossKernelBitForBit() {
        Random rnd = new Random(20261206);
        backend.forceGemmVariant(GemmVariant.ROWS);
        for (int[] s : new int[][] {{128, 512, 10}, {33, 600, 10}, {9, 100, 32}, {5, 30, 1}, {300, 40, 10}}) {
            GemmChecks.denseSoftmaxCrossEntropyIsItsOps(backend, rnd, "rows", s[0], s[1], s[2]);
        }
    }

    /**
     * Unforced, a softmax layer's shape is timed on its first call both ways, its product apart then the loss kernel
     * against the product inside the loss kernel (softmax_forward_xent_rows), and keeps the faster: either way the
     * bits of the ops apart, the statistics included, which the timing's calls add to (the timing puts them back;
     * planted, without that, the statistics differ). Shapes no other test here times.
     */
    @Test
    void aSoftmaxLayerShapeIsTimedWithAndWithoutItsLossKernelOnceWithTheSameBits() {
        assumeTrue(!"false".equals(System.getProperty("dendrite.opencl.fuse")),
                "-Ddendrite.opencl.fuse=false: the softmax layer's product always runs apart");
        Random rnd = new Random(20261214);
        backend.forceGemmVariant(null);
        for (int[] s : new int[][] {{72, 300, 10}, {40, 130, 24}}) {
            assertEquals(null, backend.softmaxChoice(s[0], s[1], s[2]), "before its first call");
            for (int call = 0; call < 2; call++) {
                GemmChecks.denseSoftmaxCrossEntropyIsItsOps(backend, rnd, "call " + call, s[0], s[1], s[2]);
                String chosen = backend.softmaxChoice(s[0], s[1], s[2]);
                assertTrue(OpenClGemmOps.DENSE_APART.equals(chosen) || OpenClGemmOps.DENSE_ENDING.equals(chosen),
                        "chosen: " + chosen);
            }
        }
    }

    @Test
    void theSplitVariantSplitsTheseShapes() {
        // Otherwise the test above would not reach gemm_fold with 2 and 3 blocks.
        for (int blocks : new int[] {2, 3}) {
            assertTrue(Arrays.stream(GemmChecks.AWKWARD).anyMatch(s -> GemmVariant.SMALL.splits(s[0], s[1], s[2])
                    == blocks), blocks + " k-blocks");
        }
    }

    @Test
    void measuredChoiceIsRememberedAndAgrees() {
        // Course-like shapes, scaled down for a CPU device: a batch times a layer, dW = X^T dZ, dX = dZ W^T.
        int[][] shapes = {{32, 128, 300}, {300, 128, 32}, {32, 300, 128}};
        boolean[][] transposes = {{false, false}, {true, false}, {false, true}};
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            boolean ta = transposes[i][0];
            boolean tb = transposes[i][1];
            checks.check("auto", ta, tb, s[0], s[1], s[2], 1f, 0f, true);
            GemmVariant chosen = backend.gemmChoice(ta, tb, s[0], s[1], s[2]);
            assertNotNull(chosen, "a choice is remembered for " + Arrays.toString(s));
            assertTrue(chosen.suits(s[0], s[1], s[2]) || chosen == GemmVariant.rule(s[0], s[1], s[2]),
                    chosen + " was a candidate for " + Arrays.toString(s));
            checks.check("auto again", ta, tb, s[0], s[1], s[2], -0.5f, 0.25f, true);
            assertEquals(chosen, backend.gemmChoice(ta, tb, s[0], s[1], s[2]), "the choice is kept");
        }
    }

    @Test
    void ruleModeAndForcedModeComeFromTheProperty() {
        String key = "dendrite.opencl.gemm";
        String old = System.getProperty(key);
        try {
            System.setProperty(key, "rule");
            try (OpenClBackend ruled = new OpenClBackend(backend.device())) {
                runOnce(ruled, 40, 70, 300);
                assertEquals(GemmVariant.rule(40, 70, 300), ruled.gemmChoice(false, false, 40, 70, 300));
            }
            System.setProperty(key, "tiles-please");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new OpenClBackend(backend.device()).close());
            assertTrue(e.getMessage().contains("tiles-please") && e.getMessage().contains("tile64"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNAndBetaAccumulates() {
        for (int[] s : new int[][] {{70, 90, 40}, {5, 6, 7}}) {
            checks.check("auto", false, false, s[0], s[1], s[2], 2f, 0f, true);  // C starts as NaN: must not leak
            checks.check("auto", true, true, s[0], s[1], s[2], -0.5f, 1f, true); // accumulate into C
            checks.check("auto", false, true, s[0], s[1], s[2], 1f, 0.25f, true);
        }
    }

    @Test
    void alphaZeroDoesNotReadAOrB() {
        for (GemmVariant v : GemmVariant.values()) {
            backend.forceGemmVariant(v);
            checks.alphaZero(v.toString());
        }
    }

    @Test
    void zeroSizedProductsTouchNothing() {
        Buffer c = backend.allocate(DType.F32, 4);
        Buffer twelve = backend.allocate(DType.F32, 12);
        try {
            backend.upload(new float[] {1, 2, 3, 4}, 0, c.all());
            Slice empty = c.slice(0, 0);
            backend.gemm(false, false, 0, 4, 3, 1f, empty, twelve.all(), 0f, c.all());
            backend.gemm(false, false, 4, 0, 3, 1f, twelve.all(), empty, 0f, c.slice(0, 0));
            float[] got = new float[4];
            backend.download(c.all(), got, 0);
            assertEquals(Arrays.toString(new float[] {1, 2, 3, 4}), Arrays.toString(got));
        } finally {
            c.close();
            twelve.close();
        }
    }

    /**
     * denseForward and denseDropoutForward with each variant forced: where it splits k (SMALL at k = 300 and 784), the
     * partial sums fold straight into the bias and activation (gemm_fold_bias_activation), with the bits of the
     * product followed by biasActivationForward (and the dropout); elsewhere both take the two ops.
     */
    @Test
    void denseForwardFoldsASplitProductIntoTheActivationBitForBit() {
        Random rnd = new Random(20261207);
        int[][] shapes = {{64, 784, 70}, {33, 300, 40}, {16, 100, 20}};
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.SELU, ActivationFunction.LINEAR};
        assertTrue(GemmVariant.SMALL.splits(64, 70, 784) > 1 && GemmVariant.SMALL.splits(33, 40, 300) > 1);
        forEachLayerCase(SPLIT_AND_NOT, shapes, fs, (v, s, f, withBias) -> {
            int rows = s[0];
            int k = s[1];
            int n = s[2];
            String what = v + " " + rows + "x" + k + "x" + n + " " + f + (withBias ? " bias" : "");
            try (Buffer x = filled(rnd, rows * k); Buffer w = filled(rnd, k * n);
                 Buffer bias = filled(rnd, n); Buffer steps = backend.allocate(DType.I32, 2);
                 Buffer one = backend.allocate(DType.F32, 3 * rows * n);
                 Buffer two = backend.allocate(DType.F32, 3 * rows * n)) {
                backend.upload(new int[] {6, 0}, 0, steps.all());
                Slice b = withBias ? bias.all() : null;
                Slice z1 = one.slice(0, rows * n);
                Slice y1 = one.slice(rows * n, rows * n);
                Slice d1 = one.slice(2 * rows * n, rows * n);
                backend.gemm(false, false, rows, n, k, 1f, x.all(), w.all(), 0f, z1);
                backend.biasActivationForward(z1, b, rows, n, f, 0.1f, y1);
                backend.dropoutForward(y1, d1, rows * n, 0.3f, 123L, 4, steps.all());
                Slice z2 = two.slice(0, rows * n);
                Slice y2 = two.slice(rows * n, rows * n);
                Slice d2 = two.slice(2 * rows * n, rows * n);
                backend.denseDropoutForward(x.all(), w.all(), b, rows, k, n, f, 0.1f, z2, y2, d2, 0.3f,
                        123L, 4, steps.all());
                assertArrayEquals(download(one), download(two),
                        what + ": z, y and the dropped y");
                backend.denseForward(x.all(), w.all(), b, rows, k, n, f, 0.1f, z2, y2);
                assertArrayEquals(download(one), download(two),
                        what + ": z and y");
            }
        });
    }

    /**
     * A dense layer's forward pass ending in its tiled product (gemm.cl's gemm_&lt;variant&gt;_dense), each tiled
     * variant forced, every activation but softmax, with and without a bias, and linear with y over z: z and y bit
     * for bit like the product followed by biasActivationForward, and one recorded launch (the default; more with
     * the switches off, as the device runner's reruns set them), replayed to the same bits. SMALL splits k on the
     * first two shapes, so there the last group of each tile folds it: 32 x 32 tiles, 4 and 2 of them on a tile,
     * each tile's ticket left at 0 for the next shape (planted, a ticket not reset fails the next).
     */
    @Test
    void aDenseLayerEndsInItsTiledProductInOneLaunchBitForBit() {
        Random rnd = new Random(20261206);
        int[][] shapes = {{128, 784, 70}, {33, 300, 40}, {5, 17, 3}, {130, 256, 129}};
        assertTrue(GemmVariant.SMALL.splits(128, 70, 784) == 4 && GemmVariant.SMALL.splits(33, 40, 300) == 2);
        if (endingSwitchesAtTheirDefaults()) {
            assertEquals(1, backend.denseForwardLaunches(true, true), "the default: one launch, split or not");
        }
        forEachLayerCase(TILED, shapes, ELEMENT_WISE, (v, s, f, withBias) -> {
            int rows = s[0];
            int k = s[1];
            int n = s[2];
            String what = v + " " + rows + "x" + k + "x" + n + " " + f + (withBias ? " bias" : "");
            boolean split = v.splits(rows, n, k) > 1;
            denseEndsInItsProduct(rnd, what, rows, k, n, f, withBias,
                    backend.denseForwardLaunches(split, true));
            if (f == ActivationFunction.RELU) { // the tuner's other path
                backend.forceDensePath(OpenClGemmOps.DENSE_APART);
                denseEndsInItsProduct(rnd, what + " apart", rows, k, n, f, withBias,
                        backend.denseForwardLaunches(split, false));
                backend.forceDensePath(null);
            }
        });
    }

    /**
     * Unforced, a dense layer shape is timed both ways on its first call (the product apart, and ending in its
     * product) and keeps the faster, for that shape only; either way the bits of the two ops.
     */
    @Test
    void aDenseLayerShapeIsTimedBothWaysOnceWithTheSameBits() {
        Random rnd = new Random(20261210);
        int rows = 96;
        int k = 300;
        int n = 70;
        assumeTrue(backend.denseForwardLaunches(false, true) == 1,
                "dense layers ending in their product are switched off (dendrite.opencl.fuse or denseEpilogue)");
        org.junit.jupiter.api.Assertions.assertNull(backend.denseChoice(rows, k, n), "before its first call");
        // The dense path is timed only where the product's variant is tiled and unsplit; the GEMM tuner's own
        // measurement may pick another on a busy machine, so the product's choice is set, as a choices file would.
        backend.chooseGemmVariant(false, false, rows, n, k, GemmVariant.TILE64);
        for (int call = 0; call < 2; call++) {
            try (Buffer x = filled(rnd, rows * k); Buffer w = filled(rnd, k * n); Buffer bias = filled(rnd, n);
                 Buffer one = backend.allocate(DType.F32, 2 * rows * n);
                 Buffer two = backend.allocate(DType.F32, 2 * rows * n)) {
                backend.gemm(false, false, rows, n, k, 1f, x.all(), w.all(), 0f, one.slice(0, rows * n));
                backend.biasActivationForward(one.slice(0, rows * n), bias.all(), rows, n,
                        ActivationFunction.ELU, 0.3f, one.slice(rows * n, rows * n));
                backend.denseForward(x.all(), w.all(), bias.all(), rows, k, n,
                        ActivationFunction.ELU, 0.3f, two.slice(0, rows * n),
                        two.slice(rows * n, rows * n));
                assertArrayEquals(download(one), download(two), "call " + call);
            }
            String chosen = backend.denseChoice(rows, k, n);
            assertTrue(OpenClGemmOps.DENSE_APART.equals(chosen) || OpenClGemmOps.DENSE_ENDING.equals(chosen),
                    "chosen: " + chosen);
        }
        org.junit.jupiter.api.Assertions.assertNull(backend.denseChoice(rows, k, n + 1), "another shape");
        assertThrows(IllegalArgumentException.class, () -> backend.forceDensePath("fused"));
    }

    private void denseEndsInItsProduct(Random rnd, String what, int rows, int k, int n,
                                       ActivationFunction f, boolean withBias, int launches) {
        boolean inPlace = f == ActivationFunction.LINEAR;
        // Every slice at an odd offset inside its buffer, as a layer's activations and parameters may lie.
        try (Buffer xb = filled(rnd, rows * k + 3); Buffer wb = filled(rnd, k * n + 5); Buffer bb = filled(rnd, n + 1);
             Buffer one = backend.allocate(DType.F32, 2 * rows * n + 1);
             Buffer two = backend.allocate(DType.F32, 2 * rows * n + 1)) {
            Slice x = xb.slice(3, rows * k);
            Slice w = wb.slice(5, k * n);
            Slice b = withBias ? bb.slice(1, n) : null;
            Slice z1 = one.slice(1, rows * n);
            Slice y1 = inPlace ? z1 : one.slice(1 + rows * n, rows * n);
            backend.fill(one.all(), Float.NaN); // y over z leaves half of each buffer as it was: NaN in both
            backend.gemm(false, false, rows, n, k, 1f, x, w, 0f, z1);
            backend.biasActivationForward(z1, b, rows, n, f, 0.1f, y1);
            float[] expected = download(one);
            Slice z2 = two.slice(1, rows * n);
            Slice y2 = inPlace ? z2 : two.slice(1 + rows * n, rows * n);
            try (dev.dendrite.backend.CapturedStep step = backend.capture(
                    () -> backend.denseForward(x, w, b, rows, k, n, f, 0.1f, z2, y2))) {
                assertEquals(launches, ((OpenClRecording) step).size(), what + ": launches");
                for (int replay = 0; replay < 2; replay++) {
                    backend.fill(two.all(), Float.NaN);
                    step.run();
                    assertArrayEquals(expected, download(two),
                            what + ": z and y, replay " + replay);
                }
            }
        }
    }

    /**
     * denseSoftmaxCrossEntropy with each variant forced: where it splits k, softmax_forward_xent folds the partial
     * sums itself; the bits of the product, the softmax and the loss apart (z, y, the probabilities, the gradient and
     * the statistics, whose scratch must not overlap the partial sums), sparse labels and one-hot targets.
     */
    @Test
    void denseSoftmaxCrossEntropyFoldsASplitProductBitForBit() {
        Random rnd = new Random(20261208);
        int rows = 33;
        int k = 600;
        int n = 10;
        assertTrue(GemmVariant.SMALL.splits(rows, n, k) > 2);
        for (GemmVariant v : SPLIT_AND_NOT) {
            backend.forceGemmVariant(v);
            GemmChecks.denseSoftmaxCrossEntropyIsItsOps(backend, rnd, v.toString(), rows, k, n);
        }
    }

    /**
     * The output layer's bias gradient summed by the softmax loss kernel's last group (row_stats.h): with each path to
     * the loss kernel (gemm_rows inside it, a split product folded by it, a tiled product before it) and the tuner's
     * own, sparse labels and one-hot targets, one group and three (rows past 256 and 512), chunks of 16 rows with a
     * short last one: every bit of z, y, the probabilities, the gradient, the statistics and the bias gradient as the
     * ops apart and columnSums. Written in the loss kernel wherever lastGroup is on and it has at most
     * BIAS_PARTIALS_IN_LOSS chunk partials to sum (1,100 rows x 20 classes has 1,380: columnSums after it).
     */
    @Test
    void aSoftmaxLayerSumsItsBiasGradientInItsLossKernelBitForBit() {
        Random rnd = new Random(20261209);
        boolean lastGroup = !"false".equals(System.getProperty("dendrite.opencl.lastGroup"));
        int[][] shapes = {{128, 512, 10}, {600, 40, 10}, {33, 600, 10}, {1, 7, 3}, {1100, 30, 20}};
        for (GemmVariant v : new GemmVariant[] {GemmVariant.ROWS, GemmVariant.SMALL, GemmVariant.TILE64, null}) {
            backend.forceGemmVariant(v);
            for (int[] s : shapes) {
                if (v == GemmVariant.ROWS && !v.suits(s[0], s[2], s[1])) {
                    continue;
                }
                boolean inLoss = lastGroup && (s[0] + 15) / 16 * s[2] <= OpenClLossOps.BIAS_PARTIALS_IN_LOSS;
                assertEquals(inLoss, GemmChecks.denseSoftmaxCrossEntropyIsItsOps(backend, rnd, v + " bias gradient",
                        s[0], s[1], s[2]), v + " " + Arrays.toString(s) + ": the bias gradient in the loss kernel");
            }
        }
        assertTrue(Arrays.stream(shapes).anyMatch(s -> GemmVariant.ROWS.suits(s[0], s[2], s[1])), "rows reached");
    }

    /**
     * inputGradientActivationBackward with each variant forced: where the product splits k (SMALL at k = 300 and 600),
     * activation_backward folds its partial sums itself, with the bits of the product followed by activationBackward;
     * with the bias gradient's chunk partials (128 rows: 8 chunks), whose scratch must not overlap the partial sums,
     * and with a dropout.
     */
    @Test
    void inputGradientActivationBackwardFoldsASplitProductBitForBit() {
        Random rnd = new Random(20261209);
        int[][] shapes = {{128, 70, 300}, {40, 33, 600}, {128, 50, 10}};
        for (GemmVariant v : SPLIT_AND_NOT) {
            backend.forceGemmVariant(v);
            for (int[] s : shapes) {
                int rows = s[0];
                int cols = s[1];
                int k = s[2];
                for (boolean dropout : new boolean[] {false, true}) {
                    String what = v + " " + rows + "x" + cols + "x" + k + (dropout ? " dropout" : "");
                    try (Buffer dzNext = filled(rnd, rows * k); Buffer wNext = filled(rnd, cols * k);
                         Buffer z = filled(rnd, rows * cols); Buffer steps = backend.allocate(DType.I32, 2);
                         Buffer one = backend.allocate(DType.F32, rows * cols + cols);
                         Buffer two = backend.allocate(DType.F32, rows * cols + cols)) {
                        backend.upload(new int[] {8, 0}, 0, steps.all());
                        Slice c = dropout ? steps.all() : null;
                        float rate = dropout ? 0.25f : 0f;
                        Slice dz1 = one.slice(0, rows * cols);
                        Slice db1 = one.slice(rows * cols, cols);
                        backend.gemm(false, true, rows, cols, k, 1f, dzNext.all(), wNext.all(), 0f, dz1);
                        if (dropout) {
                            backend.dropoutBackward(dz1, dz1, rows * cols, rate, 5L, 2, c);
                        }
                        backend.activationBackward(z.all(), z.all(), dz1, rows, cols,
                                ActivationFunction.RELU, 0f, dz1, db1);
                        backend.inputGradientActivationBackward(dzNext.all(), wNext.all(), k, z.all(), z.all(), rows,
                                cols, ActivationFunction.RELU, 0f, two.slice(0, rows * cols),
                                two.slice(rows * cols, cols), rate, 5L, 2, c);
                        assertArrayEquals(download(one), download(two), what);
                    }
                }
            }
        }
    }

    /**
     * A dense layer's backward pass under another ending in the tiled input-gradient product (gemm.cl's
     * gemm_&lt;variant&gt;_backward), each tiled variant forced, every element-wise activation, with and without bias:
     * dz and the bias gradient bit for bit like the product followed by activationBackward, one recorded launch (the
     * default; more with the switches off), replayed to the same bits. Shapes: the course's 128 x 512 under 512 units,
     * SMALL split 2 and 3 ways (the last group of each tile folds its product, then every tile's chunk partials go
     * to the kernel's last group), a short last chunk, fewer rows than a chunk, and edges of every tile size.
     * Planted, each fails it: chunk partials from the wrong rows, the groups of a split tile that did not store it
     * ending it anyway, and an ending that skips the derivative.
     */
    @Test
    void aDenseLayerUnderAnotherEndsItsBackwardPassInItsProductBitForBit() {
        Random rnd = new Random(20261207);
        int[][] shapes = {{128, 512, 512}, {128, 70, 300}, {33, 40, 600}, {5, 17, 40}, {130, 129, 257}};
        assertTrue(GemmVariant.SMALL.splits(128, 70, 300) == 2 && GemmVariant.SMALL.splits(33, 40, 600) == 3);
        forEachLayerCase(TILED, shapes, ELEMENT_WISE, (v, s, f, withBias) -> {
            int rows = s[0];
            int cols = s[1];
            int k = s[2];
            boolean split = v.splits(rows, cols, k) > 1;
            String what = v + " " + rows + "x" + cols + " under k=" + k + " " + f
                    + (withBias ? " bias" : "");
            int chunks = (rows + 15) / 16;
            backwardEndsInItsProduct(rnd, what, rows, cols, k, f, withBias, false,
                    backend.inputGradientBackwardLaunches(split, true, withBias, chunks));
            if (f == ActivationFunction.RELU) { // the tuner's other path
                backend.forceDensePath(OpenClGemmOps.DENSE_APART);
                backwardEndsInItsProduct(rnd, what + " apart", rows, cols, k, f, withBias, false,
                        backend.inputGradientBackwardLaunches(split, false, withBias, chunks));
                backend.forceDensePath(null);
            }
        });
    }

    /**
     * The same backward pass with the upper layer's weight gradient {@code y^T dzNext} beside the input gradient in
     * one launch (gemm.cl's gemm_&lt;variant&gt;_backward_pair), each tiled variant forced (so both products take it):
     * dw, dz and the bias gradient bit for bit like the two products and activationBackward, one recorded launch,
     * replayed. Where the weight gradient's product would split k (SMALL over 300 rows), the two launches of the
     * product and the ending instead, the same bits. Planted, each fails it: the weight gradient's groups placed on
     * the input gradient's grid, and an ending run by the weight gradient's groups too.
     */
    @Test
    void aDenseLayerUnderAnotherTakesTheUpperWeightGradientInTheSameLaunchBitForBit() {
        Random rnd = new Random(20261212);
        int[][] shapes = {{128, 512, 512}, {128, 70, 300}, {33, 40, 600}, {5, 17, 40}, {130, 129, 257}, {300, 40, 50}};
        boolean defaults = endingSwitchesAtTheirDefaults();
        ActivationFunction[] fs = {ActivationFunction.RELU, ActivationFunction.ELU};
        forEachLayerCase(TILED, shapes, fs, (v, s, f, withBias) -> {
            int rows = s[0];
            int cols = s[1];
            int k = s[2];
            boolean pair = v.splits(cols, k, rows) == 1;
            String what = v + " " + rows + "x" + cols + " under k=" + k + " " + f
                    + (withBias ? " bias" : "") + (pair ? ", one launch" : ", two launches");
            backwardEndsInItsProduct(rnd, what, rows, cols, k, f, withBias, true,
                    defaults ? (pair ? 1 : 2) : 0);
        });
    }

    /**
     * Where the tuner chose different variants for the two products (PoCL's did for mlp512: tile64 for the input
     * gradient, large for the weight gradient), the pair still runs, both products on the input gradient's variant:
     * one launch named after it, the bits of the two products and activationBackward (every variant gives the same
     * bits). With the products apart, three launches. Shapes no other test here tunes, each given its choices.
     * Planted, a pair refused where the variants differ fails it.
     */
    @Test
    void theUpperWeightGradientJoinsTheBackwardEndingWhateverItsOwnVariant() {
        assumeTrue(backend.inputGradientBackwardLaunches(false, true, true, 6) == 1,
                "dense layers ending in their product are switched off (dendrite.opencl.fuse, denseEpilogue or "
                        + "lastGroup)");
        Random rnd = new Random(20261213);
        GemmVariant[][] choices = {{GemmVariant.TILE64, GemmVariant.LARGE}, {GemmVariant.LARGE, GemmVariant.SMALL},
            {GemmVariant.SMALL, GemmVariant.TILE64}};
        int[][] shapes = {{96, 200, 160}, {40, 72, 90}, {128, 136, 520}};
        backend.forceGemmVariant(null);
        try {
            for (int i = 0; i < shapes.length; i++) {
                int rows = shapes[i][0];
                int cols = shapes[i][1];
                int k = shapes[i][2];
                GemmVariant input = choices[i][0];
                GemmVariant weights = choices[i][1];
                assertEquals(1, input.splits(cols, k, rows), "the pair's weight gradient on " + input);
                backend.chooseGemmVariant(false, true, rows, cols, k, input);
                backend.chooseGemmVariant(true, false, cols, k, rows, weights);
                String what = rows + "x" + cols + " under k=" + k + ", input gradient on " + input
                        + ", weight gradient on " + weights;
                backend.forceDensePath(OpenClGemmOps.DENSE_ENDING);
                assertEquals(List.of("gemm.cl:gemm_" + input.id() + "_backward_pair"),
                        pairCommands(rnd, what, rows, cols, k), what);
                backend.forceDensePath(OpenClGemmOps.DENSE_APART);
                assertEquals(3, pairCommands(rnd, what + " apart", rows, cols, k).size(), what + " apart");
            }
        } finally {
            backend.forceDensePath(null);
        }
    }

    /** backwardEndsInItsProduct with the upper weight gradient, relu and a bias: the recorded step's commands. */
    private List<String> pairCommands(Random rnd, String what, int rows, int cols, int k) {
        List<List<String>> seen = new ArrayList<>();
        backwardEndsInItsProduct(rnd, what, rows, cols, k, ActivationFunction.RELU, true, true,
                0, seen::add);
        return seen.get(0);
    }

    /**
     * Unforced, the backward pass of a dense layer shape under another is timed both ways on its first call and keeps
     * the faster, apart from the forward pass of the same product shape; either way the bits of the two ops.
     */
    @Test
    void aDenseLayerBackwardShapeIsTimedBothWaysOnceWithTheSameBits() {
        Random rnd = new Random(20261211);
        int rows = 80; // not aDenseLayerShapeIsTimedBothWaysOnceWithTheSameBits's rows, which may run first
        int cols = 70;
        int k = 300;
        assumeTrue(backend.inputGradientBackwardLaunches(false, true, true, 6) == 1,
                "dense layers ending in their product are switched off (dendrite.opencl.fuse, denseEpilogue or "
                        + "lastGroup)");
        assertEquals(null, backend.backwardChoice(rows, k, cols), "before its first call");
        backend.chooseGemmVariant(false, true, rows, cols, k, GemmVariant.TILE64); // as in the forward test
        for (int call = 0; call < 2; call++) {
            backwardEndsInItsProduct(rnd, "call " + call, rows, cols, k, ActivationFunction.ELU,
                    true, false, -1);
            String chosen = backend.backwardChoice(rows, k, cols);
            assertTrue(OpenClGemmOps.DENSE_APART.equals(chosen) || OpenClGemmOps.DENSE_ENDING.equals(chosen),
                    "chosen: " + chosen);
        }
        assertEquals(null, backend.denseChoice(rows, k, cols), "the forward pass of the same shape: not yet");
        assertEquals(null, backend.backwardChoice(rows, k, cols + 1), "another shape");
    }

    /**
     * inputGradientActivationBackward against the product and activationBackward, every slice at an odd offset, and
     * with {@code withDw} the upper layer's weight gradient {@code y^T dzNext} against its product too;
     * {@code launches} the recorded launches it must take (0: recorded, any number), or -1 to issue it unrecorded
     * (the tuner times it then).
     */
    private void backwardEndsInItsProduct(Random rnd, String what, int rows, int cols, int k,
                                          ActivationFunction f, boolean withBias,
                                          boolean withDw, int launches) {
        backwardEndsInItsProduct(rnd, what, rows, cols, k, f, withBias, withDw, launches, names -> { });
    }

    /** The same, handing the recorded step's command names to {@code commands} (not called when unrecorded). */
    private void backwardEndsInItsProduct(Random rnd, String what, int rows, int cols, int k,
                                          ActivationFunction f, boolean withBias,
                                          boolean withDw, int launches,
                                          java.util.function.Consumer<List<String>> commands) {
        int dwLength = withDw ? cols * k : 0;
        try (Buffer dzNextB = filled(rnd, rows * k + 3); Buffer wNextB = filled(rnd, cols * k + 5);
             Buffer zB = filled(rnd, rows * cols + 1); Buffer yB = filled(rnd, rows * cols + 2);
             Buffer one = backend.allocate(DType.F32, rows * cols + cols + dwLength + 1);
             Buffer two = backend.allocate(DType.F32, rows * cols + cols + dwLength + 1)) {
            Slice dzNext = dzNextB.slice(3, rows * k);
            Slice wNext = wNextB.slice(5, cols * k);
            Slice z = zB.slice(1, rows * cols);
            Slice y = yB.slice(2, rows * cols);
            backend.fill(one.all(), Float.NaN);
            Slice dz1 = one.slice(1, rows * cols);
            Slice db1 = withBias ? one.slice(1 + rows * cols, cols) : null;
            if (withDw) {
                Slice dw1 = one.slice(1 + rows * cols + cols, dwLength);
                backend.gemm(true, false, cols, k, rows, 1f, y, dzNext, 0f, dw1);
            }
            backend.gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dz1);
            backend.activationBackward(z, y, dz1, rows, cols, f, 0.1f, dz1, db1);
            float[] expected = download(one);
            Slice dz2 = two.slice(1, rows * cols);
            Slice db2 = withBias ? two.slice(1 + rows * cols, cols) : null;
            Slice dw2 = withDw ? two.slice(1 + rows * cols + cols, dwLength) : null;
            Runnable op = () -> backend.inputGradientActivationBackward(dzNext, wNext, dw2, k, z, y, rows, cols, f,
                    0.1f, dz2, db2, 0f, 0L, 0, null);
            if (launches < 0) {
                backend.fill(two.all(), Float.NaN);
                op.run();
                assertArrayEquals(expected, download(two), what + ": dz and dbias");
                return;
            }
            try (dev.dendrite.backend.CapturedStep step = backend.capture(op)) {
                if (launches > 0) {
                    assertEquals(launches, ((OpenClRecording) step).size(), what + ": launches");
                }
                commands.accept(((OpenClRecording) step).commandNames());
                for (int replay = 0; replay < 2; replay++) {
                    backend.fill(two.all(), Float.NaN);
                    step.run();
                    assertArrayEquals(expected, download(two),
                            what + ": dz, dbias" + (withDw ? " and dw" : "") + ", replay " + replay);
                }
            }
        }
    }

    /** The tiled variants, each of which a dense layer may end in. */
    private static final GemmVariant[] TILED = {GemmVariant.SMALL, GemmVariant.TILE64, GemmVariant.LARGE};

    /** A variant that splits k on this class's fold shapes, and one that does not. */
    private static final GemmVariant[] SPLIT_AND_NOT = {GemmVariant.SMALL, GemmVariant.TILE64};

    /** Every activation a dense layer applies element by element (softmax takes the loss kernels' paths). */
    private static final ActivationFunction[] ELEMENT_WISE = Arrays.stream(ActivationFunction.values())
            .filter(f -> f != ActivationFunction.SOFTMAX).toArray(ActivationFunction[]::new);

    /** One case of a layer test: a variant (forced), a shape, an activation, with or without a bias. */
    @FunctionalInterface
    private interface LayerCase {
        void run(GemmVariant v, int[] shape, ActivationFunction f, boolean withBias);
    }

    /** Runs {@code body} over every variant, forced in turn, then every shape, activation, and bias or none. */
    private void forEachLayerCase(GemmVariant[] variants, int[][] shapes, ActivationFunction[] fs, LayerCase body) {
        for (GemmVariant v : variants) {
            backend.forceGemmVariant(v);
            for (int[] s : shapes) {
                for (ActivationFunction f : fs) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        body.run(v, s, f, withBias);
                    }
                }
            }
        }
    }

    /** Whether none of the switches that turn the dense endings off is set (the runner's reruns set them). */
    private static boolean endingSwitchesAtTheirDefaults() {
        return java.util.stream.Stream.of("fuse", "denseEpilogue", "lastGroup")
                .allMatch(p -> System.getProperty("dendrite.opencl." + p) == null);
    }

    private Buffer filled(Random rnd, int n) {
        return GemmChecks.gaussian(backend, rnd, n);
    }

    private float[] download(Buffer b) {
        return GemmChecks.contents(backend, b);
    }

    private void runOnce(OpenClBackend on, int m, int n, int k) {
        try (Buffer a = on.allocate(DType.F32, m * k); Buffer b = on.allocate(DType.F32, k * n);
             Buffer c = on.allocate(DType.F32, m * n)) {
            on.fill(a.all(), 1f);
            on.fill(b.all(), 1f);
            on.gemm(false, false, m, n, k, 1f, a.all(), b.all(), 0f, c.all());
            float[] got = new float[m * n];
            on.download(c.all(), got, 0);
            assertEquals(k, got[m * n - 1]);
        }
    }
}
