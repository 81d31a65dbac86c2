package dev.dendrite.bench;

import dev.dendrite.backend.cpu.CpuGemm;
import dev.dendrite.backend.cpu.CpuWorkers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times {@link CpuGemm} in short bursts on request, so that another program can alternate its own bursts with
 * ours a fraction of a second apart: {@code bench/pytorch/gemm_vs_dendrite.py} does, with PyTorch's {@code torch.mm}.
 * On a virtual machine whose speed drifts by up to 2x from one minute to the next (and sometimes from one second to
 * the next, without any CPU time showing as stolen), only such fine alternation gives a ratio that means anything.
 *
 * <p>Protocol, one request per line on standard input, one answer line on standard output:
 * <pre>
 * M N K TRANSA TRANSB THREADS MS   (TRANSA, TRANSB: 0 or 1)  ->  "ok CALLS SECONDS PROCESS_CPU_SECONDS"
 * quit                                                          ->  the program ends
 * </pre>
 * A request runs the product {@code C = op(A) op(B)} back to back for about MS milliseconds (at least once) on
 * operands kept per shape, with a {@link CpuWorkers} team of THREADS (kept per count); the caller computes rates.
 * A malformed request is answered {@code "error MESSAGE"}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.GemmServer
 * </pre>
 */
public final class GemmServer {

    private GemmServer() {
    }

    /**
     * Entry point; takes no arguments.
     *
     * @param args ignored
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Map<String, float[][]> operands = new HashMap<>();
        Map<Integer, CpuWorkers> teams = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(1);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready " + (CpuGemm.vectorKernelAvailable() ? "vector" : "plain"));
        System.out.flush();
        try {
            for (String line = in.readLine(); line != null && !line.trim().equals("quit"); line = in.readLine()) {
                String[] f = line.trim().split("\\s+");
                try {
                    if (f.length != 7) {
                        throw new IllegalArgumentException("expected M N K TRANSA TRANSB THREADS MS, got '" + line
                                + "'");
                    }
                    int m = Integer.parseInt(f[0]);
                    int n = Integer.parseInt(f[1]);
                    int k = Integer.parseInt(f[2]);
                    boolean ta = f[3].equals("1");
                    boolean tb = f[4].equals("1");
                    int threads = Integer.parseInt(f[5]);
                    long nanos = Long.parseLong(f[6]) * 1_000_000L;
                    if (m < 1 || n < 1 || k < 1 || threads < 1 || nanos < 0) {
                        throw new IllegalArgumentException("sizes and threads must be positive, ms non-negative: "
                                + line);
                    }
                    float[][] abc = operands.computeIfAbsent(m + "x" + n + "x" + k,
                            key -> new float[][] {GemmBuildsAB.random(rnd, m * k), GemmBuildsAB.random(rnd, k * n),
                                new float[m * n]});
                    CpuWorkers team = threads == 1 ? null : teams.computeIfAbsent(threads, CpuWorkers::new);
                    long cpu0 = os.getProcessCpuTime();
                    long t0 = System.nanoTime();
                    long calls = 0;
                    do {
                        CpuGemm.gemm(ta, tb, m, n, k, 1f, abc[0], 0, abc[1], 0, 0f, abc[2], 0, team);
                        calls++;
                    } while (System.nanoTime() - t0 < nanos);
                    double wall = (System.nanoTime() - t0) / 1e9;
                    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                    System.out.printf(Locale.ROOT, "ok %d %.6f %.6f%n", calls, wall, cpu);
                } catch (RuntimeException e) {
                    System.out.println("error " + e.getMessage());
                }
                System.out.flush();
            }
        } finally {
            teams.values().forEach(CpuWorkers::close);
        }
    }
}
