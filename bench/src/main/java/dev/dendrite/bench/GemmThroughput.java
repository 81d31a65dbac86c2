package dev.dendrite.bench;

import dev.dendrite.backend.cpu.CpuGemm;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

/**
 * Prints the throughput of {@link CpuGemm#gemm} in GFLOP/s ({@code 2*m*n*k} per call) for 1024^3 and the shapes of
 * the course MLP (784-512-512-10, batch 128): each layer's forward product, its weight gradient
 * {@code dW = X^T dZ} (transA) and its input gradient {@code dX = dZ W^T} (transB); on the calling thread alone
 * and with a pool of 2 (or the counts given with {@code --threads 1,2,4}).
 *
 * <p>All cases are warmed up first (so that C2 has compiled the kernels), then timed in rounds: each round times
 * every shape with every thread count for about {@code --rep-ms} milliseconds, rotating the order, so that load from
 * other processes spreads over all cases instead of spoiling one. The best and median rounds are reported; the best
 * is the fairer figure on a shared machine, where another process can take a core for part of a round.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -q -o -pl java,bench compile
 * java --add-modules jdk.incubator.vector -cp java/target/classes:bench/target/classes \
 *      dev.dendrite.bench.GemmThroughput            # Vector API kernel
 * java -cp java/target/classes:bench/target/classes dev.dendrite.bench.GemmThroughput   # plain-Java kernel
 * </pre>
 * A full run takes about 15 seconds.
 */
public final class GemmThroughput {

    private GemmThroughput() {
    }

    /** One product: {@code C(m x n) = op(A)(m x k) op(B)(k x n)}. */
    private static final class Shape {
        final String name;
        final boolean transA, transB;
        final int m, n, k;

        Shape(String name, boolean transA, boolean transB, int m, int n, int k) {
            this.name = name;
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
        }
    }

    private static final Shape[] SHAPES = {
        new Shape("square 1024^3", false, false, 1024, 1024, 1024),
        new Shape("L1 fwd  X W", false, false, 128, 512, 784),
        new Shape("L1 dW   X^T dZ", true, false, 784, 512, 128),
        new Shape("L1 dX   dZ W^T", false, true, 128, 784, 512),
        new Shape("L2 fwd  X W", false, false, 128, 512, 512),
        new Shape("L2 dW   X^T dZ", true, false, 512, 512, 128),
        new Shape("L2 dX   dZ W^T", false, true, 128, 512, 512),
        new Shape("L3 fwd  X W", false, false, 128, 10, 512),
        new Shape("L3 dW   X^T dZ", true, false, 512, 10, 128),
        new Shape("L3 dX   dZ W^T", false, true, 128, 512, 10),
    };

    /**
     * Entry point.
     *
     * @param args {@code [--threads 1,2] [--rep-ms 25] [--reps 15]}
     */
    public static void main(String[] args) {
        int[] threads = {1, 2};
        int repMs = 25;
        int reps = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads":
                    threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    break;
                case "--rep-ms":
                    repMs = Integer.parseInt(args[++i]);
                    break;
                case "--reps":
                    reps = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (expected --threads 1,2 | --rep-ms N | --reps N)");
            }
        }
        System.out.printf("kernel: %s; java %s; %d cpus%n",
                CpuGemm.vectorKernelAvailable() ? "Vector API (jdk.incubator.vector)" : "plain Java",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        ForkJoinPool[] pools = new ForkJoinPool[threads.length];
        for (int t = 0; t < threads.length; t++) {
            pools[t] = threads[t] > 1 ? new ForkJoinPool(threads[t]) : null;
        }
        Case[][] cases = new Case[SHAPES.length][threads.length];
        Random rnd = new Random(42);
        for (int s = 0; s < SHAPES.length; s++) {
            float[] a = randomArray(rnd, SHAPES[s].m * SHAPES[s].k);
            float[] b = randomArray(rnd, SHAPES[s].k * SHAPES[s].n);
            for (int t = 0; t < threads.length; t++) {
                cases[s][t] = new Case(SHAPES[s], a, b, pools[t], reps);
            }
        }
        try {
            for (Case[] row : cases) {
                for (Case c : row) {
                    c.warmUp(300);
                }
            }
            for (int r = 0; r < reps; r++) {
                for (int s = 0; s < SHAPES.length; s++) {
                    for (int t = 0; t < threads.length; t++) {
                        cases[s][(t + r) % threads.length].time(r, repMs);
                    }
                }
            }
        } finally {
            for (ForkJoinPool pool : pools) {
                if (pool != null) {
                    pool.shutdown();
                }
            }
        }

        System.out.printf("%-16s %5s %5s %5s %3s %8s %8s  GFLOP/s%n", "shape", "m", "n", "k", "thr", "best",
                "median");
        for (int s = 0; s < SHAPES.length; s++) {
            for (int t = 0; t < threads.length; t++) {
                double[] rates = cases[s][t].rates.clone();
                Arrays.sort(rates);
                Shape sh = SHAPES[s];
                System.out.printf("%-16s %5d %5d %5d %3d %8.1f %8.1f%n", sh.name, sh.m, sh.n, sh.k, threads[t],
                        rates[reps - 1], rates[reps / 2]);
            }
        }
    }

    /** One shape with one thread count: its operands, its pool and its measured rates. */
    private static final class Case {
        final Shape s;
        final float[] a, b, c;
        final ForkJoinPool pool;
        final double[] rates;
        double nsPerCall = 1;

        Case(Shape s, float[] a, float[] b, ForkJoinPool pool, int reps) {
            this.s = s;
            this.a = a;
            this.b = b;
            this.c = new float[s.m * s.n];
            this.pool = pool;
            this.rates = new double[reps];
        }

        void call() {
            CpuGemm.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a, 0, b, 0, 0f, c, 0, pool);
        }

        /** Calls for {@code ms} milliseconds (at least 3 times) and estimates the time of one call. */
        void warmUp(long ms) {
            long start = System.nanoTime();
            long calls = 0;
            while (System.nanoTime() - start < ms * 1_000_000L || calls < 3) {
                call();
                calls++;
            }
            nsPerCall = (double) (System.nanoTime() - start) / calls;
        }

        void time(int round, int ms) {
            long calls = Math.max(1, Math.round(ms * 1e6 / nsPerCall));
            long t0 = System.nanoTime();
            for (long i = 0; i < calls; i++) {
                call();
            }
            rates[round] = 2.0 * s.m * s.n * s.k * calls / (System.nanoTime() - t0);
        }
    }

    private static float[] randomArray(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = rnd.nextFloat() * 2f - 1f;
        }
        return x;
    }
}
