package dev.dendrite.model;

import java.io.PrintStream;
import java.util.Map;

import dev.dendrite.callbacks.Logs;

/**
 * Watches the running training loss of one {@code fit} for NaN and infinities. The loss is summed on the
 * device and only read when something asks for it (a progress refresh, the end of an epoch), so that the
 * recorded training step never waits for the host; this sees every such read, and after each batch stops
 * training (or warns once) if a read found the loss non-finite. On the cpu backend a read is an array copy, so
 * there the loss is read after every batch and the first bad batch is named exactly; on device backends the
 * message names the batch of the read and the last batch seen finite.
 */
final class LossWatch {
    private final boolean stop;
    private final boolean everyBatch;
    private final int epochs;
    private final int steps;
    private final PrintStream warnings;
    private final String hint;

    /** The last batch (0-based) of the current epoch whose read loss was finite; -1 if none yet. */
    private int lastFinite = -1;
    private int lastFiniteEpoch = -1;
    private String fault;
    private int faultEpoch;
    private int faultBatch;
    private boolean warned;

    LossWatch(boolean stop, boolean everyBatch, int epochs, int steps, PrintStream warnings, String hint) {
        this.stop = stop;
        this.everyBatch = everyBatch;
        this.epochs = epochs;
        this.steps = steps;
        this.warnings = warnings;
        this.hint = hint;
    }

    /** Records a read of the running logs after {@code batch} of {@code epoch}; returns them unchanged. */
    Map<String, Double> seen(int epoch, int batch, Map<String, Double> logs) {
        Double loss = logs.get("loss");
        if (fault != null || loss == null) {
            return logs;
        }
        if (Double.isFinite(loss)) {
            lastFinite = batch;
            lastFiniteEpoch = epoch;
            return logs;
        }
        boolean exact = everyBatch || (batch == 0 ? true : lastFiniteEpoch == epoch && lastFinite == batch - 1);
        String first = exact ? "" : " (the loss is read from the device only at progress refreshes and epoch ends;"
                + (lastFiniteEpoch == epoch ? " it was last seen finite after batch " + (lastFinite + 1)
                : " it was not read earlier in this epoch") + ")";
        fault = "the training loss became " + loss + first + "; the learning rate may be too high, or the inputs"
                + " unscaled. " + hint;
        faultEpoch = epoch;
        faultBatch = batch;
        return logs;
    }

    /** Called after each batch's callbacks: reads the loss if reads are free, then acts on a fault. */
    void afterBatch(Logs batchLogs) {
        if (everyBatch && fault == null) {
            batchLogs.get("loss", 0);
        }
        act();
    }

    /**
     * Stops training with a {@link NumericalFaultException} if a read found the loss non-finite, or prints a
     * warning the first time when the user chose to go on.
     */
    void act() {
        if (fault == null) {
            return;
        }
        NumericalFaultException e = new NumericalFaultException(fault, faultEpoch, faultBatch)
                .at(faultEpoch, epochs, faultBatch, steps);
        if (stop) {
            throw e;
        }
        if (!warned) {
            warned = true;
            warnings.println("Warning: " + e.getMessage());
        }
    }
}
