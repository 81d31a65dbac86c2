package dev.dendrite.model;

/**
 * The arguments of {@link Sequential#predict(dev.dendrite.data.Inputs, PredictOptions)}, Keras's
 * {@code predict(x, batch_size, verbose, steps, callbacks)}:
 * <pre>
 * Tensor probabilities = model.predict(xTest, new PredictOptions().batchSize(1024).verbose(1));
 * </pre>
 * The callbacks' {@code onPredict...} hooks run around the prediction ({@link dev.dendrite.callbacks.Callback}).
 */
public final class PredictOptions extends InferenceOptions<PredictOptions> {
}
