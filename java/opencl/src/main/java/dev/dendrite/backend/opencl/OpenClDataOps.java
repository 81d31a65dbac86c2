package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.opencl.OpenClContext.GROUP;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static dev.dendrite.backend.opencl.OpenClContext.powerOfTwoGroup;

import dev.dendrite.backend.DType;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DataOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's data movement (kernels/opencl/data.cl): batch gather, the epoch's shuffle, the step
 * counters.
 */
record OpenClDataOps(OpenClContext ctx) implements DataOps {
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
        long total = (long) rows * width;
        if (total == 0) {
            return;
        }
        try {
            String name = sd == DType.I32 ? "gather_i32" : sd == DType.U8 ? "gather_u8" : "gather_f32";
            OpenClKernel k = ctx.programs.kernel("data.cl", name);
            int srcRows = src.length() / width;
            int positions = indices == null ? srcRows : indices.length();
            ctx.withArgs(k, src, srcRows, width, indices, positions, indices != null, counters, counters != null,
                    batchSize, rows);
            if (sd != DType.I32) {
                k.mem(ctx.mem(scale), offset(scale)).i(scale == null ? 0 : 1).mem(ctx.mem(shift), offset(shift))
                        .i(shift == null ? 0 : 1);
            }
            k.mem(ctx.mem(out), out.offset()).mem(ctx.errors);
            ctx.run1(k, total);
        } catch (CLException e) {
            throw ctx.clFailure("gather", sd + " src, width=" + width + ", batchSize=" + batchSize + ", rows="
                    + rows, e);
        }
    }

    /**
     * Backend.gatherBatch as one launch (data.cl's gather_batch_*), its checks passed: whether it was issued. Only
     * when the inputs are rows of floats or bytes and the targets' rows are as many as theirs. With {@code advance}
     * (the counters, Backend.gatherBatchThenAdvanceCounters) the launch's last work-group advances them too; then
     * false also for an empty batch, which launches nothing.
     */
    boolean gatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth, Slice yOut,
                        Slice indices, Slice counters, int batchSize, int rows, Slice advance) {
        int srcRows = x.length() / xWidth;
        // The targets move as 32-bit words (I32 labels, F32 rows); byte targets are left to the two gathers.
        if (x.dtype() == DType.I32 || y.dtype() == DType.U8 || y.length() / yWidth != srcRows) {
            return false;
        }
        long total = (long) rows * (xWidth + yWidth);
        if (total == 0) {
            return advance == null;
        }
        try {
            OpenClKernel k = ctx.programs.kernel("data.cl", x.dtype() == DType.U8 ? "gather_batch_u8"
                    : "gather_batch_f32");
            int positions = indices == null ? srcRows : indices.length();
            ctx.withArgs(k, x, srcRows, xWidth, indices, positions, indices != null, counters, counters != null,
                    batchSize, rows, scale, scale != null, shift, shift != null, xOut, y, yWidth, yOut, advance,
                    advance != null);
            k.mem(ctx.errors);
            ctx.run1(k, total);
        } catch (CLException e) {
            throw ctx.clFailure("gatherBatch", x.dtype() + " x, width=" + xWidth + ", " + y.dtype() + " y, width="
                    + yWidth + ", batchSize=" + batchSize + ", rows=" + rows, e);
        }
        return true;
    }

    @Override
    public void randomPermutation(Slice out, int n, long seed, int epoch) {
        if (n == 0) {
            return;
        }
        try {
            int padded = Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
            cl_mem keys = ctx.scratch(8L * padded);
            OpenClKernel init = ctx.programs.kernel("data.cl", "permutation_keys");
            init.args().mem(keys).i(n).i(padded).i((int) seed).i((int) (seed >>> 32)).i(epoch)
                    .i(Philox.PERMUTATION_STREAM);
            ctx.run1(init, padded);
            if (padded > 1) {
                bitonicSort(keys, padded);
            }
            OpenClKernel write = ctx.programs.kernel("data.cl", "permutation_write");
            write.args().mem(keys).i(n).mem(ctx.mem(out), out.offset());
            ctx.run1(write, n);
        } catch (CLException e) {
            throw ctx.clFailure("randomPermutation", "n=" + n + ", epoch=" + epoch, e);
        }
    }

    /**
     * Sorts {@code padded} (a power of two, at least 2) 64-bit keys ascending: blocks of 2L keys in local memory
     * first, then for every larger stage the long-distance steps one launch each and the short ones in local
     * memory again.
     */
    private void bitonicSort(cl_mem keys, int padded) {
        OpenClKernel sortLocal = ctx.programs.kernel("data.cl", "bitonic_sort_local");
        OpenClKernel mergeLocal = ctx.programs.kernel("data.cl", "bitonic_merge_local");
        OpenClKernel mergeGlobal = ctx.programs.kernel("data.cl", "bitonic_merge_global");
        long byMemory = Math.max(1, ctx.device.localMemoryBytes() / 16); // 2L keys of 8 bytes
        int l = (int) Math.min(Math.min(GROUP, padded / 2), byMemory);
        l = Integer.highestOneBit((int) Math.min(l, Math.min(sortLocal.maxWorkGroupSize(),
                mergeLocal.maxWorkGroupSize())));
        int block = 2 * l;
        int pairs = padded / 2;
        sortLocal.args().mem(keys).local(8L * block);
        sortLocal.run(ctx.queue, pairs, l);
        int globalGroup = powerOfTwoGroup(mergeGlobal, Math.min(GROUP, pairs));
        for (int k = 2 * block; k <= padded && k > 0; k <<= 1) {
            for (int j = k >> 1; j >= block; j >>= 1) {
                mergeGlobal.args().mem(keys).i(k).i(j);
                mergeGlobal.run(ctx.queue, pairs, globalGroup);
            }
            mergeLocal.args().mem(keys).i(k).local(8L * block);
            mergeLocal.run(ctx.queue, pairs, l);
        }
    }

    @Override
    public void advanceCounters(Slice counters) {
        try {
            OpenClKernel k = ctx.programs.kernel("data.cl", "advance_counters");
            ctx.withArgs(k, counters);
            k.run(ctx.queue, 1, 1);
        } catch (CLException e) {
            throw ctx.clFailure("advanceCounters", counters.toString(), e);
        }
    }
}
