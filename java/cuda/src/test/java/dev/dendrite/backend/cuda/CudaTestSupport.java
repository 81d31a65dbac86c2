package dev.dendrite.backend.cuda;

import java.util.List;
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

    /** Whether the path that {@code property} switches is on: unless set to {@code false}, as the engine reads it. */
    static boolean on(String property) {
        return !"false".equals(System.getProperty(property));
    }

    /**
     * The switches of paths that add, remove or move nodes of a training step's graph. bench/gpu/run-on-gpu.sh's
     * RETRY_SWITCHES sets them (with others that leave the graph's shape alone) when a CUDA test class fails on a GPU,
     * to find the path at fault. CudaRetrySwitchesTest keeps the two lists in step.
     */
    static final List<String> STEP_SWITCHES = List.of("dendrite.fuseCounters", "dendrite.fuseInputGradient",
            "dendrite.fuseActivationBackward", "dendrite.fuseDenseBatchNorm", "dendrite.fuseLayers",
            "dendrite.updates.byLayer", "dendrite.updates.carry", "dendrite.prefetchBatches", "dendrite.cuda.fuse",
            "dendrite.cuda.rows", "dendrite.cuda.ltEpilogue", "dendrite.cuda.lt", "dendrite.cuda.branches");

    /**
     * Skips, saying why, a test that counts the nodes of the default training step's graph ({@code what}) where one of
     * {@link #STEP_SWITCHES} is set: each changes those counts on purpose. Whether such a step still trains to the bits
     * of its ops issued one by one is CudaStepCaptureTest.graphReplayTrainsExactlyLikeIssuingEachOp's to check, and it
     * runs with every switch.
     */
    static void assumeDefaultStep(String what) {
        for (String key : STEP_SWITCHES) {
            String value = System.getProperty(key);
            Assumptions.assumeTrue(value == null, () -> what + " is a count of the default step's nodes, which -D" + key
                    + "=" + value + " changes");
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
