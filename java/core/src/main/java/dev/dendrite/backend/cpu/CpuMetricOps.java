package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.MetricHit;
import dev.dendrite.backend.MetricOps;
import dev.dendrite.backend.Slice;

/**
 * The CPU's metric accumulators, the reference the GPU kernels (kernels/common/metrics.h) are tested against.
 * One thread: a batch of a model's outputs is a few thousand values, and a split over threads would cost more
 * than the counting it shares out; the counts are integers, so the order does not matter anyway.
 */
record CpuMetricOps() implements MetricOps {
    private static final int TP = 0;
    private static final int FP = 1;
    private static final int TN = 2;
    private static final int FN = 3;

    @Override
    public void metricConfusion(Slice pred, Slice targets, Slice labels, int rows, int cols, Slice thresholds,
                                int numThresholds, Slice counts) {
        float[] p = floats(pred);
        float[] th = floats(thresholds);
        int[] out = ints(counts);
        int po = pred.offset();
        int tho = thresholds.offset();
        int co = counts.offset();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = p[po + r * cols + c];
                boolean actual = truth(targets, labels, cols, r, c) != 0f;
                for (int i = 0; i < numThresholds; i++) {
                    boolean predicted = v > th[tho + i];
                    out[co + 4 * i + (predicted ? (actual ? TP : FP) : (actual ? FN : TN))]++;
                }
            }
        }
    }

    @Override
    public void metricBuckets(Slice pred, Slice targets, Slice labels, int rows, int cols, int numBuckets,
                              Slice counts) {
        float[] p = floats(pred);
        int[] out = ints(counts);
        int po = pred.offset();
        int co = counts.offset();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int b = bucket(p[po + r * cols + c], numBuckets);
                out[co + (truth(targets, labels, cols, r, c) != 0f ? b : numBuckets + b)]++;
            }
        }
    }

    /**
     * Keras's bucket of output {@code p} for {@code n} evenly spaced thresholds, in float32 as Keras computes it;
     * NaN goes to bucket 0 (the cast of NaN is 0, as fmin/fmax make it in the kernels).
     */
    static int bucket(float p, int n) {
        float q = Math.min(1f, Math.max(0f, p));
        return Math.max(0, (int) ((float) Math.ceil(q * (float) (n - 1)) - 1f));
    }

    @Override
    public void metricHits(Slice pred, Slice targets, Slice labels, int rows, int cols, MetricHit kind, int k,
                           float threshold, Slice hits) {
        float[] p = floats(pred);
        int po = pred.offset();
        long sum = 0;
        for (int r = 0; r < rows; r++) {
            int row = po + r * cols;
            if (kind == MetricHit.BINARY) {
                for (int c = 0; c < cols; c++) {
                    float predicted = p[row + c] > threshold ? 1f : 0f;
                    sum += predicted == truth(targets, labels, cols, r, c) ? 1 : 0;
                }
                continue;
            }
            int label = labels != null ? ints(labels)[labels.offset() + r]
                    : argMax(floats(targets), targets.offset() + r * cols, cols);
            if (label < 0 || label >= cols) {
                continue; // a bad sparse label: the loss op of the same step reports it
            }
            if (kind == MetricHit.ARG_MAX) {
                sum += argMax(p, row, cols) == label ? 1 : 0;
                continue;
            }
            float at = p[row + label];
            if (Float.isNaN(at)) {
                at = Float.NEGATIVE_INFINITY;
            }
            int larger = 0;
            for (int c = 0; c < cols; c++) {
                larger += p[row + c] > at ? 1 : 0;
            }
            sum += 1 + larger <= k ? 1 : 0;
        }
        int[] out = ints(hits);
        out[hits.offset()] += (int) sum;
    }

    @Override
    public void metricClassCounts(Slice pred, Slice targets, Slice labels, int rows, int cols, float threshold,
                                  Slice counts) {
        float[] p = floats(pred);
        int[] out = ints(counts);
        int po = pred.offset();
        int co = counts.offset();
        boolean byMax = Float.isNaN(threshold);
        for (int r = 0; r < rows; r++) {
            int row = po + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            if (byMax) {
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, p[row + c]); // NaN stays: such a row predicts nothing
                }
            }
            for (int c = 0; c < cols; c++) {
                float v = p[row + c];
                boolean predicted = byMax ? v >= max && Math.abs(v) > 1e-9f : v > threshold;
                boolean actual = truth(targets, labels, cols, r, c) != 0f;
                if (predicted) {
                    out[co + (actual ? 0 : cols) + c]++;
                } else if (actual) {
                    out[co + 2 * cols + c]++;
                }
                if (actual) {
                    out[co + 3 * cols + c]++;
                }
            }
        }
    }

    /** Target {@code (r, c)}: the dense value, or 1/0 for whether class {@code c} is row {@code r}'s label. */
    private static float truth(Slice targets, Slice labels, int cols, int r, int c) {
        if (labels != null) {
            return ints(labels)[labels.offset() + r] == c ? 1f : 0f;
        }
        return floats(targets)[targets.offset() + r * cols + c];
    }

    /** The first index of the largest of {@code v[off, off + n)}, as Keras's {@code argmax}. */
    private static int argMax(float[] v, int off, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (v[off + c] > v[off + best]) {
                best = c;
            }
        }
        return best;
    }
}
