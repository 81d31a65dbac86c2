package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

/**
 * {@link CpuDropoutOps} keeps each stream's last mask for a later pass: whatever order the passes come in, each must
 * apply exactly the mask its own seed, step, stream, rate and length define ({@link CpuDropout#scalar}, bit for bit),
 * never a kept mask drawn for other coordinates. Sizes on both sides of {@link CpuDropoutOps#KEPT_MAX} and of the
 * parallel split.
 */
class CpuDropoutOpsTest {
    private final SplittableRandom rnd = new SplittableRandom();
    private CpuBackend backend;

    @BeforeEach
    void open() {
        backend = new CpuBackend(2);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void everyPassAppliesTheMaskOfItsOwnCoordinates() {
        long testSeed = rnd.nextLong();
        SplittableRandom r = new SplittableRandom(testSeed);
        Slice counters = backend.allocate(DType.I32, Backend.COUNTERS_LENGTH).all();
        int[] sizes = {1, 5, 257, 64 * 256, 300_001, CpuDropoutOps.KEPT_MAX, CpuDropoutOps.KEPT_MAX + 3};
        for (int n : sizes) {
            long seed = r.nextLong();
            float[] x = normal(n, r);
            Slice in = uploaded(x);
            Slice out = backend.allocate(DType.F32, n).all();
            int step = r.nextInt(1000);
            backend.upload(new int[] {step, 0}, 0, counters);
            // Forward on streams 1 and 2, backward on 2 and 1 (a step's order), then passes that must not reuse:
            // another step, another rate, another seed; a shorter pass (which may reuse the longer mask), a longer
            // one after a shorter one was drawn, and a stream never drawn.
            int shorter = Math.max(1, n / 2);
            Object[][] passes = {
                {1, 0.3f, seed, n, step}, {2, 0.5f, seed, n, step}, {2, 0.5f, seed, n, step},
                {1, 0.3f, seed, n, step}, {1, 0.3f, seed, n, step + 1}, {1, 0.4f, seed, n, step + 1},
                {1, 0.4f, seed + 1, n, step + 1}, {1, 0.4f, seed + 1, shorter, step + 1},
                {1, 0.4f, seed + 1, shorter, step + 2}, {1, 0.4f, seed + 1, n, step + 2},
                {7, 0.4f, seed + 1, n, step + 1}, {1, 0.4f, seed + 1, n, step + 2},
            };
            for (int p = 0; p < passes.length; p++) {
                int stream = (Integer) passes[p][0];
                float rate = (Float) passes[p][1];
                long s = (Long) passes[p][2];
                int len = (Integer) passes[p][3];
                int st = (Integer) passes[p][4];
                backend.upload(new int[] {st, 0}, 0, counters);
                if (p % 2 == 0) {
                    backend.dropoutForward(in, out, len, rate, s, stream, counters);
                } else {
                    backend.dropoutBackward(in, out, len, rate, s, stream, counters);
                }
                float[] expected = new float[n];
                CpuDropout.scalar(x, 0, expected, 0, 0, len, s, st, stream, rate);
                float[] actual = new float[n];
                backend.download(out, actual, 0);
                for (int i = len; i < n; i++) {
                    expected[i] = actual[i]; // beyond the pass's length: whatever an earlier pass left
                }
                assertArrayEquals(expected, actual, "n " + n + ", pass " + p + " (stream " + stream + ", rate " + rate
                        + ", step " + st + ", length " + len + "), test seed " + testSeed);
            }
        }
    }

    @Test
    void masksDroppedToStayWithinTheBoundsAreDrawnAgain() {
        long testSeed = rnd.nextLong();
        SplittableRandom r = new SplittableRandom(testSeed);
        Slice counters = backend.allocate(DType.I32, Backend.COUNTERS_LENGTH).all();
        int step = r.nextInt(1000);
        backend.upload(new int[] {step, 0}, 0, counters);
        long seed = r.nextLong();
        // Five streams of KEPT_MAX elements pass KEPT_TOTAL_MAX; STREAMS_MAX + 6 small streams pass STREAMS_MAX.
        // Forward passes in stream order, then backward passes in reverse: each must still apply its own mask.
        int[][] cases = {{5, CpuDropoutOps.KEPT_MAX}, {CpuDropoutOps.STREAMS_MAX + 6, 300}};
        for (int[] cs : cases) {
            int streams = cs[0];
            int n = cs[1];
            float[] x = normal(n, r);
            Slice in = uploaded(x);
            Slice out = backend.allocate(DType.F32, n).all();
            for (int pass = 0; pass < 2 * streams; pass++) {
                int stream = pass < streams ? pass : 2 * streams - 1 - pass;
                if (pass < streams) {
                    backend.dropoutForward(in, out, n, 0.25f, seed, stream, counters);
                } else {
                    backend.dropoutBackward(in, out, n, 0.25f, seed, stream, counters);
                }
                float[] expected = new float[n];
                CpuDropout.scalar(x, 0, expected, 0, 0, n, seed, step, stream, 0.25f);
                float[] actual = new float[n];
                backend.download(out, actual, 0);
                assertArrayEquals(expected, actual, streams + " streams of " + n + ", pass " + pass + " (stream "
                        + stream + "), test seed " + testSeed);
            }
        }
    }

    private static float[] normal(int n, SplittableRandom r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private Slice uploaded(float[] x) {
        Slice s = backend.allocate(DType.F32, x.length).all();
        backend.upload(x, 0, s);
        return s;
    }
}
