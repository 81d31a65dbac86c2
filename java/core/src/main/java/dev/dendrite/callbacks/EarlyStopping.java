package dev.dendrite.callbacks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Stops training when a monitored metric has stopped improving, as Keras's {@code EarlyStopping}:
 * <pre>{@code
 * new EarlyStopping().monitor("val_loss").patience(3).restoreBestWeights(true)
 * new EarlyStopping("val_accuracy", 5)       // "auto" mode maximizes accuracy
 * }</pre>
 * Defaults are Keras's: monitor {@code "val_loss"}, minDelta 0, patience 0, verbose 0, mode {@code "auto"},
 * no baseline, restoreBestWeights false, startFromEpoch 0.
 *
 * <p>At the end of every epoch the monitored value is compared with the best so far. It counts as an
 * improvement only if it beats the best by more than {@code minDelta} (lower in "min" mode, higher in
 * "max" mode; "auto" maximizes metrics whose name contains "acc" or "auc" and minimizes the rest). After
 * {@code patience} consecutive epochs without improvement, the callback calls {@code stopTraining()}.
 *
 * <p>With a {@code baseline}, an epoch resets the patience count only if it also beats the baseline; if
 * none does, training stops after {@code patience} epochs. This follows Keras's documentation; Keras 3's
 * code additionally never stops while each epoch beats the previous best, however slightly, even below the
 * baseline, so a slowly improving run could go on forever. Here the patience count keeps running.
 *
 * <p>{@code restoreBestWeights}: the weights are copied at every improvement and put back when training
 * ends, whether this callback stopped it, another callback did, or the epochs ran out. That is Keras 3's
 * behaviour (Keras 2 restored only when this callback stopped training), so that the model after
 * {@code fit} is always the best one seen.
 *
 * <p>If the monitored metric is absent from the logs (typically {@code val_loss} without validation data),
 * a warning naming the available metrics is printed once per {@code fit} and the callback never stops
 * training.
 */
public final class EarlyStopping extends Callback {
    private String monitor = "val_loss";
    private double minDelta = 0;
    private int patience = 0;
    private int verbose = 0;
    private String mode = "auto";
    private Double baseline;
    private boolean restoreBestWeights = false;
    private int startFromEpoch = 0;

    private PrintStream out = System.out;
    private PrintStream warnings = System.err;

    private Monitor tracker;
    private int wait;
    private int stoppedEpoch = -1;
    private double best = Double.NaN;
    private int bestEpoch = -1;
    private List<float[]> bestWeights;

    /** Keras's defaults: monitor {@code "val_loss"}, patience 0. */
    public EarlyStopping() {
    }

    /** Monitors {@code monitor} and stops after {@code patience} epochs without improvement. */
    public EarlyStopping(String monitor, int patience) {
        monitor(monitor);
        patience(patience);
    }

    /** The metric to watch, by its name in the logs ({@code "loss"}, {@code "val_accuracy"}, ...). */
    public EarlyStopping monitor(String monitor) {
        this.monitor = Monitor.checkMetric(monitor);
        return this;
    }

    /** The smallest change that counts as an improvement (default 0). */
    public EarlyStopping minDelta(double minDelta) {
        this.minDelta = Monitor.checkMinDelta(minDelta);
        return this;
    }

    /** Epochs without improvement after which training stops (default 0: stop at the first one). */
    public EarlyStopping patience(int patience) {
        this.patience = Monitor.checkNonNegative("patience", patience);
        return this;
    }

    /** 1 prints when training is stopped and when weights are restored; 0 (default) is silent. */
    public EarlyStopping verbose(int verbose) {
        this.verbose = Monitor.checkVerbose(verbose);
        return this;
    }

    /** {@code "min"}, {@code "max"} or {@code "auto"} (default; see the class description). */
    public EarlyStopping mode(String mode) {
        this.mode = Monitor.checkMode(mode);
        return this;
    }

    /** A value the metric must beat for training to go on; {@code null} (default) for none. */
    public EarlyStopping baseline(Double baseline) {
        if (baseline != null && (baseline.isNaN() || baseline.isInfinite())) {
            throw new IllegalArgumentException("baseline " + baseline + "; expected a finite value or null");
        }
        this.baseline = baseline;
        return this;
    }

    /** Put back the weights of the best epoch when training ends (default false). */
    public EarlyStopping restoreBestWeights(boolean restoreBestWeights) {
        this.restoreBestWeights = restoreBestWeights;
        return this;
    }

    /** Epochs of warm-up (0-based epochs before this one) that are not monitored at all (default 0). */
    public EarlyStopping startFromEpoch(int startFromEpoch) {
        this.startFromEpoch = Monitor.checkNonNegative("startFromEpoch", startFromEpoch);
        return this;
    }

    /** The 0-based epoch at which this callback stopped training in the last {@code fit}, or -1 if it did not. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** The 0-based epoch with the best monitored value in the last {@code fit}, or -1 if none was seen. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** The best monitored value in the last {@code fit}, or NaN if none was seen. */
    public double bestValue() {
        return best;
    }

    /** Test hook: where messages and warnings go (default stdout and stderr). */
    void setStreams(PrintStream out, PrintStream warnings) {
        this.out = out;
        this.warnings = warnings;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        // Reset everything so that one instance can serve several fit calls, as in Keras.
        tracker = new Monitor("EarlyStopping", monitor, mode, minDelta, "Training will not be stopped early.");
        wait = 0;
        stoppedEpoch = -1;
        best = Double.NaN;
        bestEpoch = -1;
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (tracker == null) {
            onTrainBegin(Logs.empty());
        }
        Double current = tracker.read(logs, warnings);
        if (current == null || epoch < startFromEpoch) {
            return;
        }
        wait++;
        if (tracker.improves(current, bestEpoch < 0 ? tracker.worst() : best)) {
            best = current;
            bestEpoch = epoch;
            if (restoreBestWeights) {
                bestWeights = copy(requireModel("EarlyStopping").getWeights());
            }
            if (baseline == null || tracker.improves(current, baseline)) {
                wait = 0;
                return;
            }
            // Better than before but still not past the baseline: the patience count keeps running.
        }
        if (wait >= patience) {
            stoppedEpoch = epoch;
            requireModel("EarlyStopping").stopTraining();
        }
    }

    @Override
    public void onTrainEnd(Logs logs) {
        if (stoppedEpoch >= 0 && verbose > 0) {
            ConsoleOutput.println(out, "Epoch " + (stoppedEpoch + 1) + ": early stopping");
        }
        if (restoreBestWeights && bestWeights != null) {
            if (verbose > 0) {
                ConsoleOutput.println(out, "Restoring model weights from the end of the best epoch: "
                        + (bestEpoch + 1) + ".");
            }
            requireModel("EarlyStopping").setWeights(bestWeights);
            // The snapshot can be as large as the model; do not keep it alive after fit.
            bestWeights = null;
        }
    }

    /**
     * Deep copy, because nothing promises that the arrays from {@code getWeights()} are not reused or
     * updated in place by later training steps; the snapshot must stay the best epoch's.
     */
    private static List<float[]> copy(List<float[]> weights) {
        List<float[]> copy = new ArrayList<>(weights.size());
        for (float[] w : weights) {
            copy.add(w.clone());
        }
        return copy;
    }
}
