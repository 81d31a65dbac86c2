package dev.dendrite.backend;

/**
 * A sequence of ops recorded once by {@link Backend#capture} and issued again, as recorded, by each
 * {@link #run()}. On a GPU backend this is a graph launched with one host call; elsewhere it simply re-runs
 * the code that issues the ops.
 *
 * <p>Closing releases whatever the recording holds (a CUDA graph); it does not free the buffers the ops use.
 */
public interface CapturedStep extends AutoCloseable {

    /** Issues the recorded ops, asynchronously, in order with the ops around it. */
    void run();

    /** Releases the recording. Idempotent; {@link #run()} afterwards throws {@link IllegalStateException}. */
    @Override
    void close();

    /**
     * A step that is not recorded at all: each {@link #run()} calls {@code ops} again. What every backend
     * without a graph API returns, and what a GPU backend returns when graphs are switched off.
     */
    static CapturedStep eager(Runnable ops) {
        if (ops == null) {
            throw new IllegalArgumentException("ops is null");
        }
        return new CapturedStep() {
            private boolean closed;

            @Override
            public void run() {
                if (closed) {
                    throw new IllegalStateException("the captured step is closed");
                }
                ops.run();
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }
}
