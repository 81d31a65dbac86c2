package dev.dendrite.bench;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
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
 *
 * <p>{@code --backend opencl|cuda} times the same shapes plus 4096^3 through that backend's {@code gemm} instead
 * (one thread count; each call waits for the device), after a first call that lets the backend choose its kernel
 * for the shape. With {@code -Ddendrite.gemm.verbose=true} that first call prints every candidate's time per call
 * (cuBLAS and each kernel of kernels/common/gemm_tiled.h), i.e. the per-variant throughput; to time one path
 * alone, force it with {@code -Ddendrite.opencl.gemm=<variant>} or {@code -Ddendrite.cuda.gemm=cublas|own}. On CUDA
 * the rounds are calls issued one by one from Java, which costs more than 10 us per launch, so the batch-128 shapes
 * show the host's speed there; the verbose lines, measured on graph replays, show the kernels'.
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
     * @param args {@code [--threads 1,2] [--rep-ms 25] [--reps 15] [--backend cpu|opencl|cuda]}
     */
    public static void main(String[] args) {
        int[] threads = {1, 2};
        int repMs = 25;
        int reps = 15;
        String backend = "cpu";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend":
                    backend = args[++i];
                    break;
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
                            + " (expected --threads 1,2 | --rep-ms N | --reps N | --backend cpu|opencl|cuda)");
            }
        }
        if (!backend.equals("cpu")) {
            onDevice(backend, repMs, reps);
            return;
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

    /** The shapes through a device backend's gemm: best and median GFLOP/s over rounds of about repMs each. */
    private static void onDevice(String name, int repMs, int reps) {
        Shape[] shapes = Arrays.copyOf(SHAPES, SHAPES.length + 1);
        shapes[SHAPES.length] = new Shape("square 4096^3", false, false, 4096, 4096, 4096);
        Random rnd = new Random(42);
        try (Backend be = Backends.create(name)) {
            System.out.println(be.description());
            System.out.printf("%-16s %5s %5s %5s %8s %8s  GFLOP/s%n", "shape", "m", "n", "k", "best", "median");
            for (Shape s : shapes) {
                try (Buffer a = be.allocate(DType.F32, s.m * s.k); Buffer b = be.allocate(DType.F32, s.k * s.n);
                     Buffer c = be.allocate(DType.F32, s.m * s.n)) {
                    be.upload(randomArray(rnd, s.m * s.k), 0, a.all());
                    be.upload(randomArray(rnd, s.k * s.n), 0, b.all());
                    Runnable call = () -> be.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a.all(), b.all(), 0f, c.all());
                    call.run(); // the backend chooses (and with -Ddendrite.gemm.verbose=true reports) its kernel here
                    be.synchronize();
                    long t0 = System.nanoTime();
                    call.run();
                    be.synchronize();
                    long calls = Math.max(1, Math.round(repMs * 1e6 / Math.max(1, System.nanoTime() - t0)));
                    double[] rates = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        long start = System.nanoTime();
                        for (long i = 0; i < calls; i++) {
                            call.run();
                        }
                        be.synchronize();
                        rates[r] = 2.0 * s.m * s.n * s.k * calls / (System.nanoTime() - start);
                    }
                    Arrays.sort(rates);
                    System.out.printf("%-16s %5d %5d %5d %8.1f %8.1f%n", s.name, s.m, s.n, s.k, rates[reps - 1],
                            rates[reps / 2]);
                }
            }
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
