package dev.dendrite.backend;

/**
 * The reductions of the op set.
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface ReductionOps {
    /**
     * Overwrites {@code out[c] = sum over r of x[r, c]}: the bias gradient when the upstream gradient is
     * already with respect to the pre-activation.
     */
    void columnSums(Slice x, int rows, int cols, Slice out);
}
