package dev.dendrite.backend;

/**
 * The activation family of the op set: bias + activation and its backward pass, and the activation and
 * preprocessing layers' own ops (ReLU, PReLU, the feature-wise affine map).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface ActivationOps {
    /**
     * Forward pass of bias + activation. If {@code bias} is non-null, first adds {@code bias[c]} to every row of
     * {@code z} in place (so that {@code z} holds the pre-activation the backward pass needs); then overwrites
     * {@code y = f(z)}. {@code y} may alias {@code z} only for {@link ActivationFunction#LINEAR}.
     */
    void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                               ActivationFunction f, float alpha, Slice y);

    /**
     * Backward pass of an activation: overwrites {@code dz = dy * f'(z)} (for softmax, the row-wise
     * Jacobian-vector product {@code y * (dy - sum(dy * y))}), given the forward's {@code z} and {@code y}.
     * {@code dz} may alias {@code dy}. If {@code dbias} is non-null it is overwritten with the column sums of
     * {@code dz}, fused into the same pass.
     */
    void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                            ActivationFunction f, float alpha, Slice dz, Slice dbias);

    /**
     * Keras's {@code ReLU} layer over {@code n} values: {@code x} above {@code threshold} (clipped to
     * {@code [0, maxValue]} when {@code maxValue} is finite), {@code negativeSlope * (x - threshold)} below it.
     * {@code maxValue} is {@code +Infinity} for none. {@code y} may alias {@code x} exactly.
     */
    void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y);

    /** Overwrites {@code dx = dy * relu'(x)} for {@link #reluForward}'s arguments; {@code dx} may alias {@code dy}. */
    void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold, Slice dx);

    /** PReLU: {@code y[r, c] = x > 0 ? x : alpha[c] * x}. {@code y} may alias {@code x} exactly. */
    void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y);

    /**
     * PReLU backward: overwrites {@code dalpha[c] = sum over r of dy * min(x, 0)} and, when {@code dx} is non-null
     * (it may alias {@code dy}), {@code dx = dy * (x > 0 ? 1 : x < 0 ? alpha[c] : 0)}.
     */
    void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha);

    /**
     * The Rescaling / Normalization map {@code y[r, c] = (x - mean[f]) / max(sqrt(variance[f]), 1e-7) * scale
     * + offset} with {@code f = c % period}; a null {@code mean} counts as 0 and a null {@code variance} as 1, so
     * that both null give {@code x * scale + offset}. {@code period} divides {@code cols}; {@code y} may alias
     * {@code x} exactly.
     */
    void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                       float offset, Slice y);
}
