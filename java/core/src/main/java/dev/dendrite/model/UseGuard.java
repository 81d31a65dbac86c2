package dev.dendrite.model;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes a second thread's call on a model that another thread is using fail at once, before it touches
 * anything, instead of both threads interleaving ops on the same buffers (which fails deep inside with an
 * internal message, or silently corrupts the weights). Re-entrant: a callback running inside {@code fit} may
 * call back into the model on the same thread.
 */
final class UseGuard {
    /** A guarded body; may throw a checked exception of type {@code E}. */
    @FunctionalInterface
    interface Body<T, E extends Exception> {
        T run() throws E;
    }

    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private volatile String ownerCall;

    /**
     * Runs {@code body} as {@code call} (e.g. "fit") on behalf of {@code model}.
     *
     * @throws IllegalStateException if another thread is inside a guarded call of the same model
     */
    <T, E extends Exception> T run(String model, String call, Body<T, E> body) throws E {
        Thread me = Thread.currentThread();
        if (owner.get() == me) {
            return body.run();
        }
        if (!owner.compareAndSet(null, me)) {
            Thread other = owner.get();
            throw new IllegalStateException("model '" + model + "': " + call + " was called on thread '"
                    + me.getName() + "' while thread '" + (other == null ? "?" : other.getName()) + "' is in "
                    + ownerCall + "; a Sequential is not thread-safe: use it from one thread at a time (synchronise"
                    + " the calls, or give each thread its own model, e.g. Sequential.load of a saved copy). The"
                    + " model was not touched by this call");
        }
        ownerCall = call;
        try {
            return body.run();
        } finally {
            ownerCall = null;
            owner.set(null);
        }
    }
}
