package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void nothingToTuneIsAnError() {
        GemmTuner<String> tuner = new GemmTuner<>("test");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tuner.tune(false, false, 1, 2, 3, List.of(), (c, n) -> 0));
        assertEquals("no GEMM candidates to tune m=1 n=2 k=3", e.getMessage());
    }
}
