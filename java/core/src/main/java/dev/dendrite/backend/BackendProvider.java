package dev.dendrite.backend;

/**
 * A backend that {@link Backends} finds on the class path with {@link java.util.ServiceLoader}. Each backend
 * artifact ({@code dendrite-opencl}, {@code dendrite-cuda}) registers one in
 * {@code META-INF/services/dev.dendrite.backend.BackendProvider}, so that the core artifact names no backend class
 * and a program gets a GPU backend by adding its jar. The cpu backend is part of the core and needs none.
 *
 * <p>A provider must be cheap to construct and must not touch native code before {@link #create()}: {@link
 * Backends#probe()} instantiates every provider on the class path.
 */
public interface BackendProvider {
    /** The name {@link Backends#create(String)} takes for this backend, one of {@link Backends#NAMES}. */
    String name();

    /**
     * Starts the backend on this machine's device; the caller owns (and closes) the result.
     *
     * @throws UnsupportedOperationException when the backend cannot run here (no driver, no device), saying why
     */
    Backend create();

    /**
     * Why {@link Backends#auto()} and {@link Backends#probe()} should pass this backend over without starting it, or
     * null to try it. Told without starting any device; the default tries it. A backend says so when starting it
     * would harm the process and it is known already that auto would not keep it (its only devices are the host's
     * CPU, which the cpu backend runs faster): see the opencl backend's provider.
     */
    default String passOverUnstarted() {
        return null;
    }
}
