package dev.dendrite.callbacks;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Lowers the learning rate when a monitored metric has stopped improving, as Keras's
 * {@code ReduceLROnPlateau}:
 * <pre>{@code
 * new ReduceLROnPlateau().monitor("val_loss").factor(0.2).patience(5).minLr(1e-5)
 * }</pre>
 * Defaults are Keras's: monitor {@code "val_loss"}, factor 0.1, patience 10, verbose 0, mode
 * {@code "auto"}, minDelta 1e-4, cooldown 0, minLr 0.
 *
 * <p>An epoch improves if its value beats the best so far by more than {@code minDelta} (direction as in
 * {@link EarlyStopping}). After {@code patience} epochs without improvement the learning rate becomes
 * {@code max(lr * factor, minLr)}, and for the next {@code cooldown} epochs no further reduction is
 * counted. Once the rate has reached {@code minLr} it is left alone.
 *
 * <p>The new rate applies from the next epoch. This callback does not write {@code learning_rate} into the
 * logs: {@code fit} records the rate each epoch was trained with, so the reduction shows up in the next
 * epoch's logs and in the {@code History}. A missing metric prints one warning per {@code fit} naming the
 * available ones, and the rate is then never changed.
 */
public final class ReduceLROnPlateau extends Callback {
    private String monitor = "val_loss";
    private double factor = 0.1;
    private int patience = 10;
    private int verbose = 0;
    private String mode = "auto";
    private double minDelta = 1e-4;
    private int cooldown = 0;
    private double minLr = 0;

    private PrintStream out = System.out;
    private PrintStream warnings = System.err;

    private Monitor tracker;
    private double best;
    private int wait;
    private int cooldownCounter;

    /** Keras's defaults (see the class description). */
    public ReduceLROnPlateau() {
    }

    /** Multiplies the rate by {@code factor} after {@code patience} epochs without improvement of {@code monitor}. */
    public ReduceLROnPlateau(String monitor, double factor, int patience) {
        monitor(monitor);
        factor(factor);
        patience(patience);
    }

    /** The metric to watch, by its name in the logs (default {@code "val_loss"}). */
    public ReduceLROnPlateau monitor(String monitor) {
        this.monitor = Monitor.checkMetric(monitor);
        return this;
    }

    /** What the rate is multiplied by at each reduction; strictly between 0 and 1 (default 0.1). */
    public ReduceLROnPlateau factor(double factor) {
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("factor " + factor
                    + "; expected 0 < factor < 1 (the new rate is lr * factor)");
        }
        this.factor = factor;
        return this;
    }

    /** Epochs without improvement before a reduction (default 10). */
    public ReduceLROnPlateau patience(int patience) {
        this.patience = Monitor.checkNonNegative("patience", patience);
        return this;
    }

    /** 1 prints a line at each reduction; 0 (default) is silent. */
    public ReduceLROnPlateau verbose(int verbose) {
        this.verbose = Monitor.checkVerbose(verbose);
        return this;
    }

    /** {@code "min"}, {@code "max"} or {@code "auto"} (default: maximize names containing "acc"/"auc"). */
    public ReduceLROnPlateau mode(String mode) {
        this.mode = Monitor.checkMode(mode);
        return this;
    }

    /** The smallest change that counts as an improvement (default 1e-4). */
    public ReduceLROnPlateau minDelta(double minDelta) {
        this.minDelta = Monitor.checkMinDelta(minDelta);
        return this;
    }

    /** Epochs after a reduction during which epochs without improvement are not counted (default 0). */
    public ReduceLROnPlateau cooldown(int cooldown) {
        this.cooldown = Monitor.checkNonNegative("cooldown", cooldown);
        return this;
    }

    /** The rate is never reduced below this (default 0). */
    public ReduceLROnPlateau minLr(double minLr) {
        if (!(minLr >= 0) || Double.isInfinite(minLr)) {
            throw new IllegalArgumentException("minLr " + minLr + "; expected a finite value >= 0");
        }
        this.minLr = minLr;
        return this;
    }

    /** Test hook: where messages and warnings go (default stdout and stderr). */
    void setStreams(PrintStream out, PrintStream warnings) {
        this.out = out;
        this.warnings = warnings;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        tracker = new Monitor("ReduceLROnPlateau", monitor, mode, minDelta,
                "The learning rate will not be changed.");
        best = tracker.worst();
        wait = 0;
        cooldownCounter = 0;
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (tracker == null) {
            onTrainBegin(Logs.empty());
        }
        Double current = tracker.read(logs, warnings);
        if (current == null) {
            return;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            wait = 0;
        }
        if (tracker.improves(current, best)) {
            best = current;
            wait = 0;
        } else if (cooldownCounter == 0) {
            wait++;
            if (wait >= patience) {
                reduce(epoch);
            }
        }
    }

    private void reduce(int epoch) {
        TrainingModel model = requireModel("ReduceLROnPlateau");
        double old = model.learningRate();
        // Compared in float because optimizers commonly keep the rate in float: a rate that was floored to
        // minLr reads back as float(minLr), a hair above the double minLr, and must not count as "above".
        if ((float) old > (float) minLr) {
            double lr = Math.max(old * factor, minLr);
            model.setLearningRate(lr);
            if (verbose > 0) {
                ConsoleOutput.println(out, "Epoch " + (epoch + 1) + ": ReduceLROnPlateau reducing learning rate to "
                        + formatRate(lr) + ".");
            }
            cooldownCounter = cooldown;
            wait = 0;
        }
    }

    /** 0.1 * 0.001 prints as 1.0E-4 from Java and 0.00010000000000000002 from Python; show 0.0001. */
    static String formatRate(double lr) {
        return new BigDecimal(lr).round(new MathContext(6)).stripTrailingZeros().toString();
    }
}
