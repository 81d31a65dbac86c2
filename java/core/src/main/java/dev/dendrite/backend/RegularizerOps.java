package dev.dendrite.backend;

/**
 * The regularizer family of the op set.
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
}
