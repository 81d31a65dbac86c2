package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuParallel.FLUSH;
import static dev.dendrite.backend.cpu.CpuParallel.MIN_SPLIT_COLUMNS;
import static dev.dendrite.backend.cpu.CpuParallel.STREAMING;
import static dev.dendrite.backend.cpu.CpuParallel.blocks;
import static dev.dendrite.backend.cpu.CpuParallel.rowsPerTile;
import static dev.dendrite.backend.cpu.CpuParallel.stage;
import static dev.dendrite.backend.cpu.CpuSlices.floats;

import dev.dendrite.backend.ReductionOps;
import dev.dendrite.backend.Slice;

import java.util.Arrays;

/**
 * The CPU's reductions: column sums (the bias gradient), in an order fixed by the shape whatever the split.
 */
record CpuReductionOps(CpuParallel par) implements ReductionOps {
    /**
     * {@code out[c] = sum_r x[r, c]}. Large sums split into column ranges of at least
     * {@link CpuParallel#MIN_SPLIT_COLUMNS} (narrower ones cost more in row-segment copies than a second thread saves);
     * see {@link #columnBlock} for the order of summation, which the split does not change.
     */
    @Override
    public void columnSums(Slice x, int rows, int cols, Slice out) {
        float[] xs = floats(x);
        int xo = x.offset();
        double[] acc = par.scratch(cols);
        if (par.split((long) rows * cols, STREAMING) && cols >= 2 * MIN_SPLIT_COLUMNS) {
            int size = Math.max(MIN_SPLIT_COLUMNS, blocks(cols, par.threads()));
            par.run(cols, size, true, (b, c0, c1) -> columnBlock(xs, xo, rows, cols, acc, c0, c1));
        } else {
            columnBlock(xs, xo, rows, cols, acc, 0, cols);
        }
        CpuFloats os = CpuFloats.of(out);
        for (int c = 0; c < cols; c++) {
            os.set(c, (float) acc[c]);
        }
    }

    /**
     * Columns {@code [c0, c1)} of {@link #columnSums}, into {@code acc[c0, c1)}. The rows are read in groups
     * of {@link CpuParallel#rowsPerTile} through a tile and added element-wise (vectorised) into a float tile of
     * partial
     * sums, which is added into the double {@code acc} every {@link CpuParallel#FLUSH} groups. A column's sum thus
     * depends on the shape alone (the group size comes from {@code cols}, not from the column split), and
     * every float partial has at most {@code FLUSH} terms.
     */
    private void columnBlock(float[] xs, int xo, int rows, int cols, double[] acc, int c0, int c1) {
        int w = c1 - c0;
        if (w == 0) {
            return;
        }
        int group = rowsPerTile(cols);
        int len = group * w;
        CpuParallel.Tiles t = par.tiles();
        float[] tx = t.get(0, len);
        float[] sum = t.get(1, len);
        Arrays.fill(sum, 0, len, 0f);
        Arrays.fill(acc, c0, c1, 0.0);
        int pending = 0;
        for (int r = 0; r < rows; r += group) {
            int nr = Math.min(group, rows - r);
            stage(xs, xo, cols, r, nr, c0, w, tx);
            CpuLoops.addTo(sum, tx, 0, nr * w);
            if (++pending == FLUSH) {
                flush(sum, group, w, acc, c0);
                pending = 0;
            }
        }
        if (pending > 0) {
            flush(sum, group, w, acc, c0);
        }
    }

    /** Adds the {@code group} rows of float partials to {@code acc[c0, c0 + w)} in order and zeroes them. */
    private static void flush(float[] sum, int group, int w, double[] acc, int c0) {
        for (int k = 0; k < group; k++) {
            int o = k * w;
            for (int c = 0; c < w; c++) {
                acc[c0 + c] += sum[o + c];
            }
        }
        Arrays.fill(sum, 0, group * w, 0f);
    }
}
