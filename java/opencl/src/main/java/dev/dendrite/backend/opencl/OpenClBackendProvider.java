package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendProvider;

/**
 * Registers the opencl backend with {@link dev.dendrite.backend.Backends} (through {@code META-INF/services}), so that
 * {@code Backends.create("opencl")} and {@code Backends.auto()} find it wherever this artifact is on the class path.
 */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Backend create() {
        return new OpenClBackend();
    }
}
