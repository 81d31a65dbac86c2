package dev.dendrite.backend.cuda;

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

    /** Puts a system property back as it was before a test changed it: {@code value} null clears it. */
    static void restoreProperty(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
