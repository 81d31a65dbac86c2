package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendProvider;

/**
 * Registers the cuda backend with {@link dev.dendrite.backend.Backends} (through {@code META-INF/services}), so that
 * {@code Backends.create("cuda")} and {@code Backends.auto()} find it wherever this artifact is on the class path.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Backend create() {
        return new CudaBackend();
    }
}
