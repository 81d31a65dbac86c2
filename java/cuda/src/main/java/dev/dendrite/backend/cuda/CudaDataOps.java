package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.BLOCK;
import static dev.dendrite.backend.cuda.CudaContext.ceilDiv;
import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static jcuda.driver.JCudaDriver.cuMemAlloc;

import dev.dendrite.backend.DType;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DataOps;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA backend's data movement (kernels/cuda/data.cu): batch gather, the epoch's shuffle, the step counters.
 */
final class CudaDataOps implements DataOps {
    private final CudaContext ctx;
    private CUdeviceptr sortKeys;
    private long sortKeysBytes;

    CudaDataOps(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** Hands the sort-key scratch to the context's retired allocations, which it frees on release. */
    void retireScratch() {
        if (sortKeys != null) {
            ctx.retired.add(sortKeys);
            sortKeys = null;
        }
    }

    /** Keys are padded to a power of two of at most 2^30. */
    @Override
    public int maxPermutation() {
        return 1 << 30;
    }

    @Override
    public void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                       Slice scale, Slice shift, Slice out) {
        // Batch 0 was checked on the host; other batches, like the indices, on the device (the counter lives there).
        DType sd = src.dtype();
        int srcRows = src.length() / width;
        int positions = indices == null ? srcRows : indices.length();
        CUdeviceptr ps = ptr(src);
        CUdeviceptr pi = ptr(indices);
        CUdeviceptr pc = ptr(counters);
        CUdeviceptr pout = ptr(out);
        CUdeviceptr psc = ptr(scale);
        CUdeviceptr psh = ptr(shift);
        CudaKernel kernel = sd == DType.I32 ? CudaKernel.GATHER_I32
                : sd == DType.F32 ? CudaKernel.GATHER_F32 : CudaKernel.GATHER_U8;
        if (rows == 0) {
            return;
        }
        int block = Math.min(BLOCK, ceilDiv(width, 32) * 32);
        try {
            if (kernel == CudaKernel.GATHER_I32) {
                ctx.launch(kernel, rows, block, 1, 0, ps, srcRows, width, pi, positions, pc, batchSize, pout,
                        ctx.control);
            } else {
                ctx.launch(kernel, rows, block, 1, 0, ps, srcRows, width, pi, positions, pc, batchSize, psc, psh, pout,
                        ctx.control);
            }
            ctx.errorsPending = true;
        } catch (CudaException e) {
            throw ctx.fail("gather", sd + " src, width=" + width + ", rows=" + rows + ", batchSize=" + batchSize, e);
        }
    }

    /**
     * Backend.gatherBatch as one launch (data.cu's gather_batch_*), its checks passed: whether it was issued. Only
     * when the inputs are rows of floats or bytes and the targets' rows are as many as theirs. With {@code advance}
     * (the counters, Backend.gatherBatchThenAdvanceCounters) the launch's last block advances them too; then false
     * also for an empty batch, which launches nothing.
     */
    boolean gatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth, Slice yOut,
                        Slice indices, Slice counters, int batchSize, int rows, Slice advance) {
        int srcRows = x.length() / xWidth;
        // The targets move as 32-bit words (I32 labels, F32 rows); byte targets are left to the two gathers.
        if (x.dtype() == DType.I32 || y.dtype() == DType.U8 || y.length() / yWidth != srcRows) {
            return false;
        }
        int positions = indices == null ? srcRows : indices.length();
        CUdeviceptr px = ptr(x);
        CUdeviceptr pi = ptr(indices);
        CUdeviceptr pc = ptr(counters);
        CUdeviceptr psc = ptr(scale);
        CUdeviceptr psh = ptr(shift);
        CUdeviceptr pout = ptr(xOut);
        CUdeviceptr py = ptr(y);
        CUdeviceptr pyOut = ptr(yOut);
        CUdeviceptr pa = ptr(advance);
        if (rows == 0) {
            return advance == null;
        }
        int block = Math.min(BLOCK, ceilDiv(Math.max(xWidth, yWidth), 32) * 32);
        CudaKernel batchKernel = x.dtype() == DType.U8 ? CudaKernel.GATHER_BATCH_U8 : CudaKernel.GATHER_BATCH_F32;
        try {
            ctx.launch(batchKernel, rows, block, 1, 0, px, srcRows, xWidth, pi, positions, pc, batchSize, psc, psh,
                    pout, py, yWidth, pyOut, pa, ctx.control);
            ctx.errorsPending = true;
        } catch (CudaException e) {
            throw ctx.fail("gatherBatch", x.dtype() + " x, width=" + xWidth + ", " + y.dtype() + " y, width="
                    + yWidth + ", rows=" + rows + ", batchSize=" + batchSize, e);
        }
        return true;
    }

    @Override
    public void randomPermutation(Slice out, int n, long seed, int epoch) {
        String op = "randomPermutation";
        CUdeviceptr po = ptr(out);
        if (n == 0) {
            return;
        }
        int padded = Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
        try {
            CUdeviceptr keys = sortKeys(op, (long) padded * 8);
            ctx.launch(CudaKernel.PERMUTATION_KEYS, ctx.elementGrid(padded), BLOCK, 1, 0, keys, n, padded, (int) seed,
                    (int) (seed >>> 32), epoch, Philox.PERMUTATION_STREAM);
            if (padded >= 2) {
                // Bitonic network: tiles of 2 * local keys sorted in shared memory, then for every larger stage k
                // the far compare steps globally and the near ones (j <= local) in shared memory again.
                int local = Math.min(1024, padded / 2);
                int tiles = padded / (2 * local);
                int shared = 2 * local * 8;
                ctx.launch(CudaKernel.BITONIC_SORT_LOCAL, tiles, local, 1, shared, keys);
                for (int k = 4 * local; k > 0 && k <= padded; k <<= 1) {
                    for (int j = k >> 1; j >= 2 * local; j >>= 1) {
                        ctx.launch(CudaKernel.BITONIC_MERGE_GLOBAL, ctx.elementGrid(padded / 2), BLOCK, 1, 0, keys,
                                k, j,
                                padded / 2);
                    }
                    ctx.launch(CudaKernel.BITONIC_MERGE_LOCAL, tiles, local, 1, shared, keys, k);
                }
            }
            ctx.launch(CudaKernel.PERMUTATION_WRITE, ctx.elementGrid(n), BLOCK, 1, 0, keys, n, po);
        } catch (CudaException e) {
            throw ctx.fail(op, "n=" + n + ", epoch=" + epoch, e);
        }
    }

    /** The sort-key scratch of at least {@code bytes}, grown (never shrunk) outside graph capture. */
    private CUdeviceptr sortKeys(String op, long bytes) {
        if (sortKeys != null && sortKeysBytes >= bytes) {
            return sortKeys;
        }
        ctx.noCapture(op + " (growing its scratch buffer)");
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, bytes);
            ctx.memory.add(bytes);
        } catch (CudaException e) {
            throw ctx.allocationFailure(op + " scratch", bytes, e);
        }
        if (sortKeys != null) {
            ctx.retired.add(sortKeys); // a captured graph may still use it
        }
        sortKeys = p;
        sortKeysBytes = bytes;
        return p;
    }

    @Override
    public void advanceCounters(Slice counters) {
        CUdeviceptr pc = ptr(counters);
        try {
            ctx.launch(CudaKernel.ADVANCE_COUNTERS, 1, 32, 1, 0, pc);
        } catch (CudaException e) {
            throw ctx.fail("advanceCounters", "", e);
        }
    }
}
