package dev.dendrite.backend;

/**
 * The dropout family of a backend: both passes of {@link Backend#dropoutForward} and
 * {@link Backend#dropoutBackward}, which are one function of the same coordinates, called by
 * {@link AbstractBackend} once their checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface DropoutOps {
    /** {@code out = keep(i) ? in / (1 - rate) : 0}; {@code op} names the pass, for error messages. */
    void dropout(String op, Slice in, Slice out, int n, float rate, long seed, int stream, Slice counters);
}
