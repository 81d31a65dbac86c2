package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * The metric family's conformance suite ({@link Backend#metricConfusion}, {@link Backend#metricBuckets},
 * {@link Backend#metricHits}, {@link Backend#metricClassCounts}), run on every backend by a subclass, against the
 * plain-Java reference written here from each op's definition.
 *
 * <p>The counts are integers, so every comparison is exact: any difference is a wrong count, not rounding. The
 * inputs are fresh random batches of the op-set suite's shapes and some of their own (no rows, one column,
 * 2,000 rows), with the awkward values put in on purpose: outputs exactly on a threshold or a bucket edge (multiples
 * of 1/199), ties within a row, NaN, values outside [0, 1], soft and NaN targets, class-index labels outside
 * {@code [0, cols)}, and {@code k} above the number of classes. Each op runs twice on counts that start non-zero,
 * so that "adds to" is checked as well as the batch's own counts.
 */
public abstract class MetricOpsConformanceTest extends OpFamilyConformance {
    /** Shapes (rows, cols): the suite's, plus no rows, one column, and a batch larger than one work-group. */
    private static final int[][] SHAPES = {{0, 3}, {1, 1}, {7, 1}, {5, 3}, {32, 10}, {33, 7}, {2000, 5}, {64, 200}};

    // ================================================================== the float64 / plain-Java reference

    private static double truth(float[] targets, int[] labels, int cols, int r, int c) {
        return labels != null ? (labels[r] == c ? 1 : 0) : targets[r * cols + c];
    }

    private static int firstArgMax(double[] row) {
        int best = 0;
        for (int c = 1; c < row.length; c++) {
            if (row[c] > row[best]) {
                best = c;
            }
        }
        return best;
    }

    private static double[] row(float[] x, int r, int cols) {
        double[] v = new double[cols];
        for (int c = 0; c < cols; c++) {
            v[c] = x[r * cols + c];
        }
        return v;
    }

    static long[] confusion(float[] pred, float[] targets, int[] labels, int rows, int cols, float[] thresholds) {
        long[] out = new long[4 * thresholds.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double p = pred[r * cols + c];
                boolean actual = truth(targets, labels, cols, r, c) != 0;
                for (int i = 0; i < thresholds.length; i++) {
                    boolean predicted = p > thresholds[i]; // NaN: false
                    out[4 * i + (predicted ? (actual ? 0 : 1) : (actual ? 3 : 2))]++;
                }
            }
        }
        return out;
    }

    /** Keras's bucket, whose definition is in float32 (the product q * (n - 1) rounded to float). */
    static int bucket(float p, int n) {
        if (Float.isNaN(p)) {
            return 0;
        }
        float q = p < 0 ? 0f : (p > 1 ? 1f : p);
        float scaled = q * (float) (n - 1);
        return (int) Math.max(0, Math.ceil(scaled) - 1);
    }

    static long[] buckets(float[] pred, float[] targets, int[] labels, int rows, int cols, int n) {
        long[] out = new long[2 * n];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int b = bucket(pred[r * cols + c], n);
                out[truth(targets, labels, cols, r, c) != 0 ? b : n + b]++;
            }
        }
        return out;
    }

    static long hits(float[] pred, float[] targets, int[] labels, int rows, int cols, MetricHit kind, int k,
                     float threshold) {
        long sum = 0;
        for (int r = 0; r < rows; r++) {
            double[] p = row(pred, r, cols);
            if (kind == MetricHit.BINARY) {
                for (int c = 0; c < cols; c++) {
                    sum += (p[c] > threshold ? 1.0 : 0.0) == truth(targets, labels, cols, r, c) ? 1 : 0;
                }
                continue;
            }
            int label = labels != null ? labels[r] : firstArgMax(row(targets, r, cols));
            if (label < 0 || label >= cols) {
                continue;
            }
            if (kind == MetricHit.ARG_MAX) {
                sum += firstArgMax(p) == label ? 1 : 0;
            } else {
                double at = Double.isNaN(p[label]) ? Double.NEGATIVE_INFINITY : p[label];
                long above = Arrays.stream(p).filter(v -> v > at).count();
                sum += above < k ? 1 : 0;
            }
        }
        return sum;
    }

    static long[] classCounts(float[] pred, float[] targets, int[] labels, int rows, int cols, float threshold) {
        long[] out = new long[4 * cols];
        for (int r = 0; r < rows; r++) {
            double[] p = row(pred, r, cols);
            boolean anyNaN = Arrays.stream(p).anyMatch(Double::isNaN);
            double max = Arrays.stream(p).max().orElse(Double.NaN);
            for (int c = 0; c < cols; c++) {
                boolean predicted = Float.isNaN(threshold)
                        ? !anyNaN && p[c] == max && Math.abs(p[c]) > 1e-9f
                        : p[c] > threshold;
                boolean actual = truth(targets, labels, cols, r, c) != 0;
                out[c] += predicted && actual ? 1 : 0;
                out[cols + c] += predicted && !actual ? 1 : 0;
                out[2 * cols + c] += !predicted && actual ? 1 : 0;
                out[3 * cols + c] += actual ? 1 : 0;
            }
        }
        return out;
    }

    // ================================================================== random batches with awkward values

    /** A batch: outputs and both target forms. */
    private final class Batch {
        final int rows;
        final int cols;
        final float[] pred;
        final float[] dense;
        final int[] labels;

        Batch(int rows, int cols, boolean badLabels) {
            this.rows = rows;
            this.cols = cols;
            pred = new float[rows * cols];
            dense = new float[rows * cols];
            labels = new int[rows];
            for (int i = 0; i < pred.length; i++) {
                double u = rnd.nextDouble();
                // On bucket edges and the 0.5 threshold, ties, NaN, out of [0, 1], or anywhere in [0, 1).
                pred[i] = u < 0.3 ? (float) rnd.nextInt(200) / 199f
                        : u < 0.4 ? 0.5f
                        : u < 0.42 ? Float.NaN
                        : u < 0.47 ? (float) (rnd.nextDouble() * 3 - 1)
                        : u < 0.5 && i > 0 ? pred[i - 1]
                        : rnd.nextFloat();
                double t = rnd.nextDouble();
                dense[i] = t < 0.5 ? 0f : t < 0.9 ? 1f : t < 0.97 ? 0.3f : Float.NaN;
            }
            for (int r = 0; r < rows; r++) {
                labels[r] = rnd.nextInt(cols);
                if (badLabels && rnd.nextInt(5) == 0) {
                    labels[r] = rnd.nextBoolean() ? -1 : cols;
                }
            }
        }

        /** Dense targets of 0 and 1 only, one 1 per row: what class-count metrics get on the device. */
        float[] oneHot() {
            float[] t = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                t[r * cols + Math.floorMod(labels[r], cols)] = 1f;
            }
            return t;
        }

        String describe(boolean sparse) {
            return rows + "x" + cols + (sparse ? " sparse" : " dense") + " (seed " + seed + ")";
        }
    }

    private int[] startCounts(int n) {
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            c[i] = rnd.nextInt(1000);
        }
        return c;
    }

    /** {@code start} plus twice the batch's reference counts, as ints, for comparison with the device. */
    private static int[] twice(int[] start, long[] batch) {
        int[] out = start.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += (int) (2 * batch[i]);
        }
        return out;
    }

    // ================================================================== the ops

    @Test
    void confusionCountsAtThresholdsIncludingTiesAndNaN() {
        for (int[] shape : SHAPES) {
            for (boolean sparse : new boolean[] {false, true}) {
                Batch b = new Batch(shape[0], shape[1], true);
                float[] th = {0.5f, 0f, 1f, 100f / 199f, -1e-7f, 1f + 1e-7f, 0.25f};
                int[] start = startCounts(4 * th.length);
                Slice pred = f32(b.pred);
                Slice targets = sparse ? i32(b.labels) : f32(b.dense);
                Slice thresholds = f32(th);
                Slice counts = i32(start);
                for (int rep = 0; rep < 2; rep++) {
                    backend.metricConfusion(pred, targets, sparse, b.rows, b.cols, thresholds, th.length, counts);
                }
                long[] want = confusion(b.pred, sparse ? null : b.dense, sparse ? b.labels : null, b.rows, b.cols,
                        th);
                assertArrayEquals(twice(start, want), getInts(counts), "confusion " + b.describe(sparse));
            }
        }
    }

    @Test
    void aucBucketsWithKerasSpacingAtTheEdges() {
        for (int n : new int[] {200, 2, 3, 1000}) {
            for (int[] shape : SHAPES) {
                for (boolean sparse : new boolean[] {false, true}) {
                    Batch b = new Batch(shape[0], shape[1], true);
                    int[] start = startCounts(2 * n);
                    Slice pred = f32(b.pred);
                    Slice targets = sparse ? i32(b.labels) : f32(b.dense);
                    Slice counts = i32(start);
                    for (int rep = 0; rep < 2; rep++) {
                        backend.metricBuckets(pred, targets, sparse, b.rows, b.cols, n, counts);
                    }
                    long[] want = buckets(b.pred, sparse ? null : b.dense, sparse ? b.labels : null, b.rows, b.cols,
                            n);
                    assertArrayEquals(twice(start, want), getInts(counts),
                            "buckets n=" + n + ", " + b.describe(sparse));
                }
            }
        }
    }

    @Test
    void bucketsPutAnOutputOnAThresholdBelowIt() {
        // Keras: an output exactly on threshold i/(n-1) is not above it, so it falls in bucket i - 1 (where the
        // float32 product p * (n - 1) lands on i; the reference follows the float32 definition either way).
        int n = 200;
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) i / (n - 1);
        }
        int[] labels = new int[n];
        Slice counts = i32(new int[2 * n]);
        backend.metricBuckets(f32(p), i32(labels), true, n, 1, n, counts);
        int[] got = getInts(counts);
        assertEquals(2, got[0], "0 and 1/199 both fall in bucket 0");
        assertEquals(1, got[n - 2], "1 falls in the last bucket, n - 2");
        int[] want = new int[2 * n];
        for (float v : p) {
            want[bucket(v, n)]++;
        }
        assertArrayEquals(want, got);
    }

    @Test
    void hitsOfEveryKindWithKAboveTheClasses() {
        for (int[] shape : SHAPES) {
            for (boolean sparse : new boolean[] {false, true}) {
                Batch b = new Batch(shape[0], shape[1], true);
                Slice pred = f32(b.pred);
                Slice targets = sparse ? i32(b.labels) : f32(b.dense);
                for (MetricHit kind : MetricHit.values()) {
                    for (int k : kind == MetricHit.TOP_K ? new int[] {1, 2, 5, b.cols + 3} : new int[] {0}) {
                        for (float threshold : kind == MetricHit.BINARY ? new float[] {0.5f, 0f, 1f, 0.3f}
                                : new float[] {0.5f}) {
                            int start = rnd.nextInt(1000);
                            Slice hits = i32(new int[] {start});
                            for (int rep = 0; rep < 2; rep++) {
                                backend.metricHits(pred, targets, sparse, b.rows, b.cols, kind, k, threshold, hits);
                            }
                            long want = hits(b.pred, sparse ? null : b.dense, sparse ? b.labels : null, b.rows,
                                    b.cols, kind, k, threshold);
                            assertEquals(start + 2 * want, getInts(hits)[0], kind + " k=" + k + " threshold="
                                    + threshold + ", " + b.describe(sparse));
                        }
                    }
                }
            }
        }
    }

    @Test
    void topKAboveTheClassesHitsEveryValidRow() {
        Batch b = new Batch(40, 6, false);
        Slice hits = i32(new int[1]);
        backend.metricHits(f32(b.pred), i32(b.labels), true, b.rows, b.cols, MetricHit.TOP_K, 7, 0f, hits);
        assertEquals(40, getInts(hits)[0], "k = 7 > 6 classes: every row's label is in its top k");
    }

    @Test
    void classCountsByRowMaximumAndByThreshold() {
        for (int[] shape : SHAPES) {
            for (boolean sparse : new boolean[] {false, true}) {
                Batch b = new Batch(shape[0], shape[1], true);
                float[] dense = b.oneHot();
                Slice pred = f32(b.pred);
                Slice targets = sparse ? i32(b.labels) : f32(dense);
                for (float threshold : new float[] {Float.NaN, 0.5f, 1f, 100f / 199f}) {
                    int[] start = startCounts(4 * b.cols);
                    Slice counts = i32(start);
                    for (int rep = 0; rep < 2; rep++) {
                        backend.metricClassCounts(pred, targets, sparse, b.rows, b.cols, threshold, counts);
                    }
                    long[] want = classCounts(b.pred, sparse ? null : dense, sparse ? b.labels : null, b.rows,
                            b.cols, threshold);
                    assertArrayEquals(twice(start, want), getInts(counts),
                            "class counts threshold=" + threshold + ", " + b.describe(sparse));
                }
            }
        }
    }

    @Test
    void sameCountsEveryRun() {
        Batch b = new Batch(2000, 5, false);
        Slice pred = f32(b.pred);
        Slice labels = i32(b.labels);
        int[] first = null;
        for (int run = 0; run < 3; run++) {
            Slice counts = i32(new int[2 * 200]);
            backend.metricBuckets(pred, labels, true, b.rows, b.cols, 200, counts);
            int[] got = getInts(counts);
            if (first == null) {
                first = got;
            }
            assertArrayEquals(first, got, "run " + run);
        }
        assertTrue(Arrays.stream(first).sum() == 10_000, "every output counted once");
    }

    // ================================================================== bad calls

    @Test
    void badArgumentsNameTheValueAndWhatWasExpected() {
        Slice pred = f32(new float[12]);
        Slice labels = i32(new int[4]);
        Slice dense = f32(new float[12]);
        Slice th = f32(new float[] {0.5f});
        Slice counts = i32(new int[8]);
        Slice floatCounts = f32(new float[8]);
        assertMessage("counts is F32; expected I32", () ->
                backend.metricConfusion(pred, dense, false, 4, 3, th, 1, floatCounts));
        assertMessage("counts has 8 elements; expected at least 12", () ->
                backend.metricConfusion(pred, dense, false, 4, 3, f32(new float[3]), 3, counts));
        assertMessage("numThresholds = 0; expected >= 1", () ->
                backend.metricConfusion(pred, dense, false, 4, 3, th, 0, counts));
        assertMessage("labels is F32; expected I32", () ->
                backend.metricBuckets(pred, dense, true, 4, 3, 4, counts));
        assertMessage("numBuckets = 1; expected >= 2", () ->
                backend.metricBuckets(pred, labels, true, 4, 3, 1, counts));
        assertMessage("pred has 12 elements; expected at least 15", () ->
                backend.metricBuckets(pred, labels, true, 5, 3, 2, counts));
        assertMessage("k = 0; expected >= 1", () ->
                backend.metricHits(pred, labels, true, 4, 3, MetricHit.TOP_K, 0, 0f, counts));
        assertMessage("threshold 1.5; expected 0 <= threshold <= 1", () ->
                backend.metricHits(pred, labels, true, 4, 3, MetricHit.BINARY, 0, 1.5f, counts));
        assertMessage("kind is null", () ->
                backend.metricHits(pred, labels, true, 4, 3, null, 1, 0f, counts));
        assertMessage("threshold 0.0; expected NaN (the row's maximum) or 0 < threshold <= 1", () ->
                backend.metricClassCounts(pred, labels, true, 4, 3, 0f, counts));
        assertMessage("counts has 8 elements; expected at least 12 (4*cols)", () ->
                backend.metricClassCounts(pred, labels, true, 4, 3, Float.NaN, counts));
        Slice overlapping = labels.buffer().slice(labels.offset() + 1, 2);
        assertMessage("counts (" + overlapping + ") overlaps labels", () ->
                backend.metricHits(pred, labels, true, 4, 3, MetricHit.ARG_MAX, 1, 0f, overlapping));
        assertMessage("rows = -1; expected >= 0", () ->
                backend.metricHits(pred, labels, true, -1, 3, MetricHit.ARG_MAX, 1, 0f, counts));
    }

    private static void assertMessage(String part, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
    }
}
