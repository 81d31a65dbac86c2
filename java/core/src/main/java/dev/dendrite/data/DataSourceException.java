package dev.dendrite.data;

/**
 * A {@link DataSource} failed to give a batch: it threw, returned nothing, or returned a batch that does not fit
 * the ones before it. Names the batch index (as passed to {@link DataSource#batch}) so that the faulty sample can
 * be found; the source's own exception, if any, is the cause.
 */
public final class DataSourceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int batchIndex;

    /** A failure of the {@code role} source (e.g. "training") at {@code batchIndex}. */
    public DataSourceException(String role, int batchIndex, String problem, Throwable cause) {
        super("the " + role + " data source failed at batch " + batchIndex + ": " + problem, cause);
        this.batchIndex = batchIndex;
    }

    /** The index of the batch that failed, as passed to {@link DataSource#batch}. */
    public int batchIndex() {
        return batchIndex;
    }
}
