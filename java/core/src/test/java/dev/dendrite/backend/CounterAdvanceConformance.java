package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


/**
 * Backend.updateThenAdvanceCounters on a GPU backend: Adam's and SGD's kernels advance the step counters at their end
 * (the last block or work-group to finish, kernels/common/counters.h), so a training step needs no advance_counters
 * launch. Against the same update followed by the counters' own kernel, on twin buffers: the parameters and slots
 * must be the same bits (the rule is unchanged), the rule's kernel must have taken the counters (RMSprop's does not:
 * the separate kernel), and the counters advance exactly once per call, also over grids of many blocks, call after
 * call (the ticket must be back at 0 each time), and per replay of a recorded step. A subclass per backend.
 */
public abstract class CounterAdvanceConformance {
    private Backend backend;

    /** A new backend of the kind under test (skipping the test, with the reason, where there is none). */
    protected abstract Backend createBackend();

    /** How many updates so far advanced the counters in their own rule kernel on {@code backend}. */
    protected abstract long fusedUpdates(Backend backend);

    /**
     * Whether the backend's Adam and SGD kernels advance the counters themselves, as they do unless a switch turns
     * that off (the device runner's reruns set the switches; the counters must then advance as often, by their own
     * kernel).
     */
    protected boolean advancesInItsRuleKernels() {
        return true;
    }

    @BeforeEach
    void open() {
        backend = createBackend();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    /** Parameters, gradients and two slots of n elements, the counters and the learning rate, on the device. */
    private final class State implements AutoCloseable {
        final int n;
        final Buffer params;
        final Buffer grads;
        final Buffer m;
        final Buffer v;
        final Buffer counters;
        final Buffer hyper;

        State(int n, long seed) {
            this.n = n;
            Random r = new Random(seed);
            params = filled(n, r);
            grads = filled(n, r);
            m = filled(n, r);
            v = backend.allocate(DType.F32, n);
            float[] squares = new float[n];
            for (int i = 0; i < n; i++) {
                squares[i] = r.nextFloat() * 0.01f;
            }
            backend.upload(squares, 0, v.all());
            counters = backend.allocate(DType.I32, 2);
            backend.upload(new int[] {5, 7}, 0, counters.all());
            hyper = backend.allocate(DType.F32, 1);
            backend.upload(new float[] {1e-3f}, 0, hyper.all());
        }

        private Buffer filled(int n, Random r) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) r.nextGaussian();
            }
            Buffer b = backend.allocate(DType.F32, n);
            backend.upload(a, 0, b.all());
            return b;
        }

        void update(String rule) {
            switch (rule) {
                case "adam" -> backend.adamUpdate(params.all(), grads.all(), m.all(), v.all(), null, n, hyper.all(),
                        counters.all(), 0.9f, 0.999f, 1e-7f);
                case "sgd" -> backend.sgdUpdate(params.all(), grads.all(), null, n, hyper.all(), 0f, false);
                case "momentum" -> backend.sgdUpdate(params.all(), grads.all(), m.all(), n, hyper.all(), 0.9f, true);
                case "rmsprop" -> backend.rmspropUpdate(params.all(), grads.all(), v.all(), null, null, n, hyper.all(),
                        0.9f, 0f, 1e-7f);
                default -> throw new IllegalArgumentException(rule);
            }
        }

        float[] floats(Buffer b) {
            float[] out = new float[n];
            backend.download(b.all(), out, 0);
            return out;
        }

        int[] counters() {
            int[] out = new int[2];
            backend.download(counters.all(), out, 0);
            return out;
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {params, grads, m, v, counters, hyper}) {
                b.close();
            }
        }
    }

    private void assertSame(State expected, State actual, String what) {
        assertArrayEquals(expected.floats(expected.params), actual.floats(actual.params), what + ": parameters");
        assertArrayEquals(expected.floats(expected.m), actual.floats(actual.m), what + ": first slot");
        assertArrayEquals(expected.floats(expected.v), actual.floats(actual.v), what + ": second slot");
        assertArrayEquals(expected.counters(), actual.counters(), what + ": counters");
    }

    /**
     * Sizes from one block to grids of thousands (past the element grid's clamp, so blocks stride), three calls in
     * a row; rmsprop has no advancing kernel and falls back to the counters' own.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd", "momentum", "rmsprop"})
    void theUpdateAdvancesTheCountersOnceWithTheSameBits(String rule) {
        for (int n : new int[] {1, 255, 4099, (1 << 22) + 3}) {
            try (State own = new State(n, n); State fused = new State(n, n)) {
                for (int call = 1; call <= 3; call++) {
                    own.update(rule);
                    backend.advanceCounters(own.counters.all());
                    long before = fusedUpdates(backend);
                    backend.updateThenAdvanceCounters(fused.counters.all(), () -> fused.update(rule));
                    assertEquals(before + (rule.equals("rmsprop") || !advancesInItsRuleKernels() ? 0 : 1),
                            fusedUpdates(backend), "the rule's own kernel advanced the counters (rmsprop, or "
                                    + "switched off: the separate kernel)");
                    assertArrayEquals(new int[] {5 + call, 7 + call}, fused.counters(), rule + " n=" + n + " call "
                            + call);
                    assertSame(own, fused, rule + " n=" + n + " call " + call);
                }
            }
        }
    }

    @Test
    void aRecordedStepAdvancesTheCountersOncePerReplay() {
        int n = 100_003;
        try (State own = new State(n, 11); State fused = new State(n, 11);
             CapturedStep step = backend.capture(() -> backend.updateThenAdvanceCounters(fused.counters.all(),
                     () -> fused.update("adam")))) {
            for (int replay = 1; replay <= 3; replay++) {
                own.update("adam");
                backend.advanceCounters(own.counters.all());
                step.run();
                assertSame(own, fused, "replay " + replay);
            }
            assertArrayEquals(new int[] {8, 10}, fused.counters());
        }
    }

    @Test
    void anOpAfterTheAdvancingKernelIsRefusedAndTheNextUpdateIsClean() {
        org.junit.jupiter.api.Assumptions.assumeTrue(advancesInItsRuleKernels(),
                "the rule kernels' counter advance is switched off: no advancing kernel to refuse an op after");
        try (State s = new State(1000, 3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> backend.updateThenAdvanceCounters(s.counters.all(), () -> {
                        s.update("adam");
                        s.update("sgd");
                    }));
            assertTrue(e.getMessage().contains("sgd_update") && e.getMessage().contains("end with"), e.getMessage());
            int[] before = s.counters();
            backend.updateThenAdvanceCounters(s.counters.all(), () -> s.update("adam"));
            assertArrayEquals(new int[] {before[0] + 1, before[1] + 1}, s.counters());
            s.update("sgd"); // outside the scope, nothing is refused
        }
    }
}
