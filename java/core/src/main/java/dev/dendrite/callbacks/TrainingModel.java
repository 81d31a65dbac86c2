package dev.dendrite.callbacks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import dev.dendrite.model.Sequential;

/**
 * The model as a callback sees it, Keras's {@code self.model}: what a callback may do to the model being trained.
 * {@link Sequential} implements it, and {@code fit} hands the model to {@link Callback#setModel} before training
 * starts. Kept this small so that a callback can be driven by a stand-in model (e.g. in its tests) without a
 * backend; a callback that needs more of the model casts {@code model()} to {@link Sequential}.
 */
public interface TrainingModel {
    /** Asks a running {@code fit} to stop when the current epoch ends. */
    void stopTraining();

    /**
     * Asks a running evaluation (an {@code evaluate}, or {@code fit}'s validation pass) to end after its current
     * batch, with the loss and metrics of the batches done: Keras's {@code model.stop_evaluating = True}, from an
     * {@code onTestBatch...} hook. The next evaluation starts afresh.
     *
     * @throws UnsupportedOperationException for a stand-in model that cannot
     */
    default void stopEvaluating() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot stop an evaluation");
    }

    /**
     * Asks a running {@code predict} to end after its current batch, returning the outputs of the batches done:
     * Keras's {@code model.stop_predicting = True}, from an {@code onPredictBatch...} hook.
     *
     * @throws UnsupportedOperationException for a stand-in model that cannot
     */
    default void stopPredicting() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot stop a prediction");
    }

    /** The optimizer's current learning rate. */
    double learningRate();

    /** Changes the learning rate from the next step on. */
    void setLearningRate(double lr);

    /** Copies of every weight, by layer in Keras's order. */
    List<float[]> getWeights();

    /** Replaces every weight; the list must match {@link #getWeights()} in count and sizes. */
    void setWeights(List<float[]> weights);

    /** Saves the architecture, the compile configuration and every weight to one file, atomically. */
    void save(Path file) throws IOException;

    /** Saves only the weights, atomically. */
    void saveWeights(Path file) throws IOException;
}
