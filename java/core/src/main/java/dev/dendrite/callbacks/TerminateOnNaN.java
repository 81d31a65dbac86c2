package dev.dendrite.callbacks;

import java.io.PrintStream;

import dev.dendrite.model.NumericalFaultException;

/**
 * Keras's {@code TerminateOnNaN}: after every batch, if the running loss is NaN or infinite, prints
 * {@code "Epoch e, batch b: invalid loss, terminating training"} and stops training at the end of that batch (the
 * epoch is cut short there); with {@code raiseError} (Keras's {@code raise_error}) it throws a
 * {@link NumericalFaultException} naming the epoch and batch instead, so that no {@code onTrainEnd} runs (a
 * BackupAndRestore keeps its backup). Reading the loss each batch waits for the device, as in Keras;
 * {@code FitOptions.terminateOnNaN} is the built-in check that reads only when the device is read anyway.
 */
public final class TerminateOnNaN extends Callback {
    private final PrintStream out;
    private final boolean raiseError;
    private int epoch;
    private int stoppedEpoch = -1;
    private int stoppedBatch = -1;

    public TerminateOnNaN() {
        this(false);
    }

    /** With {@code raiseError}, throws instead of stopping gracefully (Keras's {@code raise_error}). */
    public TerminateOnNaN(boolean raiseError) {
        this(System.out, raiseError);
    }

    /** Prints its message to {@code out}. */
    public TerminateOnNaN(PrintStream out) {
        this(out, false);
    }

    public TerminateOnNaN(PrintStream out, boolean raiseError) {
        this.out = out;
        this.raiseError = raiseError;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        stoppedEpoch = -1;
        stoppedBatch = -1;
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        this.epoch = epoch;
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        if (stoppedEpoch >= 0 || !logs.has("loss")) {
            return;
        }
        double loss = logs.get("loss");
        if (Double.isNaN(loss) || Double.isInfinite(loss)) {
            stoppedEpoch = epoch;
            stoppedBatch = batch;
            if (raiseError) {
                throw new NumericalFaultException("epoch " + epoch + ", batch " + batch + ": NaN or Inf loss "
                        + "encountered (loss " + loss + "); terminating training immediately", epoch, batch);
            }
            out.println("Epoch " + epoch + ", batch " + batch + ": invalid loss " + loss + ", terminating training");
            out.flush();
            requireModel("TerminateOnNaN").stopTraining();
        }
    }

    /** The 0-based epoch in which training was stopped, or -1. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** The 0-based batch after which training was stopped, or -1. */
    public int stoppedBatch() {
        return stoppedBatch;
    }
}
