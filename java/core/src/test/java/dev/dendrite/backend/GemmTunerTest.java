package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The measuring procedure, with a fake device whose calls take known times. */
class GemmTunerTest {

    /** Candidate name -> seconds per call; records how many calls each was asked for. */
    private static final class FakeDevice implements GemmTuner.Timer<String> {
        final Map<String, Double> perCall;
        final Map<String, Integer> calls = new HashMap<>();
        final List<String> order = new ArrayList<>();

        FakeDevice(Map<String, Double> perCall) {
            this.perCall = perCall;
        }

        @Override
        public double seconds(String candidate, int n) {
            calls.merge(candidate, n, Integer::sum);
            order.add(candidate);
            return perCall.get(candidate) * n;
        }
    }

    @Test
    void picksTheFastestAndRemembersItPerShape() {
        GemmTuner<String> tuner = new GemmTuner<>("test");
        FakeDevice device = new FakeDevice(Map.of("cublas", 7e-6, "small", 4e-6, "tile64", 9e-6));
        assertNull(tuner.choice(false, false, 128, 512, 784));
        assertEquals("small", tuner.tune(false, false, 128, 512, 784, List.of("cublas", "small", "tile64"), device));
        assertEquals("small", tuner.choice(false, false, 128, 512, 784));
        assertNull(tuner.choice(true, false, 128, 512, 784), "another transposition is another shape");
        // Per candidate: a warm-up call, a timed call, then 3 batches sized to about 0.5 ms of calls (at most 32).
        assertEquals(2 + 3 * 32, device.calls.get("small"));
        assertEquals(2 + 3 * 32, device.calls.get("cublas"));
    }

    @Test
    void tiesGoToTheEarlierCandidateAndSlowOnesAreTimedOnce() {
        GemmTuner<String> tuner = new GemmTuner<>("test");
        FakeDevice device = new FakeDevice(Map.of("a", 3e-3, "b", 3e-3));
        assertEquals("a", tuner.tune(false, true, 2000, 2000, 2000, List.of("a", "b"), device));
        assertEquals(2, device.calls.get("a"), "a call over 2 ms is not batched");
        assertEquals(List.of("a", "a", "b", "b"), device.order);
        tuner.remember(false, true, 2000, 2000, 2000, "b");
        assertEquals("b", tuner.choice(false, true, 2000, 2000, 2000));
    }

    /** Verbose lines read back: this backend's shapes take their recorded choice, others' lines are skipped. */
    @Test
    void recordedChoicesAreTakenWithoutTiming(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path file = dir.resolve("choices.txt");
        java.nio.file.Files.write(file, List.of(
                "mlp512 on cuda: some other line -> not a choice",
                "dendrite gemm (test): A*B m=128 n=512 k=784: cublas 9.4 us, cublas/4 8.3 us -> cublas/4",
                "dendrite gemm (test): A^T*B^T m=512 n=10 k=128: small 4.1 us -> small",
                "dendrite gemm (other): A*B m=128 n=512 k=784: x 1.0 us -> x"));
        GemmTuner<String> tuner = new GemmTuner<>("test");
        assertEquals(2, tuner.load(file, name -> name));
        assertEquals("cublas/4", tuner.choice(false, false, 128, 512, 784));
        assertEquals("small", tuner.choice(true, true, 512, 10, 128));
        assertNull(tuner.choice(false, false, 512, 10, 128));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> tuner.load(file, name -> {
            throw new IllegalArgumentException("unknown " + name);
        }));
        assertTrue(bad.getMessage().contains("line 2") && bad.getMessage().contains("cublas/4"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tuner.load(dir.resolve("missing.txt"), name -> name));
    }

    @Test
    void nothingToTuneIsAnError() {
        GemmTuner<String> tuner = new GemmTuner<>("test");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tuner.tune(false, false, 1, 2, 3, List.of(), (c, n) -> 0));
        assertEquals("no GEMM candidates to tune m=1 n=2 k=3", e.getMessage());
    }
}
