package dev.dendrite.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.callbacks.ProgressBar;

/**
 * The arguments {@link EvaluateOptions} and {@link PredictOptions} share, as Keras's {@code evaluate} and
 * {@code predict} share them: {@code batch_size}, {@code steps}, {@code verbose} and {@code callbacks}.
 *
 * @param <T> the options class itself, so that the setters chain
 */
public abstract class InferenceOptions<T extends InferenceOptions<T>> {
    /** {@link #steps} when not given: every batch. */
    static final int ALL = SourceFit.ALL;

    private int batchSize = Sequential.DEFAULT_INFERENCE_BATCH;
    private boolean batchSizeGiven;
    private int steps = ALL;
    private int verbose;
    private final List<Callback> callbacks = new ArrayList<>();

    InferenceOptions() {
    }

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    /**
     * Samples per batch for arrays (default 256, which Keras's 32 would make slower and no different: a batch's
     * size changes no value in inference mode). A {@code DataSource} gives its own batches, so a batch size given
     * beside one is refused.
     */
    public T batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize + "; expected >= 1");
        }
        this.batchSize = batchSize;
        this.batchSizeGiven = true;
        return self();
    }

    /**
     * The batches to read, Keras's {@code steps}: the first {@code steps} batches of arrays or of a source (which
     * may then be endless); not given, every batch.
     */
    public T steps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps " + steps + "; expected the number of batches to read, >= 1");
        }
        this.steps = steps;
        return self();
    }

    /**
     * 0 = silent (the default, as {@code evaluate} and {@code predict} without options are; Keras's {@code "auto"}
     * prints a bar), 1 = a progress bar ended by a line with the time per step and, for {@code evaluate}, the
     * loss and metrics, as Keras prints it; 2 = only that line.
     */
    public T verbose(int verbose) {
        if (verbose < 0 || verbose > 2) {
            throw new IllegalArgumentException("verbose " + verbose + "; expected 0, 1 or 2");
        }
        this.verbose = verbose;
        return self();
    }

    /** Adds callbacks, called in the order given; each gets the model through {@code setModel}. */
    public T callbacks(Callback... callbacks) {
        for (Callback c : callbacks) {
            this.callbacks.add(Objects.requireNonNull(c, "callback"));
        }
        return self();
    }

    public int batchSize() {
        return batchSize;
    }

    /** The batches to read, or -1 for every batch. */
    public int steps() {
        return steps;
    }

    public int verbose() {
        return verbose;
    }

    public List<Callback> callbacks() {
        return Collections.unmodifiableList(callbacks);
    }

    /** Refuses a batch size given for a data source, whose batches are its own. */
    void requireNoBatchSize(String call) {
        if (batchSizeGiven) {
            throw new IllegalArgumentException(call + " reads the data source's own batches; batchSize " + batchSize
                    + " applies to arrays only (give the source batches of that size instead)");
        }
    }

    /** The callbacks to call for {@code model}: the given, then, when verbose, a progress bar of {@code steps}. */
    CallbackList callbackList(Sequential model, int steps) {
        return CallbackList.withProgressBar(callbacks, verbose == 0 ? null
                : ProgressBar.forConsole(verbose, 1, Math.max(1, steps)), model).setParams(verbose, 1, steps);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{batchSize=" + batchSize + ", steps=" + steps + ", verbose=" + verbose
                + ", callbacks=" + callbacks + "}";
    }
}
