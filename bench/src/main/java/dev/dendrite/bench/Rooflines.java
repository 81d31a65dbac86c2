package dev.dendrite.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;

import dev.dendrite.io.Json;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two ceilings a CPU op can hit on this machine, measured rather than taken from a data sheet: the FMA peak
 * (GFLOP/s of a register-only loop of fused multiply-adds in the JVM's preferred vector width) and the memory
 * bandwidth (GB/s of a STREAM-style triad {@code a[i] = b[i] + s * c[i]} over arrays far larger than the caches,
 * counting 12 bytes per element as STREAM does). Each is measured on 1 thread and on all threads (or
 * {@code --threads 1,2}); a round runs every case for about {@code --ms} milliseconds, and the best of
 * {@code --rounds} rounds is reported (the fairer figure on a shared machine), with the peak also per CPU second
 * (the threads' CPU time rather than the wall clock, which load from other processes inflates less).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.Rooflines \
 *     [--threads 1,2] [--ms 300] [--rounds 5] [--json bench/results/cpu-rooflines.json]
 * </pre>
 * An op whose flops per byte moved is below peak / bandwidth is memory-bound: its roofline is its bytes divided by
 * the bandwidth. Run with {@code -XX:UseAVX=2} to measure the AVX2 ceiling of an AVX-512 machine.
 */
public final class Rooflines {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floats per triad array: 3 x 64 MiB, well past any last-level cache. */
    private static final int STREAM_N = 16 << 20;

    private Rooflines() {
    }

    public static void main(String[] args) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int[] threads = cores > 1 ? new int[] {1, cores} : new int[] {1};
        int ms = 300;
        int rounds = 5;
        String json = null;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("argument " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--threads":
                    threads = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                    break;
                case "--ms":
                    ms = Integer.parseInt(args[i + 1]);
                    break;
                case "--rounds":
                    rounds = Integer.parseInt(args[i + 1]);
                    break;
                case "--json":
                    json = args[i + 1];
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (expected --threads 1,2 | --ms N | --rounds N | --json PATH)");
            }
        }
        for (int t : threads) {
            if (t < 1) {
                throw new IllegalArgumentException("--threads " + t + ": expected at least 1");
            }
        }
        float[][] arrays = {new float[STREAM_N], new float[STREAM_N], new float[STREAM_N]};
        Arrays.fill(arrays[1], 1f);
        Arrays.fill(arrays[2], 2f);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cpu", Machine.cpuModel());
        out.put("isa", Machine.isa());
        out.put("vector_bits", S.vectorBitSize());
        out.put("cores", cores);
        out.put("java", System.getProperty("java.version"));
        out.put("date", java.time.Instant.now().toString());
        out.put("load_average_start", Machine.loadAverage());
        System.out.printf(Locale.ROOT, "%s, %s; preferred vector %d bits; %d cores; load average %s%n",
                out.get("cpu"), out.get("isa"), S.vectorBitSize(), cores, out.get("load_average_start"));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int t : threads) {
            double[] peak = new double[2];
            double bw = 0;
            for (int r = 0; r < rounds; r++) {
                double[] p = fmaPeak(t, ms);
                peak[0] = Math.max(peak[0], p[0]);
                peak[1] = Math.max(peak[1], p[1]);
                bw = Math.max(bw, triad(t, ms, arrays));
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("threads", t);
            row.put("fma_peak_gflops", peak[0]);
            row.put("fma_peak_gflops_by_cpu_time", peak[1]);
            row.put("triad_bandwidth_gbs", bw);
            rows.add(row);
            System.out.printf(Locale.ROOT, "%d thread%s: FMA peak %.0f GFLOP/s (wall; %.0f by CPU time), "
                    + "triad bandwidth %.1f GB/s, ridge %.1f flop/byte (CPU-time peak / bandwidth)%n", t,
                    t == 1 ? " " : "s", peak[0], peak[1], bw, peak[1] / bw);
        }
        out.put("results", rows);
        out.put("load_average_end", Machine.loadAverage());
        if (json != null) {
            Path p = Path.of(json);
            if (p.getParent() != null) {
                Files.createDirectories(p.getParent());
            }
            Files.write(p, Json.write(out, true).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {GFLOP/s by the wall clock, GFLOP/s by the threads' CPU time scaled to {@code threads} CPUs}. */
    private static double[] fmaPeak(int threads, int ms) throws Exception {
        for (int i = 0; i < 20; i++) {
            sink(fmaLoop(20_000));  // compiled before anything is timed
        }
        long iters = 1;
        // Calibrate on one thread to about ms milliseconds.
        while (true) {
            long t0 = System.nanoTime();
            sink(fmaLoop(iters));
            if ((System.nanoTime() - t0) / 1e6 > ms / 4.0 || iters > (1L << 40)) {
                break;
            }
            iters *= 2;
        }
        long n = iters * 4;
        double flops = (double) n * ACCUMULATORS * S.length() * 2 * threads;
        long[] cpu = new long[threads];
        long wall = parallel(threads, id -> {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long c0 = mx.getCurrentThreadCpuTime();
            sink(fmaLoop(n));
            cpu[id] = mx.getCurrentThreadCpuTime() - c0;
        });
        double cpuMax = Arrays.stream(cpu).max().orElse(wall);
        return new double[] {flops / wall, flops / cpuMax};
    }

    /** Independent FMA chains: enough to cover two FMA pipes' latency, few enough for 16 registers. */
    private static final int ACCUMULATORS = 10;

    private static float fmaLoop(long n) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f);
        FloatVector d = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, 1f), c1 = c0.add(1f), c2 = c0.add(2f), c3 = c0.add(3f);
        FloatVector c4 = c0.add(4f), c5 = c0.add(5f), c6 = c0.add(6f), c7 = c0.add(7f), c8 = c0.add(8f);
        FloatVector c9 = c0.add(9f);
        for (long i = 0; i < n; i++) {
            c0 = c0.fma(m, d);
            c1 = c1.fma(m, d);
            c2 = c2.fma(m, d);
            c3 = c3.fma(m, d);
            c4 = c4.fma(m, d);
            c5 = c5.fma(m, d);
            c6 = c6.fma(m, d);
            c7 = c7.fma(m, d);
            c8 = c8.fma(m, d);
            c9 = c9.fma(m, d);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }

    /** GB/s of {@code a = b + s*c} over the three arrays, cut into one contiguous range per thread. */
    private static double triad(int threads, int ms, float[][] arrays) throws Exception {
        float[] a = arrays[0];
        float[] b = arrays[1];
        float[] c = arrays[2];
        int passes = 0;
        long deadline = System.nanoTime() + ms * 1_000_000L;
        double best = 0;
        while (System.nanoTime() < deadline || passes < 3) {
            long wall = parallel(threads, id -> {
                int lo = (int) ((long) STREAM_N * id / threads);
                int hi = (int) ((long) STREAM_N * (id + 1) / threads);
                triadRange(a, b, c, 0.5f, lo, hi);
            });
            passes++;
            best = Math.max(best, 12.0 * STREAM_N / wall);
        }
        return best;
    }

    private static void triadRange(float[] a, float[] b, float[] c, float s, int lo, int hi) {
        FloatVector sv = FloatVector.broadcast(S, s);
        int i = lo;
        for (int end = hi - S.length(); i <= end; i += S.length()) {
            FloatVector.fromArray(S, c, i).fma(sv, FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < hi; i++) {
            a[i] = Math.fma(c[i], s, b[i]);
        }
    }

    private interface Body {
        void run(int id);
    }

    /**
     * Runs {@code body} on {@code threads} fresh threads released together; the nanoseconds from the first thread's
     * start to the last one's end, as the threads themselves read the clock (on a loaded machine the caller may be
     * descheduled between releasing them and reading the clock, which once made a pass look 10,000x faster).
     */
    private static long parallel(int threads, Body body) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        Thread[] ts = new Thread[threads];
        long[] began = new long[threads];
        long[] ended = new long[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    start.await();
                    began[id] = System.nanoTime();
                    body.run(id);
                    ended[id] = System.nanoTime();
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a benchmark thread failed", failure[0]);
        }
        return Arrays.stream(ended).max().getAsLong() - Arrays.stream(began).min().getAsLong();
    }

    private static volatile float sinkValue;

    private static void sink(float v) {
        sinkValue = v;
    }
}
