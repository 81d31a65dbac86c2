package dev.dendrite.backend.cuda;

import java.util.function.Supplier;

import org.junit.jupiter.api.Assumptions;

/** What the CUDA test classes share. */
final class CudaTestSupport {
    private CudaTestSupport() {
    }

    /**
     * A new CUDA backend, or {@code test} skipped with the reason where there is no usable GPU (no driver, no device),
     * printed as well: Surefire shows a class skipped in {@code @BeforeAll} as "Tests run: 0" without it.
     */
    static CudaBackend backendOrSkip(Class<?> test) {
        try {
            return new CudaBackend();
        } catch (UnsupportedOperationException e) {
            System.out.println(test.getSimpleName() + " skipped: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        }
    }

    /**
     * Whether {@code backend} runs on native/emulator's CPU emulation of the driver rather than a GPU: there the
     * device's free memory is counted exactly, and every kernel is thousands of times slower.
     */
    static boolean emulated(CudaBackend backend) {
        return backend.deviceName().startsWith("Dendrite CPU emulator");
    }

    /**
     * {@link #backendOrSkip(Class)} made with the system properties {@code keysAndValues} (key, value, ...) set: the
     * backend reads its switches ({@code dendrite.cuda.*}) when it is made.
     */
    static CudaBackend backendOrSkip(Class<?> test, String... keysAndValues) {
        return withProperties(() -> backendOrSkip(test), keysAndValues);
    }

    /**
     * What {@code body} gives with the system properties {@code keysAndValues} (key, value, ...; a null value
     * clears the key) set, each put back as it was afterwards.
     */
    static <T> T withProperties(Supplier<T> body, String... keysAndValues) {
        String[] old = new String[keysAndValues.length / 2];
        for (int i = 0; i < old.length; i++) {
            old[i] = System.getProperty(keysAndValues[2 * i]);
            set(keysAndValues[2 * i], keysAndValues[2 * i + 1]);
        }
        try {
            return body.get();
        } finally {
            for (int i = 0; i < old.length; i++) {
                set(keysAndValues[2 * i], old[i]);
            }
        }
    }

    private static void set(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
