package dev.dendrite.backend.cpu;

/**
 * Loads the CPU backend's {@code jdk.incubator.vector} loops ({@code CpuGemmVector}, {@code CpuDropoutVector},
 * {@code CpuAffineVector}, {@code CpuOptimizerLoopsVector}, {@code CpuActivationsVector}). Each is a class of its own
 * that only this method names, by reflection, and only when the module is in the boot layer, so that a JVM started
 * without {@code --add-modules jdk.incubator.vector} never links against it and runs the plain-Java loop instead.
 * A system property set to {@code true} forces the plain loop (to compare, or to sidestep a JIT problem), and any
 * failure to initialise the vector loop falls back to it too: slower, never wrong, since every vector loop gives the
 * plain loop's bits (each has a test that says so), but for the activations through the JDK's exp and log
 * intrinsics, within 1 float ulp of them (CpuActivationsVector says why).
 */
final class CpuVectorKernels {
    private CpuVectorKernels() {
    }

    /**
     * A new instance of this package's class {@code simpleName} as a {@code type}, or null when the module is
     * missing, {@code System.getProperty(plainProperty)} is {@code true}, or the class cannot be made.
     */
    static <T> T load(Class<T> type, String simpleName, String plainProperty) {
        if (Boolean.getBoolean(plainProperty) || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            Class<?> c = Class.forName(CpuVectorKernels.class.getPackageName() + "." + simpleName);
            Object kernel = c.getDeclaredConstructor().newInstance();
            return type.isInstance(kernel) ? type.cast(kernel) : null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null;
        }
    }
}
