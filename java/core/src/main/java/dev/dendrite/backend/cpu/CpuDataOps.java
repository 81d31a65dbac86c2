package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.Backend.COUNTER_BATCH;
import static dev.dendrite.backend.Backend.COUNTER_STEP;
import static dev.dendrite.backend.OpChecks.badIndex;
import static dev.dendrite.backend.OpChecks.batchInRange;
import static dev.dendrite.backend.OpChecks.nonNegative;
import static dev.dendrite.backend.cpu.CpuParallel.CHEAP;
import static dev.dendrite.backend.cpu.CpuParallel.PHILOX;
import static dev.dendrite.backend.cpu.CpuParallel.STREAMING;
import static dev.dendrite.backend.cpu.CpuSlices.buffer;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.DType;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.DataOps;
import dev.dendrite.backend.Slice;

import java.util.Arrays;

/**
 * The CPU's data movement: the batch gather (with its host-side position checks), the epoch's shuffle and the
 * step counters.
 */
final class CpuDataOps implements DataOps {
    private final CpuParallel par;

    CpuDataOps(CpuParallel par) {
        this.par = par;
    }

    /** The CPU reads the batch counter and the indices at once, so a bad one is reported by this call. */
    @Override
    public void checkGatherPositions(Slice src, int width, Slice indices, Slice counters, int batchSize,
                                     int rows) {
        String op = "gather";
        long srcRows = src.length() / width;
        int[] idx = ints(indices);
        long start = gatherStart(counters, batchSize);
        if (counters != null) { // batch 0 (no counters) is checked already
            int batch = ints(counters)[counters.offset() + COUNTER_BATCH];
            nonNegative(op, "counters[COUNTER_BATCH]", batch);
            batchInRange(op, batch, batchSize, rows, idx == null ? srcRows : indices.length(), idx != null);
        }
        if (idx != null) {
            int io = indices.offset() + (int) start;
            for (int r = 0; r < rows; r++) {
                int j = idx[io + r];
                if (j < 0 || j >= srcRows) {
                    throw new IllegalArgumentException(badIndex(op, start + r, j, srcRows));
                }
            }
        }
    }

    /** The first position a gather reads: its batch (from the counters, else 0) times the batch size. */
    private static long gatherStart(Slice counters, int batchSize) {
        return counters == null ? 0 : (long) ints(counters)[counters.offset() + COUNTER_BATCH] * batchSize;
    }

    @Override
    public void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                       Slice scale, Slice shift, Slice out) {
        CpuBuffer sb = buffer(src);
        DType sd = sb.dtype();
        long total = (long) rows * width;
        int[] idx = ints(indices);
        long start = gatherStart(counters, batchSize);
        int io = idx == null ? 0 : indices.offset() + (int) start;
        int first = (int) start; // used only without indices
        int so = src.offset();
        int oo = out.offset();
        if (sd == DType.I32) {
            int[] ss = sb.ints();
            int[] os = ints(out);
            par.forRows(rows, width, CHEAP, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int j = idx == null ? first + r : idx[io + r];
                    System.arraycopy(ss, so + j * width, os, oo + r * width, width);
                }
            });
            return;
        }
        float[] os = floats(out);
        float[] sc = floats(scale);
        float[] sh = floats(shift);
        int sco = scale == null ? 0 : scale.offset();
        int sho = shift == null ? 0 : shift.offset();
        if (par.split(total, STREAMING)) {
            par.forRows(rows, width, CHEAP,
                    (r0, r1) -> gatherRows(sb, so, width, idx, io, first, sc, sco, sh, sho, os, oo, r0, r1));
        } else {
            gatherRows(sb, so, width, idx, io, first, sc, sco, sh, sho, os, oo, 0, rows);
        }
    }

    /**
     * Rows {@code [r0, r1)} of an F32 or U8 gather. A transformed row goes through a tile ({@code x * scale +
     * shift} vectorised, with scale and shift laid out in tiles once per call, 1 and 0 where null); an
     * untransformed one is copied, or widened from U8 straight into {@code out}.
     */
    private void gatherRows(CpuBuffer sb, int so, int width, int[] idx, int io, int first, float[] sc, int sco,
                            float[] sh, int sho, float[] os, int oo, int r0, int r1) {
        boolean transform = sc != null || sh != null;
        float[] tx = null;
        float[] ts = null;
        float[] tb = null;
        if (transform) {
            CpuParallel.Tiles t = par.tiles();
            tx = t.get(0, width);
            ts = t.get(1, width);
            tb = t.get(2, width);
            if (sc == null) {
                Arrays.fill(ts, 0, width, 1f);
            } else {
                System.arraycopy(sc, sco, ts, 0, width);
            }
            if (sh == null) {
                Arrays.fill(tb, 0, width, 0f);
            } else {
                System.arraycopy(sh, sho, tb, 0, width);
            }
        }
        float[] fs = sb.dtype() == DType.F32 ? sb.floats() : null;
        byte[] bs = fs == null ? sb.bytes() : null;
        touchRows(fs, bs, so, width, idx, io, first, r0, r1);
        for (int r = r0; r < r1; r++) {
            int from = so + (idx == null ? first + r : idx[io + r]) * width;
            int to = oo + r * width;
            if (!transform) {
                if (fs != null) {
                    System.arraycopy(fs, from, os, to, width);
                } else {
                    CpuLoops.u8ToF32(bs, from, os, to, width);
                }
                continue;
            }
            if (fs != null) {
                System.arraycopy(fs, from, tx, 0, width);
            } else {
                CpuLoops.u8ToF32(bs, from, tx, 0, width);
            }
            CpuLoops.affine(tx, ts, tb, 0, width);
            System.arraycopy(tx, 0, os, to, width);
        }
    }

    /**
     * Reads one element per 64-byte cache line of every source row of {@code [r0, r1)} before any is converted.
     * The rows are shuffled, so the hardware prefetcher cannot see them coming and a row-at-a-time loop stalls
     * on each row's misses in turn; read up front ({@link CpuReadAhead}), the misses of all rows overlap. Measured
     * on a 128 x 784 U8 batch out of 50,000 images: 124 us without, 86 us with.
     */
    private void touchRows(float[] fs, byte[] bs, int so, int width, int[] idx, int io, int first, int r0, int r1) {
        int sum = 0;
        for (int r = r0; r < r1; r++) {
            int from = so + (idx == null ? first + r : idx[io + r]) * width;
            sum += fs != null ? CpuReadAhead.lines(fs, from, from + width) : CpuReadAhead.lines(bs, from, from + width);
        }
        CpuReadAhead.keep(sum);
    }

    @Override
    public void randomPermutation(Slice out, int n, long seed, int epoch) {
        int[] os = ints(out);
        // Sort key: the 32 random bits as an unsigned number, then the index. Flipping the sign bit makes the
        // signed comparison of the high word an unsigned one, so one long sort orders by both.
        long[] keys = new long[n];
        par.forRange(n, PHILOX, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int bits = Philox.bits(seed, i, epoch, Philox.PERMUTATION_STREAM);
                keys[i] = ((long) (bits ^ Integer.MIN_VALUE) << 32) | i;
            }
        });
        Arrays.sort(keys);
        int oo = out.offset();
        for (int i = 0; i < n; i++) {
            os[oo + i] = (int) keys[i];
        }
    }

    @Override
    public void advanceCounters(Slice counters) {
        int[] cs = ints(counters);
        cs[counters.offset() + COUNTER_STEP]++;
        cs[counters.offset() + COUNTER_BATCH]++;
    }
}
