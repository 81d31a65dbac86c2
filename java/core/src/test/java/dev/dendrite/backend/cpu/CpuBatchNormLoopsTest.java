package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

/**
 * Batch norm's vector loops ({@link CpuBatchNormVector}) must give exactly the staged loops' floats
 * ({@link CpuBatchNormStaged}, on {@link CpuLoops}), in every output of the training forward and the backward, for
 * any shape, slice offsets and column split: the tolerance is zero because both compute the same operations in the
 * same order per column, and the conformance suite's tolerances against the float64 reference then hold for both.
 * (The suite runs the vector loops, the default under the test JVM.)
 */
class CpuBatchNormLoopsTest {
    private final SplittableRandom rnd = new SplittableRandom();
    private CpuBackend backend;

    @BeforeEach
    void open() {
        backend = new CpuBackend(2);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void vectorLoopsEqualTheStagedLoops() {
        long testSeed = rnd.nextLong();
        SplittableRandom r = new SplittableRandom(testSeed);
        CpuBatchNormVector vector = new CpuBatchNormVector();
        // Small and odd shapes (columns short of a vector, tails), bn256's, and one large enough to be split into
        // column ranges across both threads.
        int[][] shapes = {{1, 1}, {2, 3}, {5, 17}, {7, 33}, {64, 256}, {3, 100}, {129, 77}, {300, 513}};
        CpuParallel par = new CpuParallel(2);
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            String what = rows + " x " + cols + ", test seed " + testSeed;
            int off = r.nextInt(5);
            Slice x = filled(off, rows * cols, r, 3.0, 1.5);
            Slice dy = filled(r.nextInt(5), rows * cols, r, 0.0, 1.0);
            Slice gamma = filled(r.nextInt(3), cols, r, 1.0, 0.3);
            Slice beta = filled(r.nextInt(3), cols, r, 0.0, 0.3);
            CpuBatchNormOps stagedOps = new CpuBatchNormOps(par, new CpuBatchNormStaged(par));
            float[][] staged = run(stagedOps, x, dy, rows, cols, gamma, beta);
            float[][] vec = run(new CpuBatchNormOps(par, vector), x, dy, rows, cols, gamma, beta);
            String[] names = {"y", "saveMean", "saveInvStd", "runningMean", "runningVar", "dx", "dgamma", "dbeta"};
            for (int i = 0; i < names.length; i++) {
                assertArrayEquals(staged[i], vec[i], names[i] + ", " + what);
            }
        }
    }

    /** The training forward then the backward; every output, downloaded. */
    private float[][] run(CpuBatchNormOps ops, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice beta) {
        Slice rm = filled(0, cols, new SplittableRandom(1), 0.0, 1.0);
        Slice rv = filled(0, cols, new SplittableRandom(2), 2.0, 0.5);
        Slice y = backend.allocate(DType.F32, rows * cols + 3).slice(3, rows * cols);
        Slice sm = backend.allocate(DType.F32, cols).all();
        Slice si = backend.allocate(DType.F32, cols).all();
        ops.batchNormForwardTraining(x, rows, cols, gamma, beta, 1e-3f, 0.99f, rm, rv, y, sm, si);
        Slice dx = backend.allocate(DType.F32, rows * cols + 1).slice(1, rows * cols);
        Slice dg = backend.allocate(DType.F32, cols).all();
        Slice db = backend.allocate(DType.F32, cols).all();
        ops.batchNormBackward(x, dy, rows, cols, gamma, sm, si, dx, dg, db);
        return new float[][] {get(y), get(sm), get(si), get(rm), get(rv), get(dx), get(dg), get(db)};
    }

    private Slice filled(int off, int n, SplittableRandom r, double mean, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + sd * r.nextGaussian());
        }
        Slice s = backend.allocate(DType.F32, off + n).slice(off, n);
        backend.upload(v, 0, s);
        return s;
    }

    private float[] get(Slice s) {
        float[] v = new float[s.length()];
        backend.download(s, v, 0);
        return v;
    }
}
