package dev.dendrite.callbacks;

import java.util.Map;

import dev.dendrite.model.Sequential;

/**
 * Hooks into {@link Sequential#fit}, {@code evaluate} and {@code predict}, as in Keras. Override what you need;
 * every method does nothing by default. Epoch and batch numbers start at 0. {@link #model()} is the model being
 * trained, Keras's {@code self.model}; a callback stops training with {@code model().stopTraining()}: the current
 * epoch finishes its batch, then {@code fit} returns. The calls take the callbacks in the order given, through a
 * {@link CallbackList}.
 *
 * <p>Batch logs hold the running means of the epoch (or the evaluation) so far; they are read from the device
 * only if a callback actually reads them.
 *
 * <p>The {@code onTest...} hooks run around each evaluation: {@code fit}'s validation pass after an epoch's
 * training batches (before {@code onEpochEnd}, whose logs then hold the {@code val_} metrics) and
 * {@code evaluate} given callbacks ({@code EvaluateOptions.callbacks}); their logs name the metrics without the
 * {@code val_} prefix, as Keras's do. The {@code onPredict...} hooks run around {@code predict} given callbacks
 * ({@code PredictOptions.callbacks}); their logs are empty (Keras's {@code on_predict_batch_end} gets the batch's
 * outputs, which a {@link Logs} of numbers cannot hold).
 */
public abstract class Callback {
    private TrainingModel model;
    private Map<String, Object> params = Map.of();

    /** Called by {@code fit} before training starts; a test may hand a stand-in model. */
    public void setModel(TrainingModel model) {
        this.model = model;
    }

    /**
     * Called with Keras's {@code params} before the first hook: {@code verbose}, {@code epochs} and {@code steps}
     * (batches per epoch) of the {@code fit}, or of the {@code evaluate} or {@code predict} (1 epoch of its batches);
     * inside {@code fit} the validation pass's hooks see the fit's.
     */
    public void setParams(Map<String, Object> params) {
        this.params = Map.copyOf(params);
    }

    /** Keras's {@code self.params} (see {@link #setParams}); empty before it is set. */
    protected Map<String, Object> params() {
        return params;
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

    /** {@code logs} holds the last epoch's logs, as Keras 3's do (empty when no epoch ran). */
    public void onTrainEnd(Logs logs) {
    }

    public void onEpochBegin(int epoch, Logs logs) {
    }

    /** {@code logs} holds the epoch's training metrics and, with validation, the {@code val_} ones. */
    public void onEpochEnd(int epoch, Logs logs) {
    }

    /** Calls {@link #onBatchBegin}, as Keras's {@code on_train_batch_begin} calls its older name. */
    public void onTrainBatchBegin(int batch, Logs logs) {
        onBatchBegin(batch, logs);
    }

    /** Calls {@link #onBatchEnd}, as Keras's {@code on_train_batch_end} calls its older name. */
    public void onTrainBatchEnd(int batch, Logs logs) {
        onBatchEnd(batch, logs);
    }

    /**
     * Keras's older name for a training batch's begin ({@code on_batch_begin}), called by {@link #onTrainBatchBegin}
     * unless that is overridden: not around evaluation or prediction batches, as in Keras 3.
     */
    public void onBatchBegin(int batch, Logs logs) {
    }

    /** Keras's older name for a training batch's end ({@code on_batch_end}); see {@link #onBatchBegin}. */
    public void onBatchEnd(int batch, Logs logs) {
    }

    /** Before an evaluation's first batch: {@code fit}'s validation pass, or {@code evaluate}. */
    public void onTestBegin(Logs logs) {
    }

    /** {@code logs} holds the evaluation's loss and metrics, without the {@code val_} prefix. */
    public void onTestEnd(Logs logs) {
    }

    public void onTestBatchBegin(int batch, Logs logs) {
    }

    /** {@code logs} holds the running means of the evaluation's batches so far. */
    public void onTestBatchEnd(int batch, Logs logs) {
    }

    public void onPredictBegin(Logs logs) {
    }

    public void onPredictEnd(Logs logs) {
    }

    public void onPredictBatchBegin(int batch, Logs logs) {
    }

    public void onPredictBatchEnd(int batch, Logs logs) {
    }
}
