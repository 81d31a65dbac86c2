package dev.dendrite.bench;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Compares the CPU GEMM of two or more builds in one JVM: each build's {@code java/core/target/classes} is loaded by
 * a class loader of its own, so each has its own {@code CpuGemm} and its own compiled kernels, and the builds are
 * timed in turn within every round (the order rotating), a few tens of milliseconds apart. Load from other processes
 * then falls on all builds alike, which separate JVMs run minutes apart cannot promise on a shared machine.
 *
 * <p>Rates are by this thread's CPU time, one thread ({@code 2*m*n*k} per call), or by the wall clock with more
 * threads (each build then gets a {@code CpuWorkers} team of its own), on 1024^3, the course MLP's
 * products (as {@link GemmThroughput}) and two awkward shapes. The report gives each build's median rate and, per
 * later build, the median of its per-round ratio to the first build with the quartiles of those ratios: the spread
 * that says what is noise. The builds' results are also compared bit for bit after the warm-up.
 *
 * <pre>
 * git worktree add /tmp/old REV &amp;&amp; (cd /tmp/old &amp;&amp; mvn -q -o -pl java/core -am compile)
 * java --add-modules jdk.incubator.vector -cp bench/target/classes dev.dendrite.bench.GemmBuildsAB \
 *      /tmp/old/java/core/target/classes,java/core/target/classes [rounds 15] [ms per case 40] [threads 1] \
 *      [shapes mlp512 | bn256]
 * </pre>
 * Properties such as {@code -Ddendrite.cpu.gemmPackA=false} apply to every build. About 40 s per build.
 */
public final class GemmBuildsAB {

    private GemmBuildsAB() {
    }

    /** transA, transB, m, n, k. */
    private static final int[][] SHAPES = {
        {0, 0, 1024, 1024, 1024}, {0, 0, 128, 512, 784}, {1, 0, 784, 512, 128}, {0, 1, 128, 784, 512},
        {0, 0, 128, 512, 512}, {1, 0, 512, 512, 128}, {0, 1, 128, 512, 512}, {0, 0, 128, 10, 512},
        {1, 0, 512, 10, 128}, {0, 1, 128, 512, 10}, {0, 0, 37, 29, 33}, {0, 0, 100, 30, 300},
    };
    private static final String[] NAMES = {
        "1024^3", "L1 fwd", "L1 dW", "L1 dX", "L2 fwd", "L2 dW", "L2 dX", "L3 fwd", "L3 dW", "L3 dX", "37x29x33",
        "100x30x300",
    };

    /** bn256's products at batch 64 (784-256-256-256-10), the shapes where two threads gain least. */
    private static final int[][] BN256_SHAPES = {
        {0, 0, 64, 256, 784}, {1, 0, 784, 256, 64}, {0, 0, 64, 256, 256}, {1, 0, 256, 256, 64},
        {0, 1, 64, 256, 256}, {0, 0, 64, 10, 256}, {1, 0, 256, 10, 64}, {0, 1, 64, 256, 10},
    };
    private static final String[] BN256_NAMES = {
        "bn L1 fwd", "bn L1 dW", "bn L2 fwd", "bn L2 dW", "bn L2 dX", "bn out fwd", "bn out dW", "bn out dX",
    };

    /**
     * Entry point.
     *
     * @param args comma-separated class folders of the builds (the first is the baseline), then optionally the
     *             number of rounds (default 15), the milliseconds per case and round (default 40) and the threads
     *             (default 1; with more, the builds' own worker teams, and rates by the wall clock), and the shapes:
     *             {@code mlp512} (default: 1024^3, the course MLP's products and two awkward ones) or {@code bn256}
     *             (that network's batch-64 products)
     */
    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            throw new IllegalArgumentException(
                    "usage: GemmBuildsAB CLASSES_DIR,CLASSES_DIR[,...] [rounds] [ms] [threads] [mlp512|bn256]");
        }
        String[] dirs = args[0].split(",");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int repMs = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String set = args.length > 4 ? args[4] : "mlp512";
        if (!set.equals("mlp512") && !set.equals("bn256")) {
            throw new IllegalArgumentException("shapes = " + set + "; expected mlp512 or bn256");
        }
        int[][] shapes = set.equals("bn256") ? BN256_SHAPES : SHAPES;
        String[] names = set.equals("bn256") ? BN256_NAMES : NAMES;
        if (dirs.length < 2 || rounds < 1 || repMs < 1 || threads < 1) {
            throw new IllegalArgumentException("need two builds or more, rounds >= 1, ms >= 1 and threads >= 1; got "
                    + dirs.length + " builds, " + rounds + " rounds, " + repMs + " ms, " + threads + " threads");
        }
        int nb = dirs.length;
        MethodHandle[] gemm = new MethodHandle[nb];
        Object[] teams = new Object[nb];  // each build's CpuWorkers, or null for one thread
        // The last parameter (the threads: null, or the build's own CpuWorkers team, made through its class loader)
        // changed type between builds: a ForkJoinPool until 2026-12-03, CpuWorkers since. Any build's public
        // 14-argument gemm is called with it as Object.
        MethodType type = MethodType.methodType(void.class, boolean.class, boolean.class, int.class, int.class,
                int.class, float.class, float[].class, int.class, float[].class, int.class, float.class, float[].class,
                int.class, Object.class);
        for (int v = 0; v < nb; v++) {
            URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(dirs[v]).toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            Class<?> c = Class.forName("dev.dendrite.backend.cpu.CpuGemm", true, loader);
            Method entry = null;
            for (Method m : c.getMethods()) {
                if (m.getName().equals("gemm") && m.getParameterCount() == 14 && Modifier.isStatic(m.getModifiers())) {
                    entry = m;
                }
            }
            if (entry == null) {
                throw new IllegalArgumentException(dirs[v] + ": CpuGemm has no public static 14-argument gemm");
            }
            gemm[v] = MethodHandles.publicLookup().unreflect(entry).asType(type);
            if (threads > 1) {
                teams[v] = Class.forName("dev.dendrite.backend.cpu.CpuWorkers", true, loader)
                        .getConstructor(int.class).newInstance(threads);
            }
            boolean vector = (boolean) c.getMethod("vectorKernelAvailable").invoke(null);
            System.out.printf("b%d: %s (%s kernel)%n", v, dirs[v], vector ? "Vector API" : "plain Java");
        }
        System.out.printf("%s, %s; java %s; load average %.1f; %d thread%s (rates by %s)%n", Machine.cpuModel(),
                Machine.isa(), System.getProperty("java.version"),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), threads, threads == 1 ? "" : "s",
                threads == 1 ? "this thread's CPU time" : "the wall clock");

        int ns = shapes.length;
        SplittableRandom rnd = new SplittableRandom(1);
        float[][] a = new float[ns][];
        float[][] b = new float[ns][];
        float[][][] c = new float[ns][nb][];
        long[] calls = new long[ns];
        for (int s = 0; s < ns; s++) {
            int[] sh = shapes[s];
            a[s] = random(rnd, sh[2] * sh[4]);
            b[s] = random(rnd, sh[4] * sh[3]);
            for (int v = 0; v < nb; v++) {
                c[s][v] = new float[sh[2] * sh[3]];
            }
        }
        // Three passes, so that what a later shape deoptimises is compiled again before timing.
        for (int pass = 0; pass < 3; pass++) {
            for (int s = 0; s < ns; s++) {
                for (int v = 0; v < nb; v++) {
                    long t0 = System.nanoTime();
                    long n = 0;
                    while (System.nanoTime() - t0 < 400_000_000L || n < 3) {
                        call(gemm[v], shapes[s], a[s], b[s], c[s][v], teams[v]);
                        n++;
                    }
                    calls[s] = Math.max(1, Math.round(repMs * 1e6 * n / (System.nanoTime() - t0)));
                }
            }
        }
        for (int s = 0; s < ns; s++) {
            for (int v = 1; v < nb; v++) {
                if (!Arrays.equals(c[s][0], c[s][v])) {
                    System.out.println("results differ from b0's: " + names[s] + ", b" + v);
                }
            }
        }
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        long[] ticks = Machine.cpuTicks();
        double[][][] rate = new double[ns][nb][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int s = 0; s < ns; s++) {
                int[] sh = shapes[s];
                for (int k = 0; k < nb; k++) {
                    int v = (k + r) % nb;
                    long t0 = threads == 1 ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                    for (long i = 0; i < calls[s]; i++) {
                        call(gemm[v], sh, a[s], b[s], c[s][v], teams[v]);
                    }
                    long t1 = threads == 1 ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                    rate[s][v][r] = 2.0 * sh[2] * sh[3] * sh[4] * calls[s] / (t1 - t0);
                }
            }
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-11s", "shape"));
        for (int v = 0; v < nb; v++) {
            head.append(String.format(Locale.ROOT, " %9s", "b" + v + " GF/s"));
        }
        for (int v = 1; v < nb; v++) {
            head.append(String.format(Locale.ROOT, "  b%d/b0 [quartiles]  ", v));
        }
        System.out.println(head);
        for (int s = 0; s < ns; s++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-11s", names[s]));
            for (int v = 0; v < nb; v++) {
                line.append(String.format(Locale.ROOT, " %9.1f", median(rate[s][v])));
            }
            for (int v = 1; v < nb; v++) {
                double[] q = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    q[r] = rate[s][v][r] / rate[s][0][r];
                }
                Arrays.sort(q);
                line.append(String.format(Locale.ROOT, "  %5.3f [%5.3f %5.3f]", median(q), q[rounds / 4],
                        q[(3 * rounds) / 4]));
            }
            System.out.println(line);
        }
        Double steal = Machine.stealPercent(ticks, Machine.cpuTicks());
        if (steal != null) {
            System.out.printf(Locale.ROOT, "CPU time stolen by the host while timing: %.0f%%%n", steal);
        }
        for (Object team : teams) {
            if (team instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    private static void call(MethodHandle gemm, int[] sh, float[] a, float[] b, float[] c, Object team)
            throws Throwable {
        gemm.invoke(sh[0] == 1, sh[1] == 1, sh[2], sh[3], sh[4], 1f, a, 0, b, 0, 0f, c, 0, team);
    }

    /** {@code n} floats uniform in [-0.5, 0.5): the operands of this class's products, and of {@link GemmServer}'s. */
    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() - 0.5);
        }
        return x;
    }

    private static double median(double[] x) {
        double[] y = x.clone();
        Arrays.sort(y);
        return y[y.length / 2];
    }
}
