package dev.dendrite.bench;

import java.util.Locale;
import java.util.Random;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * The cost of each activation on the cpu backend: one hidden layer's forward and backward pass
 * ({@code biasActivationForward} then {@code activationBackward}) over a 128 x 512 batch of normal pre-activations
 * (spread 2), the best of 5 rounds of 300, in milliseconds per pass. The course compares relu, sigmoid, tanh, selu
 * and elu; relu's passes are vectorised, most others evaluate a transcendental function per element. To compare two
 * builds, run this class from each build's classes in turn (the jar's own, or {@code -cp java/core/target/classes}
 * beside a worktree of the other commit).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.ActivationBenchmark \
 *      [relu,sigmoid,tanh,... (default: every element-wise one)] [threads: 2]
 * </pre>
 */
public final class ActivationBenchmark {
    private static final int ROWS = 128;
    private static final int COLS = 512;
    private static final int REPS = 300;
    private static final int ROUNDS = 5;

    private ActivationBenchmark() {
    }

    public static void main(String[] args) {
        String names = args.length > 0 ? args[0] : null;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int n = ROWS * COLS;
        float[] z = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            z[i] = (float) (r.nextGaussian() * 2);
        }
        try (Backend be = new CpuBackend(threads);
             Buffer zb = be.allocate(DType.F32, n);
             Buffer yb = be.allocate(DType.F32, n);
             Buffer dyb = be.allocate(DType.F32, n);
             Buffer dzb = be.allocate(DType.F32, n)) {
            be.upload(z, 0, zb.all());
            be.upload(z, 0, dyb.all());
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "ms per forward + backward pass of %d x %d on %d threads (best of %d rounds of %d):%n", ROWS, COLS,
                    threads, ROUNDS, REPS));
            for (ActivationFunction f : ActivationFunction.values()) {
                if (f == ActivationFunction.SOFTMAX || (names != null
                        && !java.util.List.of(names.split(",")).contains(f.kerasName()))) {
                    continue;
                }
                double best = Double.MAX_VALUE;
                for (int round = 0; round < ROUNDS; round++) {
                    long t0 = System.nanoTime();
                    for (int k = 0; k < REPS; k++) {
                        be.biasActivationForward(zb.all(), null, ROWS, COLS, f, f.defaultAlpha(), yb.all());
                        be.activationBackward(zb.all(), yb.all(), dyb.all(), ROWS, COLS, f, f.defaultAlpha(),
                                dzb.all(), null);
                    }
                    be.synchronize();
                    best = Math.min(best, (System.nanoTime() - t0) / 1e6 / REPS);
                }
                out.append(String.format(Locale.ROOT, "  %-15s %.3f%n", f.kerasName(), best));
            }
            System.out.print(out);
        }
    }
}
