package dev.dendrite.model;

/**
 * The arguments of {@link Sequential#evaluate(dev.dendrite.data.Inputs, int[], EvaluateOptions)}, Keras's
 * {@code evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks)}:
 * <pre>
 * model.evaluate(xTest, yTest, new EvaluateOptions().verbose(1).callbacks(myCallback));
 * </pre>
 * The callbacks' {@code onTest...} hooks run around the evaluation ({@link dev.dendrite.callbacks.Callback}).
 */
public final class EvaluateOptions extends InferenceOptions<EvaluateOptions> {
    private float[] sampleWeight;

    /**
     * A weight per sample of arrays, Keras's {@code sample_weight}: the loss is the weighted sum over the samples
     * divided by their number; the accuracy and the other metrics are not weighted. A data source's batches carry
     * their own.
     *
     * @throws IllegalArgumentException naming the first weight that is negative, NaN or infinite
     */
    public EvaluateOptions sampleWeight(float[] sampleWeight) {
        this.sampleWeight = FitOptions.checkedWeights("sampleWeight", sampleWeight);
        return this;
    }

    /** The weights given, or null. */
    public float[] sampleWeight() {
        return sampleWeight == null ? null : sampleWeight.clone();
    }
}
