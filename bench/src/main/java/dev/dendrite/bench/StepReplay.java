package dev.dendrite.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Does the rest of a training step slow its products? Replays the eight products of one mlp512 step (784-512-512-10
 * at batch 128: three forward, three weight-gradient and two input-gradient products, without biases and
 * activations) on the cpu backend and times each one, with what else happens between two steps varying step by
 * step in rotation: nothing; Adam's update of all 669,706 weights and its two moments; a fresh batch gathered from
 * 20,000 random images; both; and a 16 MB fill that evicts the caches.
 *
 * <p>Why: {@code EpochBenchmark --profile true} shows each product's time inside epochs, and the products run back
 * to back on warm operands ({@code GemmBuildsAB}, {@code bench/pytorch/gemm_vs_dendrite.py}) look faster. This
 * tells how much of the difference the other ops cause (by evicting operands, or by leaving the weights dirty in
 * the other core's cache, as Adam's split does), in one process, a few milliseconds apart.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.StepReplay \
 *      [steps 150] [threads: the cores]
 * </pre>
 */
public final class StepReplay {
    private static final int BATCH = 128;
    private static final int IN = 784;
    private static final int HIDDEN = 512;
    private static final int OUT = 10;
    private static final int IMAGES = 20_000;

    private static final String[] PRODUCTS = {
        "X W1", "Z1 W2", "Z2 W3", "Z2^T d3", "d3 W3^T", "Z1^T d2", "d2 W2^T", "X^T d1",
    };
    private static final String[] BETWEEN = {
        "nothing", "Adam", "gather X", "Adam + gather X", "16 MB fill",
    };

    private StepReplay() {
    }

    /**
     * Entry point.
     *
     * @param args optionally the number of timed steps per variant (default 150, after 50 untimed) and the threads
     *             (default: the available processors)
     */
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        if (steps < 1 || threads < 1) {
            throw new IllegalArgumentException("steps = " + steps + ", threads = " + threads
                    + "; expected both at least 1");
        }
        try (CpuBackend be = new CpuBackend(threads)) {
            SplittableRandom r = new SplittableRandom(1);
            int nW1 = IN * HIDDEN;
            int nW2 = HIDDEN * HIDDEN;
            int nW3 = HIDDEN * OUT;
            int nP = nW1 + nW2 + nW3;
            Buffer p = filled(be, nP, r, 0.05f);
            Buffer g = filled(be, nP, r, 0.01f);
            Buffer m = filled(be, nP, r, 0f);
            Buffer v = filled(be, nP, r, 0f);
            Slice w1 = p.slice(0, nW1);
            Slice w2 = p.slice(nW1, nW2);
            Slice w3 = p.slice(nW1 + nW2, nW3);
            Slice g1 = g.slice(0, nW1);
            Slice g2 = g.slice(nW1, nW2);
            Slice g3 = g.slice(nW1 + nW2, nW3);
            Buffer images = filled(be, IMAGES * IN, r, 1f);
            Slice x = filled(be, BATCH * IN, r, 1f).all();
            Slice z1 = filled(be, BATCH * HIDDEN, r, 1f).all();
            Slice z2 = filled(be, BATCH * HIDDEN, r, 1f).all();
            Slice z3 = filled(be, BATCH * OUT, r, 1f).all();
            Slice d3 = filled(be, BATCH * OUT, r, 0.1f).all();
            Slice d2 = filled(be, BATCH * HIDDEN, r, 0f).all();
            Slice d1 = filled(be, BATCH * HIDDEN, r, 0f).all();
            Buffer hyper = be.allocate(DType.F32, 1);
            be.upload(new float[] {1e-6f}, 0, hyper.all());  // a tiny learning rate keeps the weights' scale
            Buffer counters = be.allocate(DType.I32, 2);
            be.upload(new int[] {1, 0}, 0, counters.all());
            Buffer junk = be.allocate(DType.F32, 4 << 20);

            Runnable[] products = {  // in PRODUCTS' order, as a step runs them
                () -> be.gemm(false, false, BATCH, HIDDEN, IN, 1f, x, w1, 0f, z1),
                () -> be.gemm(false, false, BATCH, HIDDEN, HIDDEN, 1f, z1, w2, 0f, z2),
                () -> be.gemm(false, false, BATCH, OUT, HIDDEN, 1f, z2, w3, 0f, z3),
                () -> be.gemm(true, false, HIDDEN, OUT, BATCH, 1f, z2, d3, 0f, g3),
                () -> be.gemm(false, true, BATCH, HIDDEN, OUT, 1f, d3, w3, 0f, d2),
                () -> be.gemm(true, false, HIDDEN, HIDDEN, BATCH, 1f, z1, d2, 0f, g2),
                () -> be.gemm(false, true, BATCH, HIDDEN, HIDDEN, 1f, d2, w2, 0f, d1),
                () -> be.gemm(true, false, IN, HIDDEN, BATCH, 1f, x, d1, 0f, g1),
            };
            long[][][] nanos = new long[BETWEEN.length][PRODUCTS.length][steps];
            long[] ticks = null;
            for (int s = -50; s < steps; s++) {
                if (s == 0) {
                    ticks = Machine.cpuTicks();
                }
                for (int b = 0; b < BETWEEN.length; b++) {
                    if (b == 1 || b == 3) {
                        be.adamUpdate(p.all(), g.all(), m.all(), v.all(), null, nP, hyper.all(), counters.all(),
                                0.9f, 0.999f, 1e-7f);
                    }
                    if (b == 2 || b == 3) {
                        for (int i = 0; i < BATCH; i++) {
                            be.copy(images.slice(r.nextInt(IMAGES) * IN, IN), x.slice(i * IN, IN));
                        }
                    }
                    if (b == 4) {
                        be.fill(junk.all(), s);
                    }
                    for (int j = 0; j < PRODUCTS.length; j++) {
                        long t0 = System.nanoTime();
                        products[j].run();
                        if (s >= 0) {
                            nanos[b][j][s] = System.nanoTime() - t0;
                        }
                    }
                }
            }
            Double steal = Machine.stealPercent(ticks, Machine.cpuTicks());
            System.out.printf(Locale.ROOT,
                    "%s, %s; java %s; %s; %d steps per variant; CPU time stolen by the host: %s%n", Machine.cpuModel(),
                    Machine.isa(), System.getProperty("java.version"), be.description(), steps,
                    steal == null ? "unknown" : String.format(Locale.ROOT, "%.0f%%", steal));
            System.out.printf("median us per product, by what ran between steps%n%-16s", "between steps");
            for (String name : PRODUCTS) {
                System.out.printf("%9s", name);
            }
            System.out.printf("%9s%n", "sum");
            for (int b = 0; b < BETWEEN.length; b++) {
                System.out.printf("%-16s", BETWEEN[b]);
                long sum = 0;
                for (int j = 0; j < PRODUCTS.length; j++) {
                    long[] ns = nanos[b][j];
                    Arrays.sort(ns);
                    long median = ns[steps / 2] / 1000;
                    sum += median;
                    System.out.printf("%9d", median);
                }
                System.out.printf("%9d%n", sum);
            }
        }
    }

    /** {@code n} uniform values in {@code [-scale/2, scale/2)}: {@link GemmBuildsAB}'s operands, scaled. */
    private static Buffer filled(Backend be, int n, SplittableRandom r, float scale) {
        Buffer b = be.allocate(DType.F32, n);
        float[] h = GemmBuildsAB.random(r, n);
        for (int i = 0; i < n; i++) {
            h[i] *= scale;
        }
        be.upload(h, 0, b.all());
        return b;
    }
}
