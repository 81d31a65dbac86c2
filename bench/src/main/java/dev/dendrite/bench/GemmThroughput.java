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
 * <p>Each case is warmed up (so C2 has compiled the kernels) and then timed in repetitions of at least
 * {@code --rep-ms} milliseconds; the best and median repetitions are reported. The best is the fairer figure on a
 * shared machine, where another process can steal a core for part of a repetition.
 *
 * <p>Run, after {@code mvn -q -o install -DskipTests} (or with both modules' classes on the class path):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp java/target/classes:bench/target/classes \
 *      dev.dendrite.bench.GemmThroughput            # Vector API kernel
 * java -cp java/target/classes:bench/target/classes dev.dendrite.bench.GemmThroughput   # plain-Java kernel
 * </pre>
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
     * @param args {@code [--threads 1,2] [--rep-ms 40] [--reps 15]}
     */
    public static void main(String[] args) {
        int[] threads = {1, 2};
        int repMs = 40;
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
        System.out.printf("%-16s %5s %5s %5s %3s %10s %10s%n", "shape", "m", "n", "k", "thr", "best", "median");
        for (Shape s : SHAPES) {
            for (int t : threads) {
                ForkJoinPool pool = t > 1 ? new ForkJoinPool(t) : null;
                try {
                    double[] gflops = measure(s, pool, repMs, reps);
                    System.out.printf("%-16s %5d %5d %5d %3d %10.1f %10.1f GFLOP/s%n",
                            s.name, s.m, s.n, s.k, t, gflops[0], gflops[1]);
                } finally {
                    if (pool != null) {
                        pool.shutdown();
                    }
                }
            }
        }
    }

    /** Returns {best, median} GFLOP/s over the repetitions. */
    private static double[] measure(Shape s, ForkJoinPool pool, int repMs, int reps) {
        Random rnd = new Random(42);
        float[] a = randomArray(rnd, s.m * s.k);
        float[] b = randomArray(rnd, s.k * s.n);
        float[] c = new float[s.m * s.n];
        double flops = 2.0 * s.m * s.n * s.k;

        // Warm-up: enough calls for C2 to compile the kernels, and an estimate of calls per repetition.
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        long calls = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < warmEnd || calls < 20) {
            CpuGemm.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a, 0, b, 0, 0f, c, 0, pool);
            calls++;
        }
        double perCallNs = (double) (System.nanoTime() - start) / calls;
        long perRep = Math.max(1, (long) (repMs * 1e6 / perCallNs));

        double[] rates = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < perRep; i++) {
                CpuGemm.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a, 0, b, 0, 0f, c, 0, pool);
            }
            rates[r] = flops * perRep / (System.nanoTime() - t0);
        }
        Arrays.sort(rates);
        return new double[] {rates[reps - 1], rates[reps / 2]};
    }

    private static float[] randomArray(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = rnd.nextFloat() * 2f - 1f;
        }
        return x;
    }
}
