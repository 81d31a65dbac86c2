package dev.dendrite.callbacks;

import dev.dendrite.model.Sequential;

/**
 * Hooks into {@link Sequential#fit}, as in Keras. Override what you need; every method does nothing by
 * default. Epoch and batch numbers start at 0. {@link #model()} is the model being trained, Keras's
 * {@code self.model}; a callback stops training with {@code model().stopTraining()}: the current epoch finishes
 * its batch, then {@code fit} returns. {@code fit} calls the callbacks in the order given, through a
 * {@link CallbackList}.
 *
 * <p>Batch logs hold the running means of the epoch so far; they are read from the device only if a
 * callback actually reads them.
 */
public abstract class Callback {
    private TrainingModel model;

    /** Called by {@code fit} before training starts; a test may hand a stand-in model. */
    public void setModel(TrainingModel model) {
        this.model = model;
    }

    /** The model being trained (a {@link Sequential} in {@code fit}), or null before {@link #setModel}. */
    protected TrainingModel model() {
        return model;
    }

    /**
     * The model being trained, for callbacks that act on it.
     *
     * @throws IllegalStateException naming {@code callbackName} when no model was set, i.e. the callback is
     *         used outside {@code fit}
     */
    protected final TrainingModel requireModel(String callbackName) {
        if (model == null) {
            throw new IllegalStateException(callbackName + " has no model: pass it to FitOptions.callbacks(...) "
                    + "so that fit sets the model before calling it");
        }
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
