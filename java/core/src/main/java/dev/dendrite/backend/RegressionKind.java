package dev.dendrite.backend;

/**
 * The regression losses of {@link LossOps#regressionLoss}: Keras's mean squared error, mean absolute error, Huber and
 * log-cosh losses, each a mean over a row's outputs of a term of the error {@code d = pred - target}. The codes are the
 * kernels' ({@code DENDRITE_LOSS_*} in kernels/common/losses.h).
 */
public enum RegressionKind {
    /** {@code d^2}, derivative {@code 2 d}. */
    SQUARED_ERROR(0),
    /** {@code |d|}, derivative {@code sign(d)} (0 at 0). */
    ABSOLUTE_ERROR(1),
    /** {@code 0.5 d^2} where {@code |d| <= delta}, else {@code delta |d| - 0.5 delta^2}; derivative {@code d}, or
     * {@code delta sign(d)}. */
    HUBER(2),
    /** {@code log(cosh d)}, derivative {@code tanh d}. */
    LOG_COSH(3);

    private final int code;

    RegressionKind(int code) {
        this.code = code;
    }

    /** The kernels' code of this kind. */
    public int code() {
        return code;
    }
}
