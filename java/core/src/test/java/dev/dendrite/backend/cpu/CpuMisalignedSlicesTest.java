package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

/**
 * Several CPU ops take a vectorised loop when their slices start at the same offset (the engine's flat buffers,
 * and the conformance suite's equally padded slices) and a general loop otherwise. The general loops must agree
 * with the fast ones; the conformance suite only reaches the fast ones. Both evaluate the same formula, the fast
 * one in float with fused multiply-adds, the general one in double. Each rounds every stored value (v, then
 * p + v) once, but the two roundings of v may differ by an ulp of v, and p + v carries that ulp even when p and v
 * cancel. So the tolerance is 3 float ulps of the largest term involved, {@code max(|p|, |v|, |g|)} (momentum and
 * learning rate are below 1), not of the result.
 */
class CpuMisalignedSlicesTest {
    private static CpuBackend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Slice slice(float[] v, int offset) {
        Buffer b = cpu.allocate(DType.F32, v.length + offset);
        Slice s = b.slice(offset, v.length);
        cpu.upload(v, 0, s);
        return s;
    }

    private static float[] get(Slice s) {
        float[] v = new float[s.length()];
        cpu.download(s, v, 0);
        return v;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static void assertUlps(float[] expected, float[] actual, float[][] terms, String what) {
        for (int i = 0; i < expected.length; i++) {
            float scale = Math.abs(expected[i]);
            for (float[] t : terms) {
                scale = Math.max(scale, Math.abs(t[i]));
            }
            assertEquals(expected[i], actual[i], 3 * Math.ulp(scale), what + " at " + i);
        }
    }

    @Test
    void sgdAndL2GradientAgreeWhateverTheOffsets() {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 70_001; // large enough to be split across threads
        float[] p = random(rnd, n);
        float[] g = random(rnd, n);
        float[] v = random(rnd, n);
        Slice hyper = slice(new float[] {0.01f}, 0);
        for (boolean nesterov : new boolean[] {false, true}) {
            for (float momentum : new float[] {0f, 0.9f}) {
                Slice pa = slice(p, 0);
                Slice va = slice(v, 0);
                cpu.sgdUpdate(pa, slice(g, 0), momentum == 0 ? null : va, n, hyper, momentum, nesterov);
                Slice pm = slice(p, 3);
                Slice vm = slice(v, 5);
                cpu.sgdUpdate(pm, slice(g, 1), momentum == 0 ? null : vm, n, hyper, momentum, nesterov);
                String what = "sgd momentum " + momentum + " nesterov " + nesterov + " (seed " + seed + ")";
                float[][] terms = {p, v, g};
                assertUlps(get(pm), get(pa), terms, what + ": params");
                assertUlps(get(vm), get(va), terms, what + ": velocity");
            }
        }
        Slice ga = slice(g, 0);
        cpu.regularizerGradient(slice(p, 0), ga, n, 0f, 0.005f);
        Slice gm = slice(g, 7);
        cpu.regularizerGradient(slice(p, 2), gm, n, 0f, 0.005f);
        assertUlps(get(gm), get(ga), new float[][] {p, g}, "l2 gradient (seed " + seed + ")");
    }

    /** One optimizer step on the cpu backend: its slices are params, grads, then its states. */
    private interface Step {
        void run(Slice[] s, int n, Slice hyper, Slice counters);
    }

    /**
     * The optimizers with float loops run the same loop in place (equal offsets) and through tiles (any other
     * offsets), so the two give the same bits (tolerance zero), over several tiles and a partial one per part and
     * three steps with the step counter advancing.
     */
    @Test
    void floatOptimizersGiveTheSameBitsThroughTiles() {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 5 * CpuParallel.TILE + 37;
        Map<String, Integer> states = Map.ofEntries(Map.entry("adam", 2), Map.entry("amsgrad", 3),
                Map.entry("rmsprop", 1), Map.entry("rmsprop momentum", 2), Map.entry("rmsprop centered", 2),
                Map.entry("rmsprop centered momentum", 3), Map.entry("adagrad", 1), Map.entry("adadelta", 2),
                Map.entry("adamax", 2), Map.entry("nadam", 2), Map.entry("lion", 1));
        Map<String, Step> steps = Map.ofEntries(
                Map.entry("adam", (s, m, h, c) -> cpu.adamUpdate(s[0], s[1], s[2], s[3], null, m, h, c, 0.9f, 0.999f,
                        1e-7f)),
                Map.entry("amsgrad", (s, m, h, c) -> cpu.adamUpdate(s[0], s[1], s[2], s[3], s[4], m, h, c, 0.9f,
                        0.999f, 1e-7f)),
                Map.entry("rmsprop", (s, m, h, c) -> cpu.rmspropUpdate(s[0], s[1], s[2], null, null, m, h, 0.9f, 0f,
                        1e-7f)),
                Map.entry("rmsprop momentum", (s, m, h, c) -> cpu.rmspropUpdate(s[0], s[1], s[2], s[3], null, m, h,
                        0.9f, 0.9f, 1e-7f)),
                Map.entry("rmsprop centered", (s, m, h, c) -> cpu.rmspropUpdate(s[0], s[1], s[2], null, s[3], m, h,
                        0.9f, 0f, 1e-7f)),
                Map.entry("rmsprop centered momentum", (s, m, h, c) -> cpu.rmspropUpdate(s[0], s[1], s[2], s[3], s[4],
                        m, h, 0.9f, 0.9f, 1e-7f)),
                Map.entry("adagrad", (s, m, h, c) -> cpu.adagradUpdate(s[0], s[1], s[2], m, h, 1e-7f)),
                Map.entry("adadelta", (s, m, h, c) -> cpu.adadeltaUpdate(s[0], s[1], s[2], s[3], m, h, 0.95f, 1e-7f)),
                Map.entry("adamax", (s, m, h, c) -> cpu.adamaxUpdate(s[0], s[1], s[2], s[3], m, h, c, 0.9f, 0.999f,
                        1e-7f)),
                Map.entry("nadam", (s, m, h, c) -> cpu.nadamUpdate(s[0], s[1], s[2], s[3], m, h, c, 0.9f, 0.999f,
                        1e-7f)),
                Map.entry("lion", (s, m, h, c) -> cpu.lionUpdate(s[0], s[1], s[2], m, h, 0.9f, 0.99f)));
        float[] p = random(rnd, n);
        float[][] g = {random(rnd, n), random(rnd, n), random(rnd, n)};
        for (Map.Entry<String, Step> e : steps.entrySet()) {
            int arrays = 2 + states.get(e.getKey());
            float[][][] results = new float[2][][];
            for (int variant = 0; variant < 2; variant++) {
                Slice[] s = new Slice[arrays];
                for (int a = 0; a < arrays; a++) {
                    // Equal offsets take the in-place loop; offsets 0, 1, 2, ... take the tiles.
                    s[a] = slice(a == 0 ? p : new float[n], variant == 0 ? 3 : a);
                }
                Slice hyper = slice(new float[] {1e-2f}, 0);
                Slice counters = cpu.allocate(DType.I32, 2).all();
                for (float[] gt : g) {
                    cpu.upload(gt, 0, s[1]);
                    e.getValue().run(s, n, hyper, counters);
                    cpu.advanceCounters(counters);
                }
                results[variant] = new float[arrays][];
                for (int a = 0; a < arrays; a++) {
                    results[variant][a] = get(s[a]);
                }
            }
            for (int a = 0; a < arrays; a++) {
                assertArrayEquals(results[0][a], results[1][a], e.getKey() + ", array " + a + " (0: params, 1: grads,"
                        + " then states), tiles against in place (seed " + seed + ")");
            }
        }
    }
}
