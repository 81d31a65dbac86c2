package dev.dendrite.backend;

/** Test helpers for the per-module discovery tests (OpenClDiscoveryTest, CudaDiscoveryTest). */
public final class BackendProbes {
    private BackendProbes() {
    }

    /** {@link Backends#probe()}'s entry for {@code name}. */
    public static Backends.Probe of(String name) {
        return Backends.probe().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    /** Whether {@code className} can be loaded here (without initialising it). */
    public static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, Thread.currentThread().getContextClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
