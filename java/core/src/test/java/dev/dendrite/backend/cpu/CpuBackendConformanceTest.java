package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendConformanceTest;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

import java.util.function.Function;

import org.junit.jupiter.api.Test;

/**
 * The conformance suite on the CPU backend, plus what only the CPU backend promises: results independent of
 * the thread count, and validation that a GPU cannot do cheaply (label and index ranges read from memory,
 * overlapping slices).
 *
 * <p>Three threads, so that the parallel paths run with uneven splits even on a two-core machine.
 */
class CpuBackendConformanceTest extends BackendConformanceTest {

    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }

    @Test
    void describesItself() {
        assertEquals("cpu", backend.name());
        assertTrue(backend.description().startsWith("cpu: 3 threads, Java "), backend.description());
        try (CpuBackend single = new CpuBackend(1)) {
            assertEquals(1, single.threads());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }

    @Test
    void closeFreesEveryBuffer() {
        CpuBackend b = new CpuBackend(1);
        Buffer x = b.allocate(DType.F32, 10);
        b.allocate(DType.I32, 3);
        b.allocate(DType.U8, 3);
        assertEquals(3, b.openBuffers());
        x.close();
        assertEquals(2, b.openBuffers());
        b.close();
        assertEquals(0, b.openBuffers());
        assertThrows(IllegalStateException.class, b::synchronize);
    }

    /**
     * The same ops on a 1-thread and a 3-thread backend give bit-identical results: element-wise work has no
     * cross-element state, and every reduction's summation order is fixed by the data shape alone.
     */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        float[] x = normal(600 * 130, 2);
        float[] dy = normal(600 * 130, 1);
        float[] skinny = normal(33_000 * 2, 3);
        int[] labels = new int[33_000];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rnd.nextInt(2);
        }
        float[][] one = runAll(new CpuBackend(1), x, dy, skinny, labels);
        float[][] three = runAll(new CpuBackend(3), x, dy, skinny, labels);
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], three[i], "output " + i);
        }
    }

    /**
     * The same for the streaming ops, at sizes where they split ({@link CpuBackend#STREAMING_PARALLEL_MIN}
     * elements): bias + relu, relu backward with its column sums, Adam, and a U8 gather.
     */
    @Test
    void streamingOpsDoNotDependOnTheThreadCount() {
        int rows = 2048;
        int cols = 1024;
        float[] z = normal(rows * cols, 2);
        float[] dy = normal(rows * cols, 1);
        float[] bias = normal(cols, 1);
        byte[] pixels = new byte[3000 * 784];
        rnd.nextBytes(pixels);
        float[][] one = runStreaming(new CpuBackend(1), rows, cols, z, dy, bias, pixels);
        float[][] three = runStreaming(new CpuBackend(3), rows, cols, z, dy, bias, pixels);
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], three[i], "output " + i);
        }
    }

    private static float[][] runStreaming(CpuBackend b, int rows, int cols, float[] z, float[] dy, float[] bias,
                                          byte[] pixels) {
        try (b) {
            Slice zs = upload(b, z);
            Slice ys = b.allocate(DType.F32, z.length).all();
            b.biasActivationForward(zs, upload(b, bias), rows, cols, ActivationFunction.RELU, 0f, ys);
            Slice dz = b.allocate(DType.F32, z.length).all();
            Slice dbias = b.allocate(DType.F32, cols).all();
            b.activationBackward(zs, ys, upload(b, dy), rows, cols, ActivationFunction.RELU, 0f, dz, dbias);
            Slice p = upload(b, z);
            Slice m = b.allocate(DType.F32, z.length).all();
            Slice v = b.allocate(DType.F32, z.length).all();
            Slice hyper = upload(b, new float[] {1e-3f});
            Slice counters = b.allocate(DType.I32, Backend.COUNTERS_LENGTH).all();
            b.adamUpdate(p, upload(b, dy), m, v, null, z.length, hyper, counters, 0.9f, 0.999f, 1e-7f);
            Slice images = b.allocate(DType.U8, pixels.length).all();
            b.upload(pixels, 0, images);
            float[] scale = new float[784];
            float[] shift = new float[784];
            for (int f = 0; f < 784; f++) {
                scale[f] = 1f / (f + 1);
                shift[f] = -f * 0.01f;
            }
            Slice out = b.allocate(DType.F32, pixels.length).all();
            b.gather(images, 784, null, null, 3000, 3000, upload(b, scale), upload(b, shift), out);
            return new float[][] {download(b, zs), download(b, ys), download(b, dz), download(b, dbias),
                download(b, p), download(b, m), download(b, v), download(b, out)};
        }
    }

    /**
     * The vectorised loops run in place when the slices' offsets agree and through staging tiles when they
     * differ (the conformance suite's slices all share one offset): both ways give bit-identical results.
     */
    @Test
    void loopsGiveTheSameResultsWhateverTheSliceOffsets() {
        int[][] shapes = {{1, 1}, {3, 7}, {129, 257}, {5, 1500}, {600, 130}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            int n = rows * cols;
            float[] z = normal(n, 3);
            float[] dy = normal(n, 1);
            float[] bias = normal(cols, 1);
            for (ActivationFunction f : ActivationFunction.values()) {
                float alpha = f.defaultAlpha();
                String what = f + " " + rows + "x" + cols;
                float[][] same = activations(f, alpha, rows, cols, z, dy, bias, new int[] {4, 4, 4, 4, 4});
                float[][] apart = activations(f, alpha, rows, cols, z, dy, bias, new int[] {1, 6, 11, 3, 8});
                String[] names = {"z += bias", "y", "dz", "dz with dbias", "dbias"};
                for (int i = 0; i < same.length; i++) {
                    assertArrayEquals(same[i], apart[i], what + ": " + names[i] + " (seed " + seed + ")");
                }
            }
        }
        for (boolean amsgrad : new boolean[] {false, true}) {
            int n = 5000;
            float[] p = normal(n, 1);
            float[][] grads = {normal(n, 1), normal(n, 1)};
            float[][] same = adam(n, p, grads, amsgrad, new int[] {2, 2, 2, 2, 2});
            float[][] apart = adam(n, p, grads, amsgrad, new int[] {0, 5, 9, 1, 7});
            for (int i = 0; i < same.length; i++) {
                assertArrayEquals(same[i], apart[i],
                        "adam" + (amsgrad ? " amsgrad" : "") + " state " + i + " (seed " + seed + ")");
            }
        }
    }

    /** Bias + activation forward and backward (without and with the bias gradient) on slices at {@code off}. */
    private float[][] activations(ActivationFunction f, float alpha, int rows, int cols, float[] z, float[] dy,
                                  float[] bias, int[] off) {
        int n = rows * cols;
        Slice zs = at(z, off[0]);
        Slice ys = at(new float[n], off[1]);
        backend.biasActivationForward(zs, at(bias, off[2]), rows, cols, f, alpha, ys);
        Slice dys = at(dy, off[3]);
        Slice dz = at(new float[n], off[4]);
        backend.activationBackward(zs, ys, dys, rows, cols, f, alpha, dz, null);
        Slice dz2 = at(new float[n], off[1]);
        Slice dbias = at(new float[cols], off[0]);
        backend.activationBackward(zs, ys, dys, rows, cols, f, alpha, dz2, dbias);
        return new float[][] {get(zs), get(ys), get(dz), get(dz2), get(dbias)};
    }

    /** Two Adam steps with params, grads, m, v and vMax at the given offsets. */
    private float[][] adam(int n, float[] p, float[][] grads, boolean amsgrad, int[] off) {
        Slice ps = at(p, off[0]);
        Slice m = at(new float[n], off[2]);
        Slice v = at(new float[n], off[3]);
        Slice vMax = amsgrad ? at(new float[n], off[4]) : null;
        Slice hyper = f32(new float[] {1e-2f});
        Slice counters = i32(new int[] {3, 0});
        for (float[] g : grads) {
            backend.adamUpdate(ps, at(g, off[1]), m, v, vMax, n, hyper, counters, 0.9f, 0.999f, 1e-7f);
            backend.advanceCounters(counters);
        }
        return new float[][] {get(ps), get(m), get(v), amsgrad ? get(vMax) : new float[0]};
    }

    /** {@code data} in a new buffer at element offset {@code offset}. */
    private Slice at(float[] data, int offset) {
        float[] padded = new float[offset + data.length];
        System.arraycopy(data, 0, padded, offset, data.length);
        return f32(padded).slice(offset, data.length);
    }

    private static Slice upload(CpuBackend b, float[] data) {
        Slice s = b.allocate(DType.F32, data.length).all();
        b.upload(data, 0, s);
        return s;
    }

    private static float[] download(CpuBackend b, Slice s) {
        float[] out = new float[s.length()];
        b.download(s, out, 0);
        return out;
    }

    private static float[][] runAll(CpuBackend b, float[] x, float[] dy, float[] skinny, int[] labels) {
        try (b) {
            Function<float[], Slice> up = data -> {
                Slice s = b.allocate(DType.F32, data.length).all();
                b.upload(data, 0, s);
                return s;
            };
            Function<Slice, float[]> down = s -> {
                float[] out = new float[s.length()];
                b.download(s, out, 0);
                return out;
            };
            Slice xs = up.apply(x);
            Slice dys = up.apply(dy);
            Slice sums = b.allocate(DType.F32, 130).all();
            b.columnSums(xs, 600, 130, sums);
            Slice skinnySums = b.allocate(DType.F32, 2).all();
            b.columnSums(up.apply(skinny), 33_000, 2, skinnySums);
            Slice dz = b.allocate(DType.F32, x.length).all();
            Slice dbias = b.allocate(DType.F32, 130).all();
            b.activationBackward(xs, xs, dys, 600, 130, ActivationFunction.GELU, 0f, dz, dbias);
            Slice probs = b.allocate(DType.F32, skinny.length).all();
            Slice grad = b.allocate(DType.F32, skinny.length).all();
            Slice stats = b.allocate(DType.F32, 2).all();
            Slice lab = b.allocate(DType.I32, labels.length).all();
            b.upload(labels, 0, lab);
            b.softmaxCrossEntropy(up.apply(skinny), lab, true, 33_000, 2, probs, grad, 1e-3f, stats);
            b.sigmoidCrossEntropy(xs, dys, 600, 130, b.allocate(DType.F32, x.length).all(), null, 1f, stats);
            b.regularizerPenalty(xs, x.length, 0.01f, 0.02f, 1f, stats);
            Slice y = b.allocate(DType.F32, x.length).all();
            Slice mean = b.allocate(DType.F32, 130).all();
            Slice inv = b.allocate(DType.F32, 130).all();
            Slice rm = b.allocate(DType.F32, 130).all();
            Slice rv = b.allocate(DType.F32, 130).all();
            b.batchNormForwardTraining(xs, 600, 130, null, null, 1e-3f, 0.9f, rm, rv, y, mean, inv);
            Slice dx = b.allocate(DType.F32, x.length).all();
            Slice dg = b.allocate(DType.F32, 130).all();
            Slice db = b.allocate(DType.F32, 130).all();
            b.batchNormBackward(xs, dys, 600, 130, null, mean, inv, dx, dg, db);
            return new float[][] {down.apply(sums), down.apply(skinnySums), down.apply(dz), down.apply(dbias),
                down.apply(probs), down.apply(grad), down.apply(stats), down.apply(y), down.apply(mean),
                down.apply(inv), down.apply(rm), down.apply(rv), down.apply(dx), down.apply(dg), down.apply(db)};
        }
    }

    @Test
    void sparseLabelsOutsideTheClassesAreRejected() {
        for (int bad : new int[] {-1, 3}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(f32(normal(6, 1)), i32(new int[] {0, bad}), true, 2, 3,
                            f32Out(6), null, 1f, f32(new float[2])));
            assertTrue(e.getMessage().contains("label " + bad), e.getMessage());
        }
    }

    @Test
    void gatherRejectsIndicesAndBatchesOutOfRange() {
        Slice src = f32(normal(10 * 4, 1)); // 10 rows of width 4
        Slice out = f32Out(3 * 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.gather(src, 4, i32(new int[] {0, 10, 2}), null, 3, 3, null, null, out));
        assertTrue(e.getMessage().contains("= 10"), e.getMessage());
        // Batch 3 of size 3 reads rows [9, 12) of a 10-row source.
        assertThrows(IllegalArgumentException.class,
                () -> backend.gather(src, 4, null, i32(new int[] {0, 3}), 3, 3, null, null, out));
        assertThrows(IllegalArgumentException.class, // integer rows take no transform
                () -> backend.gather(i32(new int[8]), 4, null, null, 2, 2, f32(new float[4]), null,
                        i32(new int[8])));
    }

    @Test
    void overlappingSlicesAreRejectedWhereTheContractForbidsThem() {
        Slice m = f32(normal(40, 1));
        // gemm output overlapping an input
        assertThrows(IllegalArgumentException.class,
                () -> backend.gemm(false, false, 2, 2, 2, 1f, m.slice(0, 4), m.slice(4, 4), 0f, m.slice(2, 4)));
        // y may alias z only for linear
        assertThrows(IllegalArgumentException.class, () -> backend.biasActivationForward(m.slice(0, 6), null, 2,
                3, ActivationFunction.RELU, 0f, m.slice(0, 6)));
        // dz may alias dy exactly, but not partly
        assertThrows(IllegalArgumentException.class, () -> backend.activationBackward(m.slice(0, 6),
                m.slice(6, 6), m.slice(12, 6), 2, 3, ActivationFunction.RELU, 0f, m.slice(14, 6), null));
        // copy onto itself
        assertThrows(IllegalArgumentException.class, () -> backend.copy(m.slice(0, 5), m.slice(3, 5)));
        // dropout: in place is fine, shifted is not
        Slice counters = i32(new int[2]);
        backend.dropoutForward(m.slice(30, 5), m.slice(30, 5), 5, 0.5f, 1L, 0, counters);
        assertThrows(IllegalArgumentException.class,
                () -> backend.dropoutForward(m.slice(30, 5), m.slice(31, 5), 5, 0.5f, 1L, 0, counters));
    }

    @Test
    void messagesNameTheArgumentAndTheExpectation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.gemm(false, false, 2, 2, 3, 1f, f32(new float[6]), f32(new float[6]), 0f,
                        f32Out(3)));
        assertTrue(e.getMessage().contains("gemm") && e.getMessage().contains("c has 3")
                && e.getMessage().contains("at least 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend.fill(i32(new int[2]), 0f));
        assertTrue(e.getMessage().contains("I32") && e.getMessage().contains("expected F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend.sgdUpdate(f32(new float[2]),
                f32(new float[2]), null, 2, f32(new float[1]), 0.9f, false));
        assertTrue(e.getMessage().contains("momentum 0.9"), e.getMessage());
    }
}
