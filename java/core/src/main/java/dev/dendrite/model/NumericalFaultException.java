package dev.dendrite.model;

/**
 * Training met a NaN or an infinity: the loss became non-finite (see {@link FitOptions#terminateOnNaN}), or, with
 * {@link FitOptions#checkNumerics}, an op's output did. The message names the epoch and batch (1-based, as the
 * progress bar counts them) and, when known, the op. The model keeps the weights of the failing step, which are
 * usually non-finite themselves: {@code Sequential.save} refuses to write such a model over an existing file.
 */
public final class NumericalFaultException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int batch;

    /** A fault described by {@code message}, seen at {@code epoch} and {@code batch} (0-based, -1 if unknown). */
    public NumericalFaultException(String message, int epoch, int batch) {
        super(message);
        this.epoch = epoch;
        this.batch = batch;
    }

    /** The epoch (0-based, as callbacks number them) in which the fault was seen, or -1 if unknown. */
    public int epoch() {
        return epoch;
    }

    /** The batch within the epoch (0-based) at which the fault was seen, or -1 if unknown. */
    public int batch() {
        return batch;
    }

    /** This fault, placed at {@code epoch} (of {@code epochs}) and {@code batch} (of {@code steps}), 0-based. */
    NumericalFaultException at(int epoch, int epochs, int batch, int steps) {
        NumericalFaultException e = new NumericalFaultException("epoch " + (epoch + 1) + "/" + epochs + ", batch "
                + (batch + 1) + "/" + steps + ": " + getMessage(), epoch, batch);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
