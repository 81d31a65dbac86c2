package dev.dendrite.bench;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuGemm;
import dev.dendrite.backend.cpu.CpuWorkers;
import dev.dendrite.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Prints the throughput of {@link CpuGemm#gemm} in GFLOP/s ({@code 2*m*n*k} per call) for 1024^3 and the shapes of
 * the course MLP (784-512-512-10, batch 128): each layer's forward product, its weight gradient
 * {@code dW = X^T dZ} (transA) and its input gradient {@code dX = dZ W^T} (transB); on the calling thread alone
 * and with 2 threads (or the counts given with {@code --threads 1,2,4}).
 *
 * <p>All cases are warmed up first, {@code --warm-ms} each (default 300) and twice over, so that C2 has compiled the
 * kernels and has recompiled what a later case deoptimised (on a loaded machine compiling is slow: give 2000),
 * then timed in rounds: each round times
 * every shape with every thread count for about {@code --rep-ms} milliseconds, rotating the order, so that load from
 * other processes spreads over all cases instead of spoiling one. The best and median rounds are reported; the best
 * is the fairer figure on a shared machine, where another process can take a core for part of a round.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -q -o -pl java/core,bench -am compile
 * java --add-modules jdk.incubator.vector -cp java/core/target/classes:bench/target/classes \
 *      dev.dendrite.bench.GemmThroughput            # Vector API kernel
 * java -cp java/core/target/classes:bench/target/classes dev.dendrite.bench.GemmThroughput   # plain-Java kernel
 * </pre>
 * A full run takes about 15 seconds.
 *
 * <p>With {@code --backend cuda,cuda-tf32,opencl} it instead times {@link Backend#gemm} on those backends (one after
 * the other, in this JVM) for a square {@code --size}^3 product (default 4096), the GPU figure the CUDA issue asks
 * for: cuBLAS through JCublas2 on {@code cuda} ({@code cuda-tf32} is the same with
 * {@code -Ddendrite.cuda.tf32=true}), the hand-written tiled kernel on {@code opencl}. Each round issues enough
 * calls to last about {@code --rep-ms} (default 200 here) and then synchronises; a few entries of C are checked
 * against a float64 product, so that a kernel that returns early cannot pass for a fast one.
 * {@code --json-dir DIR} writes {@code gemm-<backend>.json} per backend. A backend that cannot start is reported
 * and skipped; the exit status is then 1.
 * <pre>
 * java -cp ... dev.dendrite.bench.GemmThroughput --backend cuda,cuda-tf32,opencl --size 4096 --json-dir out
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
     * @param args {@code [--threads 1,2] [--rep-ms 25] [--reps 15] [--warm-ms 300]}, or
     *             {@code --backend cuda,opencl [--size 4096] [--rep-ms 200] [--reps 10] [--json-dir DIR]}
     */
    public static void main(String[] args) throws IOException {
        int[] threads = {1, 2};
        int repMs = -1;
        int reps = -1;
        int warmMs = 300;
        String backends = null;
        int size = 4096;
        String jsonDir = null;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--backend":
                    backends = args[++i];
                    break;
                case "--size":
                    size = Integer.parseInt(args[++i]);
                    break;
                case "--json-dir":
                    jsonDir = args[++i];
                    break;
                case "--threads":
                    threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    break;
                case "--rep-ms":
                    repMs = Integer.parseInt(args[++i]);
                    break;
                case "--warm-ms":
                    warmMs = Integer.parseInt(args[++i]);
                    break;
                case "--reps":
                    reps = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (expected --threads 1,2 | --rep-ms N | --reps N | --warm-ms N | --backend cuda,cuda-tf32,opencl"
                            + " | --size N | --json-dir DIR)");
            }
        }
        boolean onBackends = backends != null; // the GPU default: longer rounds, since one 4096^3 call is milliseconds
        repMs = repMs == -1 ? (onBackends ? 200 : 25) : repMs;
        reps = reps == -1 ? (onBackends ? 10 : 15) : reps;
        if (reps < 1 || repMs < 1) {
            throw new IllegalArgumentException("--reps " + reps + " --rep-ms " + repMs + ": both must be at least 1");
        }
        if (onBackends) {
            if (size < 1 || (long) size * size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("--size " + size + " out of range; expected 1 to 46340");
            }
            System.exit(timeBackends(backends.split(","), size, repMs, reps, jsonDir));
        }
        System.out.printf("kernel: %s; java %s; %d cpus%n",
                CpuGemm.vectorKernelAvailable() ? "Vector API (jdk.incubator.vector)" : "plain Java",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        CpuWorkers[] pools = new CpuWorkers[threads.length];
        for (int t = 0; t < threads.length; t++) {
            pools[t] = threads[t] > 1 ? new CpuWorkers(threads[t]) : null;
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
            for (int pass = 0; pass < 2; pass++) {
                for (Case[] row : cases) {
                    for (Case c : row) {
                        c.warmUp(warmMs);
                    }
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
            for (CpuWorkers pool : pools) {
                if (pool != null) {
                    pool.close();
                }
            }
        }

        System.out.printf("%-16s %5s %5s %5s %3s %8s %8s %8s  GFLOP/s (by CPU time: 1 thread only)%n", "shape", "m",
                "n", "k", "thr", "best", "median", "cpu-time");
        for (int s = 0; s < SHAPES.length; s++) {
            for (int t = 0; t < threads.length; t++) {
                double[] rates = cases[s][t].rates.clone();
                Arrays.sort(rates);
                Shape sh = SHAPES[s];
                double[] cpu = cases[s][t].cpuRates.clone();
                Arrays.sort(cpu);
                System.out.printf("%-16s %5d %5d %5d %3d %8.1f %8.1f %8s%n", sh.name, sh.m, sh.n, sh.k, threads[t],
                        rates[reps - 1], rates[reps / 2],
                        threads[t] == 1 ? String.format(Locale.ROOT, "%.1f", cpu[reps / 2]) : "");
            }
        }
    }

    private static final java.lang.management.ThreadMXBean CPU_CLOCK =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** One shape with one thread count: its operands, its workers and its measured rates. */
    private static final class Case {
        final Shape s;
        final float[] a, b, c;
        final CpuWorkers pool;
        final double[] rates;
        /** Rates by this thread's CPU time: what the core delivered, whatever other processes took (1 thread only). */
        final double[] cpuRates;
        double nsPerCall = 1;

        Case(Shape s, float[] a, float[] b, CpuWorkers pool, int reps) {
            this.s = s;
            this.a = a;
            this.b = b;
            this.c = new float[s.m * s.n];
            this.pool = pool;
            this.rates = new double[reps];
            this.cpuRates = new double[reps];
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
            long cpu0 = CPU_CLOCK.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (long i = 0; i < calls; i++) {
                call();
            }
            rates[round] = 2.0 * s.m * s.n * s.k * calls / (System.nanoTime() - t0);
            cpuRates[round] = 2.0 * s.m * s.n * s.k * calls / (CPU_CLOCK.getCurrentThreadCpuTime() - cpu0);
        }
    }

    /** Times Backend.gemm for a size^3 product on each named backend; returns 0, or 1 if any backend failed. */
    private static int timeBackends(String[] names, int size, int repMs, int reps, String jsonDir) throws IOException {
        Random rnd = new Random(42);
        float[] a = randomArray(rnd, size * size);
        float[] b = randomArray(rnd, size * size);
        double flops = 2.0 * size * size * size;
        int status = 0;
        for (String raw : names) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            boolean tf32 = name.equals("cuda-tf32");
            String backendName = tf32 ? "cuda" : name;
            String previous = System.getProperty("dendrite.cuda.tf32");
            System.setProperty("dendrite.cuda.tf32", Boolean.toString(tf32)); // read when the backend is created
            try (Backend be = Backends.create(backendName);
                 Buffer da = be.allocate(DType.F32, size * size);
                 Buffer db = be.allocate(DType.F32, size * size);
                 Buffer dc = be.allocate(DType.F32, size * size)) {
                be.upload(a, 0, da.all());
                be.upload(b, 0, db.all());
                Runnable call = () -> be.gemm(false, false, size, size, size, 1f, da.all(), db.all(), 0f, dc.all());

                long t0 = System.nanoTime(); // warm-up: first-call costs (kernel build, cuBLAS heuristics) go here
                int warm = 0;
                do {
                    call.run();
                    be.synchronize();
                    warm++;
                } while (warm < 3 || (System.nanoTime() - t0 < 500_000_000L && warm < 50));
                double nsPerCall = (System.nanoTime() - t0) / (double) warm;

                float[] c = new float[size * size];
                be.download(dc.all(), c, 0);
                double maxErr = maxSampledError(a, b, c, size, new Random(7), 16);
                double tolerance = 1e-2 * Math.sqrt(size); // TF32's 10-bit mantissa passes; garbage does not

                long calls = Math.max(1, Math.round(repMs * 1e6 / nsPerCall));
                double[] rates = new double[reps];
                for (int r = 0; r < reps; r++) {
                    long s0 = System.nanoTime();
                    for (long i = 0; i < calls; i++) {
                        call.run();
                    }
                    be.synchronize();
                    rates[r] = flops * calls / (System.nanoTime() - s0);
                }
                double[] sorted = rates.clone();
                Arrays.sort(sorted);
                double best = sorted[reps - 1];
                double median = sorted[reps / 2];
                String description = be.description();
                String precision = description.contains("TF32") ? "TF32" : "FP32";
                System.out.printf(Locale.ROOT, "%s%n  %d^3 %s: best %.0f GFLOP/s, median %.0f GFLOP/s (%.3f ms per call,"
                        + " %d rounds of %d calls); max |error| of 16 sampled entries %.2e (limit %.2e)%n",
                        description, size, precision, best, median, flops / best / 1e6, reps, calls, maxErr, tolerance);
                if (!(maxErr <= tolerance)) {
                    System.out.printf("  FAILED: %s's product is wrong (max error %.3e > %.3e)%n", name, maxErr, tolerance);
                    status = 1;
                }
                if (jsonDir != null) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("backend", description);
                    out.put("name", name);
                    out.put("m", size);
                    out.put("n", size);
                    out.put("k", size);
                    out.put("precision", precision);
                    out.put("best_gflops", best);
                    out.put("median_gflops", median);
                    out.put("ms_per_call_best", flops / best / 1e6);
                    out.put("rounds", reps);
                    out.put("calls_per_round", calls);
                    List<Object> all = new ArrayList<>();
                    for (double x : rates) {
                        all.add(x);
                    }
                    out.put("gflops_per_round", all);
                    out.put("max_sampled_error", maxErr);
                    out.put("correct", maxErr <= tolerance);
                    out.put("date", Instant.now().toString());
                    Path p = Path.of(jsonDir, "gemm-" + name + ".json");
                    Files.createDirectories(p.getParent());
                    Files.write(p, Json.write(out, true).getBytes(StandardCharsets.UTF_8));
                }
            } catch (RuntimeException | LinkageError e) {
                System.out.println(name + ": could not be timed: " + e);
                status = 1;
            } finally {
                if (previous == null) {
                    System.clearProperty("dendrite.cuda.tf32");
                } else {
                    System.setProperty("dendrite.cuda.tf32", previous);
                }
            }
        }
        return status;
    }

    /** Largest |C[i][j] - sum_k A[i][k] B[k][j]| (in float64) over {@code samples} random entries. */
    private static double maxSampledError(float[] a, float[] b, float[] c, int n, Random rnd, int samples) {
        double max = 0;
        for (int s = 0; s < samples; s++) {
            int i = rnd.nextInt(n);
            int j = rnd.nextInt(n);
            double ref = 0;
            for (int k = 0; k < n; k++) {
                ref += (double) a[i * n + k] * b[k * n + j];
            }
            double err = Math.abs(c[i * n + j] - ref);
            max = Double.isNaN(err) ? Double.POSITIVE_INFINITY : Math.max(max, err);
        }
        return max;
    }

    private static float[] randomArray(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = rnd.nextFloat() * 2f - 1f;
        }
        return x;
    }
}
