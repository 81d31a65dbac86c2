package dev.dendrite.callbacks;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The "is this metric better than before?" logic shared by {@link EarlyStopping}, {@link ReduceLROnPlateau}
 * and {@link ModelCheckpoint}: the direction (from the mode), the minimum change that counts, and the
 * one-time warning when the metric is missing from the logs.
 */
final class Monitor {
    private final String caller;
    private final String metric;
    private final boolean maximize;
    private final double minDelta;
    private final String whenMissing;
    private boolean warned;

    /** {@code whenMissing} ends the missing-metric warning, saying what the caller does instead. */
    Monitor(String caller, String metric, String mode, double minDelta, String whenMissing) {
        this.caller = caller;
        this.whenMissing = whenMissing;
        this.metric = metric;
        this.maximize = maximizes(metric, mode);
        this.minDelta = minDelta;
    }

    /** Checks a mode string, so that a typo fails when the callback is configured rather than mid-training. */
    static String checkMode(String mode) {
        if (!"auto".equals(mode) && !"min".equals(mode) && !"max".equals(mode)) {
            throw new IllegalArgumentException("mode '" + mode + "'; expected \"auto\", \"min\" or \"max\"");
        }
        return mode;
    }

    static String checkMetric(String metric) {
        if (metric == null || metric.isBlank()) {
            throw new IllegalArgumentException("monitor '" + metric + "'; expected a metric name such as "
                    + "\"val_loss\" or \"val_accuracy\"");
        }
        return metric;
    }

    static double checkMinDelta(double minDelta) {
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("minDelta " + minDelta + "; expected a finite value >= 0");
        }
        return minDelta;
    }

    static int checkNonNegative(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " " + value + "; expected >= 0");
        }
        return value;
    }

    static int checkVerbose(int verbose) {
        if (verbose != 0 && verbose != 1) {
            throw new IllegalArgumentException("verbose " + verbose + "; expected 0 (silent) or 1 (messages)");
        }
        return verbose;
    }

    /**
     * "auto" maximizes accuracy-like metrics, recognised by name as Keras's older callbacks did (Keras 3 asks
     * the metric object, which Dendrite does not have): anything containing "acc" or "auc". Everything else,
     * losses and errors, is minimized.
     */
    static boolean maximizes(String metric, String mode) {
        switch (checkMode(mode)) {
            case "max":
                return true;
            case "min":
                return false;
            default:
                String name = metric.toLowerCase(Locale.ROOT);
                return name.contains("acc") || name.contains("auc");
        }
    }

    boolean maximize() {
        return maximize;
    }

    /** The value that starts a comparison when nothing has been seen yet: no value loses to it. */
    double worst() {
        return maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /**
     * True if {@code current} beats {@code reference} by more than {@code minDelta} in the monitored
     * direction. NaN never improves on anything, so a diverged loss cannot become the "best" value.
     */
    boolean improves(double current, double reference) {
        if (Double.isNaN(current)) {
            return false;
        }
        return maximize ? current - minDelta > reference : current + minDelta < reference;
    }

    /**
     * The metric's value, or null when the logs lack it; the first time it is missing in a run a warning
     * naming the available metrics goes to {@code warnings}. Once per run because the cause (usually no
     * validation data for a {@code val_} metric) is the same every epoch.
     */
    Double read(Logs logs, PrintStream warnings) {
        if (logs != null && logs.has(metric)) {
            return logs.get(metric);
        }
        if (!warned) {
            warned = true;
            String available = logs == null ? "[]" : logs.asMap().keySet().toString();
            String hint = metric.startsWith("val_") ? " (a val_ metric needs validation data in fit)" : "";
            ConsoleOutput.println(warnings, "WARNING: " + caller + " monitors '" + metric
                    + "', which is not in the logs" + hint + "; available: " + available
                    + ". " + whenMissing);
        }
        return null;
    }

    /** Formats a metric value the way Keras's callback messages do (5 decimals), independent of locale. */
    static String format5(double v) {
        return String.format(Locale.ROOT, "%.5f", v);
    }
}
