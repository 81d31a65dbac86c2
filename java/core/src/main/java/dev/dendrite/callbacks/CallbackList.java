package dev.dendrite.callbacks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The callbacks of one {@code fit}, called as one, in the order given: the training loop calls one method per
 * event here instead of looping over its callbacks at each event (Keras's {@code CallbackList}). The logs of
 * an epoch's or a batch's end are one object shared by every callback, so a callback may add a metric that the
 * later ones (and the {@code History}) see; the events that carry no metrics give each callback fresh, empty
 * logs.
 */
public final class CallbackList {
    private final List<Callback> callbacks;

    /** The callbacks, in the order they are called; {@code model} is handed to each. */
    public CallbackList(List<? extends Callback> callbacks, TrainingModel model) {
        this.callbacks = List.copyOf(callbacks);
        each(c -> c.setModel(model));
    }

    /**
     * The callbacks of a {@code fit}, {@code evaluate} or {@code predict}: {@code given}, then {@code bar} (null: none)
     * unless {@code given} holds a progress bar already. Last, as Keras's {@code CallbackList} appends its
     * {@code ProgbarLogger}: what the callbacks print comes first, and a metric a callback adds to an epoch's logs
     * is printed on the bar's line.
     */
    public static CallbackList withProgressBar(List<? extends Callback> given, ProgressBar bar, TrainingModel model) {
        List<Callback> all = new ArrayList<>(given);
        if (bar != null && all.stream().noneMatch(c -> c instanceof ProgressBar)) {
            all.add(bar);
        }
        return new CallbackList(all, model);
    }

    /** Hands Keras's {@code params} ({@link #params(int, int, int)}) to every callback. */
    public CallbackList setParams(int verbose, int epochs, int steps) {
        Map<String, Object> params = params(verbose, epochs, steps);
        each(c -> c.setParams(params));
        return this;
    }

    /** Keras's {@code params} of a fit, evaluate or predict: {@code verbose}, {@code epochs} and {@code steps}. */
    public static Map<String, Object> params(int verbose, int epochs, int steps) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("verbose", verbose);
        params.put("epochs", epochs);
        params.put("steps", steps);
        return params;
    }

    /** The callbacks, in the order they are called. */
    public List<Callback> callbacks() {
        return callbacks;
    }

    public void onTrainBegin() {
        each(c -> c.onTrainBegin(Logs.empty()));
    }

    /** {@code logs}: the last epoch's (Keras 3 hands them to {@code on_train_end}). */
    public void onTrainEnd(Logs logs) {
        each(c -> c.onTrainEnd(logs));
    }

    public void onEpochBegin(int epoch) {
        each(c -> c.onEpochBegin(epoch, Logs.empty()));
    }

    public void onEpochEnd(int epoch, Logs logs) {
        each(c -> c.onEpochEnd(epoch, logs));
    }

    public void onTrainBatchBegin(int batch) {
        each(c -> c.onTrainBatchBegin(batch, Logs.empty()));
    }

    public void onTrainBatchEnd(int batch, Logs logs) {
        each(c -> c.onTrainBatchEnd(batch, logs));
    }

    public void onTestBegin() {
        each(c -> c.onTestBegin(Logs.empty()));
    }

    public void onTestEnd(Logs logs) {
        each(c -> c.onTestEnd(logs));
    }

    public void onTestBatchBegin(int batch) {
        each(c -> c.onTestBatchBegin(batch, Logs.empty()));
    }

    public void onTestBatchEnd(int batch, Logs logs) {
        each(c -> c.onTestBatchEnd(batch, logs));
    }

    public void onPredictBegin() {
        each(c -> c.onPredictBegin(Logs.empty()));
    }

    public void onPredictEnd() {
        each(c -> c.onPredictEnd(Logs.empty()));
    }

    public void onPredictBatchBegin(int batch) {
        each(c -> c.onPredictBatchBegin(batch, Logs.empty()));
    }

    public void onPredictBatchEnd(int batch) {
        each(c -> c.onPredictBatchEnd(batch, Logs.empty()));
    }

    /**
     * After a {@code fit} that failed (it calls no {@code onTrainEnd}, as Keras's does not): closes the callbacks
     * that hold files ({@link AutoCloseable} ones, such as {@link CSVLogger} and {@link TensorBoard}), so that none
     * stays open; a failure to close is added to {@code failure} as suppressed.
     */
    public void closeAfterFailure(Throwable failure) {
        for (Callback c : callbacks) {
            if (c instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    private void each(Consumer<Callback> event) {
        for (Callback c : callbacks) {
            event.accept(c);
        }
    }
}
