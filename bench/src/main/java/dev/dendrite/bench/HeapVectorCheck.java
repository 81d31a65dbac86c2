package dev.dendrite.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Whether the cpu backend's Vector API loops still keep their vectors in registers after a long run: each op is called
 * in phases, and the last phase's time and heap bytes per call are printed. JDK 17's C2 boxes a vector on the heap
 * when it stops inlining inside a large method (NodeCountInliningCutoff) or fails to intrinsify an operation deep in
 * an inlined chain, and it may do so only after a recompilation a second or more into a run, which a short JMH fork
 * does not reach: Adadelta's float step measured 0.29 ms in JMH and 1.15 ms in training (bench/RESULTS.md, "Vector
 * code that C2 compiles whole"). A call that allocates more than 64 KiB is marked {@code BOXED} and the exit status
 * is 1: the ops allocate at most a few small objects and a column-sized scratch array per call, while boxed vectors
 * of these shapes take megabytes. Which loop boxes depends on what C2 saw before compiling it, and with short phases
 * an op can be measured before C2 has compiled it at all (Adagrad was marked once at 2 s per op and was clean at 5 s
 * on a 2-vCPU machine), so re-run a marked op with more seconds before investigating it; one clean run is evidence,
 * not proof. A filter changes what C2 sees too, since shared call sites then see only the chosen ops: with only Adam
 * and Nadam selected ({@code "adam"}), the call site the optimizers then shared had exactly two receivers, C2 inlined
 * both loops into one compilation and Adam's vectors went to the heap (16 MB a step). The whole check did not show
 * it, but training RMSprop and then Adam in one JVM did, and each optimizer now calls its loop from a site of its own
 * (AMD EPYC AVX-512, 2026-12-07). So run the whole check, and a filtered one for what a program mixes.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.HeapVectorCheck \
 *      [seconds per op: 6] [op names: a regular expression found in them, all by default]
 * </pre>
 * The shapes are the notebook network's: a 128 x 512 hidden layer for activations, dropout and batch norm, its
 * 669,706 parameters for the optimizers, and its three products (forward and both backward ones), also accumulating
 * ({@code beta = 1}) as a later k-block does.
 */
public final class HeapVectorCheck {
    private static final int ROWS = 128;
    private static final int WIDTH = 512;
    private static final int PARAMS = 669_706;
    private static final long BOXED_BYTES_PER_CALL = 64 * 1024;
    private static final int PHASES = 6;

    private HeapVectorCheck() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 6;
        Pattern filter = Pattern.compile(args.length > 1 ? args[1] : "");
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<String> boxed = new ArrayList<>();
        try (Backend be = new CpuBackend()) {
            Map<String, Runnable> ops = ops(be);
            // Every op a little first, as a training step mixes them: the Vector API's shared call sites then carry
            // the profiles of all of them, as in training, before any op is measured.
            for (Map.Entry<String, Runnable> op : ops.entrySet()) {
                if (filter.matcher(op.getKey()).find()) {
                    calibrate(op.getValue(), be, 0);
                }
            }
            System.out.printf(Locale.ROOT, "%-28s %12s %14s  (last of %d phases, %.1f s per op)%n", "op", "us/call",
                    "bytes/call", PHASES, seconds);
            for (Map.Entry<String, Runnable> op : ops.entrySet()) {
                if (!filter.matcher(op.getKey()).find()) {
                    continue;
                }
                long callsPerPhase = calibrate(op.getValue(), be, seconds / PHASES);
                double us = 0;
                double bytes = 0;
                for (int phase = 0; phase < PHASES; phase++) {
                    long a0 = allocated(threads);
                    long t0 = System.nanoTime();
                    for (long i = 0; i < callsPerPhase; i++) {
                        op.getValue().run();
                        be.synchronize();
                    }
                    us = (System.nanoTime() - t0) / 1e3 / callsPerPhase;
                    bytes = (double) (allocated(threads) - a0) / callsPerPhase;
                }
                boolean isBoxed = bytes > BOXED_BYTES_PER_CALL;
                if (isBoxed) {
                    boxed.add(op.getKey());
                }
                System.out.printf(Locale.ROOT, "%-28s %12.1f %14.0f%s%n", op.getKey(), us, bytes,
                        isBoxed ? "  BOXED" : "");
            }
        }
        if (!boxed.isEmpty()) {
            System.out.println("vectors on the heap in the steady state: " + boxed);
            System.exit(1);
        }
    }

    /** Calls per phase so that a phase lasts about {@code phaseSeconds}, from a first timed burst. */
    private static long calibrate(Runnable op, Backend be, double phaseSeconds) {
        long n = 0;
        long t0 = System.nanoTime();
        do {
            op.run();
            be.synchronize();
            n++;
        } while (System.nanoTime() - t0 < 200_000_000L);
        double perCall = (System.nanoTime() - t0) / 1e9 / n;
        return Math.max(1, (long) (phaseSeconds / perCall));
    }

    /** Heap bytes allocated so far by every live thread (the backend's helper threads included). */
    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    private static Map<String, Runnable> ops(Backend be) {
        SplittableRandom rnd = new SplittableRandom(42);
        int n = ROWS * WIDTH;
        Buffer x = OpBenchmarks.random(be, 784 * 784, rnd);
        Buffer w = OpBenchmarks.random(be, 784 * 784, rnd);
        Buffer out = OpBenchmarks.random(be, 784 * 784, rnd);
        Buffer z = OpBenchmarks.random(be, n, rnd);
        Buffer y = be.allocate(DType.F32, n);
        Buffer dy = OpBenchmarks.random(be, n, rnd);
        Buffer dz = be.allocate(DType.F32, n);
        Buffer p = OpBenchmarks.random(be, PARAMS, rnd);
        Buffer g = OpBenchmarks.random(be, PARAMS, rnd);
        Buffer s1 = be.allocate(DType.F32, PARAMS);
        Buffer s2 = be.allocate(DType.F32, PARAMS);
        Buffer s3 = be.allocate(DType.F32, PARAMS);
        Buffer hyper = be.allocate(DType.F32, 4);
        be.fill(hyper.all(), 1e-3f);
        Buffer counters = be.allocate(DType.I32, Backend.COUNTERS_LENGTH);
        Buffer gamma = OpBenchmarks.random(be, WIDTH, rnd);
        Buffer beta = OpBenchmarks.random(be, WIDTH, rnd);
        Buffer runMean = be.allocate(DType.F32, WIDTH);
        Buffer runVar = be.allocate(DType.F32, WIDTH);
        be.fill(runVar.all(), 1f);
        Buffer saveMean = be.allocate(DType.F32, WIDTH);
        Buffer saveInvStd = be.allocate(DType.F32, WIDTH);
        Buffer dgamma = be.allocate(DType.F32, WIDTH);
        Buffer dbeta = be.allocate(DType.F32, WIDTH);

        Map<String, Runnable> ops = new LinkedHashMap<>();
        ops.put("gemm 128x512x784 NN", () -> be.gemm(false, false, ROWS, WIDTH, 784, 1f, x.all(), w.all(), 0f,
                out.all()));
        ops.put("gemm 784x512x128 TN", () -> be.gemm(true, false, 784, WIDTH, ROWS, 1f, x.all(), w.all(), 0f,
                out.all()));
        ops.put("gemm 128x784x512 NT", () -> be.gemm(false, true, ROWS, 784, WIDTH, 1f, x.all(), w.all(), 0f,
                out.all()));
        ops.put("gemm 128x512x784 NN beta1", () -> be.gemm(false, false, ROWS, WIDTH, 784, 1f, x.all(), w.all(), 1f,
                out.all()));
        for (ActivationFunction f : ActivationFunction.values()) {
            if (f == ActivationFunction.SOFTMAX || f == ActivationFunction.LINEAR) {
                continue;
            }
            ops.put("activation " + f.kerasName(), () -> {
                be.biasActivationForward(z.all(), null, ROWS, WIDTH, f, f.defaultAlpha(), y.all());
                be.activationBackward(z.all(), y.all(), dy.all(), ROWS, WIDTH, f, f.defaultAlpha(), dz.all(), null);
            });
        }
        long[] seed = {7L};
        // A new seed draws a new mask (the forward pass); the same one reapplies the kept mask (the backward pass).
        ops.put("dropout new mask", () -> be.dropoutForward(z.all(), y.all(), n, 0.2f, ++seed[0], 1, counters.all()));
        ops.put("dropout kept mask", () -> be.dropoutForward(z.all(), y.all(), n, 0.2f, 7L, 2, counters.all()));
        ops.put("batch norm", () -> {
            be.batchNormForwardTraining(z.all(), ROWS, WIDTH, gamma.all(), beta.all(), 1e-3f, 0.99f, runMean.all(),
                    runVar.all(), y.all(), saveMean.all(), saveInvStd.all());
            be.batchNormBackward(z.all(), dy.all(), ROWS, WIDTH, gamma.all(), saveMean.all(), saveInvStd.all(),
                    dz.all(), dgamma.all(), dbeta.all());
        });
        ops.put("optimizer sgd momentum", () -> be.sgdUpdate(p.all(), g.all(), s1.all(), PARAMS, hyper.all(), 0.9f,
                false));
        ops.put("optimizer adam", () -> be.adamUpdate(p.all(), g.all(), s1.all(), s2.all(), null, PARAMS,
                hyper.all(), counters.all(), 0.9f, 0.999f, 1e-7f));
        ops.put("optimizer rmsprop", () -> be.rmspropUpdate(p.all(), g.all(), s2.all(), null, null, PARAMS,
                hyper.all(), 0.9f, 0f, 1e-7f));
        ops.put("optimizer rmsprop momentum", () -> be.rmspropUpdate(p.all(), g.all(), s2.all(), s1.all(), null,
                PARAMS, hyper.all(), 0.9f, 0.9f, 1e-7f));
        ops.put("optimizer rmsprop centered", () -> be.rmspropUpdate(p.all(), g.all(), s2.all(), null, s3.all(),
                PARAMS, hyper.all(), 0.9f, 0f, 1e-7f));
        ops.put("optimizer rmsprop centered momentum", () -> be.rmspropUpdate(p.all(), g.all(), s2.all(), s1.all(),
                s3.all(), PARAMS, hyper.all(), 0.9f, 0.9f, 1e-7f));
        ops.put("optimizer adagrad", () -> be.adagradUpdate(p.all(), g.all(), s2.all(), PARAMS, hyper.all(), 1e-7f));
        ops.put("optimizer adadelta", () -> be.adadeltaUpdate(p.all(), g.all(), s1.all(), s2.all(), PARAMS,
                hyper.all(), 0.95f, 1e-7f));
        ops.put("optimizer adamax", () -> be.adamaxUpdate(p.all(), g.all(), s1.all(), s2.all(), PARAMS, hyper.all(),
                counters.all(), 0.9f, 0.999f, 1e-7f));
        ops.put("optimizer nadam", () -> be.nadamUpdate(p.all(), g.all(), s1.all(), s2.all(), PARAMS, hyper.all(),
                counters.all(), 0.9f, 0.999f, 1e-7f));
        ops.put("optimizer lion", () -> be.lionUpdate(p.all(), g.all(), s1.all(), PARAMS, hyper.all(), 0.9f, 0.99f));
        return ops;
    }
}
