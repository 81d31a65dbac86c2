package dev.dendrite.backend;

/**
 * The regularizer family of the op set: the penalties on weights, and Keras's constraints on them (applied after
 * each update, {@code dev.dendrite.constraints}).
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface RegularizerOps {
    /** Adds {@code l1 * sign(w) + 2 * l2 * w} to {@code grad} for the first {@code n} elements. */
    void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2);

    /** Adds {@code scale * (l1 * sum |w| + l2 * sum w^2)} to {@code stats[STAT_LOSS]}. */
    void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats);

    /**
     * Keras's norm constraints (MaxNorm, MinMaxNorm, UnitNorm) on a {@code rows x cols} row-major weight, in place:
     * for each column ({@code axis} 0: the norm over the rows, Keras's default, a Dense unit's incoming weights) or
     * each row ({@code axis} 1), with {@code norm} its L2 norm, every element is multiplied by
     * {@code (rate * clip(norm, minValue, maxValue) + (1 - rate) * norm) / (1e-7 + norm)}, in float as Keras computes
     * it. A vector is {@code rows x 1} with axis 0: one norm over all of it.
     */
    void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue, float rate);

    /** Keras's NonNeg constraint, in place: {@code w = max(w, 0)} for the first {@code n} elements. */
    void nonNegConstraint(Slice w, int n);
}
