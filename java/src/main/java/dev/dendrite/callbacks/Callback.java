package dev.dendrite.callbacks;

import dev.dendrite.model.Sequential;

/**
 * Hooks into {@link Sequential#fit}, as in Keras. Override what you need; every method does nothing by
 * default. Epoch and batch numbers start at 0. A callback stops training with
 * {@code model().stopTraining()}: the current epoch finishes its batch, then {@code fit} returns.
 *
 * <p>Batch logs hold the running means of the epoch so far; they are read from the device only if a
 * callback actually reads them.
 */
public abstract class Callback {
    private Sequential model;

    /** Called by {@code fit} before training starts. */
    public void setModel(Sequential model) {
        this.model = model;
    }

    /** The model being trained. */
    protected Sequential model() {
        return model;
    }

    public void onTrainBegin(Logs logs) {
    }

    public void onTrainEnd(Logs logs) {
    }

    public void onEpochBegin(int epoch, Logs logs) {
    }

    /** {@code logs} holds the epoch's training metrics and, with validation, the {@code val_} ones. */
    public void onEpochEnd(int epoch, Logs logs) {
    }

    public void onTrainBatchBegin(int batch, Logs logs) {
    }

    public void onTrainBatchEnd(int batch, Logs logs) {
    }
}
