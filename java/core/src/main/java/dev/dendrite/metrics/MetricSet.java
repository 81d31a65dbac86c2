package dev.dendrite.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.losses.BinaryCrossentropy;
import dev.dendrite.losses.CategoricalCrossentropy;
import dev.dendrite.losses.Loss;
import dev.dendrite.losses.SparseCategoricalCrossentropy;

/**
 * The metrics of a compiled model, chosen as Keras 3's {@code compile} chooses them: by the name the user wrote
 * and, for {@code "accuracy"}/{@code "acc"}, by the output's shape and the targets' (a one-unit output gives
 * {@code binary_accuracy}, class-index labels {@code sparse_categorical_accuracy}, dense targets
 * {@code categorical_accuracy} - so a multi-unit sigmoid output's "accuracy" is categorical, as in Keras 3). The
 * logs key of each metric is the name as written ({@code "acc"} gives {@code acc} and {@code val_acc}).
 *
 * <p>Where the loss already counts the same accuracy on the device (softmax cross-entropy counts arg-max hits;
 * sigmoid cross-entropy on 0/1 targets counts binary hits at 0.5) that count is used. Once {@link #attach}ed to a
 * backend, every other metric that can counts on the device too ({@link #accumulate}, issued inside the training
 * step, so a recorded step replays it): confusion counts, AUC's buckets, accuracy hits, F1's per-class counts, read
 * back only when a result is written ({@link #write}), once per epoch. So a step reads nothing back. What stays on
 * the host (F1 on soft targets, sparse categorical accuracy on dense targets, or any metric of a set not attached)
 * is fed each batch's outputs and targets through {@link #update}. {@code -Ddendrite.metrics.device=false} keeps
 * every metric on the host (bar the loss's count), as before the device counters: a way round one in doubt on a
 * new device, and the baseline bench/ measures them against.
 */
public final class MetricSet {
    /** The names {@link #resolve} accepts (lower case; Keras's class names such as {@code AUC} also work). */
    public static final List<String> NAMES = List.of("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
            "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
            "precision", "recall", "auc", "f1_score", "mean_absolute_error", "mae", "mean_squared_error", "mse",
            "root_mean_squared_error");

    private final List<String> names;
    private final List<Metric> metrics;
    private final int deviceIndex;
    private final boolean binaryTargets;
    /** Per metric, its device counter while attached (null: on the host, or the loss's count); null: not attached. */
    private DeviceCounter[] counters;
    private boolean sparseAttached;
    /** Samples, and the most outputs of one batch, added to the device counts since they were last read. */
    private long pendingRows;
    private long largestBatch;

    /** The system property that, set to {@code false}, keeps every metric on the host. */
    public static final String DEVICE_PROPERTY = "dendrite.metrics.device";

    private MetricSet(List<String> names, List<Metric> metrics, int deviceIndex, boolean binaryTargets) {
        this.names = names;
        this.metrics = metrics;
        this.deviceIndex = deviceIndex;
        this.binaryTargets = binaryTargets;
    }

    /**
     * The metrics {@code specs} for a model whose output has {@code outputWidth} units, trained with {@code loss}:
     * each a name (resolved as Keras 3 does) or a configured {@link Metric}, of which a fresh copy is used (see
     * {@link MetricConfigs#fresh}); {@code binaryTargets} says whether every dense target is 0 or 1 (class-index
     * labels: true).
     */
    public static MetricSet of(List<?> specs, Loss loss, int outputWidth, boolean binaryTargets) {
        List<Metric> metrics = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int device = -1;
        for (int i = 0; i < specs.size(); i++) {
            Object spec = specs.get(i);
            Metric m = spec instanceof Metric ? MetricConfigs.fresh((Metric) spec)
                    : resolve((String) spec, loss.sparseLabels(), outputWidth);
            metrics.add(m);
            names.add(m.name());
            if (device < 0 && countedByLoss(m, loss, binaryTargets)) {
                device = i;
            }
        }
        return new MetricSet(List.copyOf(names), metrics, device, binaryTargets);
    }

    /** No metrics: only the loss is reported. */
    public static MetricSet none() {
        return new MetricSet(List.of(), List.of(), -1, true);
    }

    /** Whether the loss op's accuracy count on the device is, by definition, metric {@code m}. */
    private static boolean countedByLoss(Metric m, Loss loss, boolean binaryTargets) {
        if (m instanceof SparseCategoricalAccuracy) {
            return loss instanceof SparseCategoricalCrossentropy;
        }
        if (m instanceof CategoricalAccuracy) {
            return loss instanceof CategoricalCrossentropy;
        }
        // The device counts (p > 0.5) == (t > 0.5); Keras demands equality with the target, the same on 0/1.
        return m instanceof BinaryAccuracy && ((BinaryAccuracy) m).threshold() == 0.5f
                && loss instanceof BinaryCrossentropy && binaryTargets;
    }

    /**
     * Checks a metric name without knowing the output's shape, as {@code compile} does.
     *
     * @throws IllegalArgumentException naming the unknown metric and the accepted ones, or a metric that cannot
     *         read the loss's kind of targets
     */
    public static void check(String name, boolean sparseLabels) {
        resolve(name, sparseLabels, 2);
    }

    /**
     * The metric Keras 3 makes of {@code name} for an output of {@code outputWidth} units and targets that are
     * class indices ({@code sparseLabels}) or dense rows; its {@link Metric#name()} is {@code name} as written.
     */
    public static Metric resolve(String name, boolean sparseLabels, int outputWidth) {
        String written = name == null ? "" : name.trim();
        String k = written.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        if (k.equals("a_u_c")) {
            k = "auc";
        }
        switch (k) {
            case "accuracy":
            case "acc":
                if (outputWidth == 1) {
                    return new BinaryAccuracy(written, BinaryAccuracy.DEFAULT_THRESHOLD);
                }
                return sparseLabels ? new SparseCategoricalAccuracy(written) : new CategoricalAccuracy(written);
            case "binary_accuracy":
                return new BinaryAccuracy(written, BinaryAccuracy.DEFAULT_THRESHOLD);
            case "categorical_accuracy":
                requireDense(written, sparseLabels, "sparse_categorical_accuracy");
                return new CategoricalAccuracy(written);
            case "sparse_categorical_accuracy":
                requireSparse(written, sparseLabels, "categorical_accuracy");
                return new SparseCategoricalAccuracy(written);
            case "top_k_categorical_accuracy":
                requireDense(written, sparseLabels, "sparse_top_k_categorical_accuracy");
                return new TopKCategoricalAccuracy(written, TopKCategoricalAccuracy.DEFAULT_K);
            case "sparse_top_k_categorical_accuracy":
                requireSparse(written, sparseLabels, "top_k_categorical_accuracy");
                return new TopKCategoricalAccuracy(written, TopKCategoricalAccuracy.DEFAULT_K);
            case "precision":
                return new Precision(written, Precision.DEFAULT_THRESHOLD);
            case "recall":
                return new Recall(written, Recall.DEFAULT_THRESHOLD);
            case "auc":
                return new AUC(written, AUC.DEFAULT_NUM_THRESHOLDS);
            case "f1_score":
                return new F1Score(written, null, null);
            case "mean_absolute_error":
            case "mae":
                requireValues(written, sparseLabels);
                return new MeanAbsoluteError(written);
            case "mean_squared_error":
            case "mse":
                requireValues(written, sparseLabels);
                return new MeanSquaredError(written);
            case "root_mean_squared_error":
                requireValues(written, sparseLabels);
                return new RootMeanSquaredError(written);
            default:
                throw new IllegalArgumentException("unknown metric '" + name + "'; expected one of: "
                        + String.join(", ", NAMES));
        }
    }

    private static void requireValues(String name, boolean sparseLabels) {
        if (sparseLabels) {
            throw new IllegalArgumentException("metric '" + name + "' compares outputs with target values (a "
                    + "regression's), but the loss takes class-index labels; use 'accuracy'");
        }
    }

    private static void requireDense(String name, boolean sparseLabels, String instead) {
        if (sparseLabels) {
            throw new IllegalArgumentException("metric '" + name + "' reads one-hot targets, but the loss takes "
                    + "class-index labels; use '" + instead + "' or 'accuracy'");
        }
    }

    private static void requireSparse(String name, boolean sparseLabels, String instead) {
        if (!sparseLabels) {
            throw new IllegalArgumentException("metric '" + name + "' reads class-index labels, but the loss takes "
                    + "dense targets; use '" + instead + "' or 'accuracy'");
        }
    }

    /** The metric names, as written. */
    public List<String> names() {
        return names;
    }

    /** The metrics, in the order written. */
    public List<Metric> metrics() {
        return Collections.unmodifiableList(metrics);
    }

    /** True if the loss's device accuracy count serves as one of the metrics. */
    public boolean usesDeviceAccuracy() {
        return deviceIndex >= 0;
    }

    /** True if some metric needs each batch's outputs and targets on the host. */
    public boolean needsOutputs() {
        for (int i = 0; i < metrics.size(); i++) {
            if (onHost(i)) {
                return true;
            }
        }
        return false;
    }

    private boolean onHost(int i) {
        return i != deviceIndex && (counters == null || counters[i] == null);
    }

    /** Forgets every batch seen, on the host and in the device counts. */
    public void reset() {
        metrics.forEach(Metric::reset);
        if (counters != null) {
            for (DeviceCounter c : counters) {
                if (c != null) {
                    c.zero();
                }
            }
        }
        pendingRows = 0;
    }

    /** Adds a batch to every metric computed on the host (see {@link Metric#update}). */
    public void update(float[] yPred, float[] yTrue, int[] labels, int rows, int cols) {
        for (int i = 0; i < metrics.size(); i++) {
            if (onHost(i)) {
                metrics.get(i).update(yPred, yTrue, labels, rows, cols);
            }
        }
    }

    /**
     * Gives every metric that can count on the device its counters on {@code backend}, for batches of {@code cols}
     * outputs against class-index labels ({@code sparseLabels}) or dense targets; starts from zero. Call
     * {@link #detach} to free them.
     */
    public void attach(Backend backend, boolean sparseLabels, int cols) {
        if (counters != null) {
            throw new IllegalStateException("metrics " + names + " are attached to a backend already");
        }
        DeviceCounter[] made = new DeviceCounter[metrics.size()];
        boolean device = !"false".equalsIgnoreCase(System.getProperty(DEVICE_PROPERTY, "true").trim());
        try {
            for (int i = 0; device && i < made.length; i++) {
                if (i != deviceIndex) {
                    made[i] = metrics.get(i).deviceCounter(backend, sparseLabels, binaryTargets, cols);
                }
            }
        } catch (RuntimeException e) {
            closeAll(made);
            throw e;
        }
        counters = made;
        sparseAttached = sparseLabels;
        reset();
    }

    /** Whether {@link #attach} has given the metrics device counters (and {@link #detach} not yet freed them). */
    public boolean attached() {
        return counters != null;
    }

    /** Frees the device counters; the metrics go back to the host. Counts not yet read are dropped. */
    public void detach() {
        if (counters != null) {
            DeviceCounter[] c = counters;
            counters = null;
            closeAll(c);
        }
    }

    private static void closeAll(DeviceCounter[] counters) {
        RuntimeException first = null;
        for (DeviceCounter c : counters) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Issues the device counters' ops for one batch ({@code pred}: {@code rows x cols} F32 outputs; {@code targets}:
     * the labels or dense targets). Only ops, no transfer: a training step records this and replays it, so the
     * host's own bookkeeping of the batch is {@link #counted}, called after each step.
     */
    public void accumulate(Slice pred, Slice targets, int rows, int cols) {
        if (counters == null) {
            return;
        }
        for (DeviceCounter c : counters) {
            if (c != null) {
                c.accumulate(pred, targets, sparseAttached, rows, cols);
            }
        }
    }

    /**
     * Notes that {@link #accumulate} added a batch of {@code rows x cols} outputs. Reads the counts into the metrics
     * early (one read in about 2^31 / (rows * cols) batches) when one more batch like it could carry a count past
     * int32.
     */
    public void counted(int rows, int cols) {
        if (counters == null) {
            return;
        }
        pendingRows += rows;
        largestBatch = Math.max(largestBatch, (long) rows * cols);
        // A cell grows by at most rows * cols per batch; pendingRows * cols bounds every cell now.
        if (pendingRows * cols + largestBatch > Integer.MAX_VALUE) {
            collect();
        }
    }

    /** Adds the device counts into the metrics' host state and zeroes them on the device. */
    private void collect() {
        if (counters == null || pendingRows == 0) {
            return;
        }
        for (DeviceCounter c : counters) {
            if (c != null) {
                c.collect(pendingRows);
            }
        }
        pendingRows = 0;
    }

    /**
     * Puts every metric's result into {@code logs}, in the order written, each key prefixed with {@code prefix}
     * ({@code ""} or {@code "val_"}); {@code deviceAccuracy} is the mean of the loss's device count.
     */
    public void write(Map<String, Double> logs, String prefix, double deviceAccuracy) {
        collect();
        for (int i = 0; i < metrics.size(); i++) {
            if (i == deviceIndex) {
                logs.put(prefix + metrics.get(i).name(), deviceAccuracy);
                continue;
            }
            Map<String, Double> one = new java.util.LinkedHashMap<>();
            metrics.get(i).writeResult(one);
            one.forEach((key, v) -> logs.put(prefix + key, v));
        }
    }
}
