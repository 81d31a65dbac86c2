package dev.dendrite.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * What rarely active weights cost the CPU optimizers: Adam (or SGD with momentum) over the notebook network's
 * 669,706 parameters, where a share of them ({@code --rare}, default 0.3) gets a gradient only now and then
 * ({@code --active}, default 0.002 a step) and zero otherwise, like a first-layer weight on a border pixel. Their
 * moments then decay step by step through the subnormal floats, which x86 computes on through microcode assists.
 * The other parameters get a gradient every step. The benchmark runs {@code --steps} updates (default 4,000), times
 * the second half (the update alone, through {@link Backend#adamUpdate} or {@link Backend#sgdUpdate}; the
 * gradients' upload is outside the timing), and prints the median and mean milliseconds per update and how many
 * optimizer states are subnormal at the end. It uses only the public backend API, so an older build's jar ahead of
 * this one on the class path times that build's optimizer:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar \
 *     dev.dendrite.bench.OptimizerSubnormalBenchmark
 * java --add-modules jdk.incubator.vector -cp OLD/dendrite-bench.jar:bench/target/dendrite-bench.jar \
 *     dev.dendrite.bench.OptimizerSubnormalBenchmark --optimizer sgd
 * </pre>
 *
 * {@code --active 1} gives every parameter a gradient every step: the update's speed with no subnormal state.
 */
public final class OptimizerSubnormalBenchmark {
    private static final int PARAMS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10;

    private OptimizerSubnormalBenchmark() {
    }

    public static void main(String[] args) {
        String optimizer = "adam";
        double rare = 0.3;
        double active = 0.002;
        int steps = 4000;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--optimizer" -> optimizer = args[i + 1];
                case "--rare" -> rare = Double.parseDouble(args[i + 1]);
                case "--active" -> active = Double.parseDouble(args[i + 1]);
                case "--steps" -> steps = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected --optimizer "
                        + "adam|sgd, --rare FRACTION, --active PROBABILITY, --steps N, --threads N");
            }
        }
        if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("--optimizer " + optimizer + "; expected adam or sgd");
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option " + args[args.length - 1] + " has no value");
        }
        SplittableRandom rnd = new SplittableRandom(1);
        boolean[] isRare = new boolean[PARAMS];
        float[] p = new float[PARAMS];
        for (int i = 0; i < PARAMS; i++) {
            isRare[i] = rnd.nextDouble() < rare;
            p[i] = (float) (rnd.nextGaussian() * 0.05);
        }
        float[] g = new float[PARAMS];
        List<Double> times = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads);
             Buffer params = be.allocate(DType.F32, PARAMS);
             Buffer grads = be.allocate(DType.F32, PARAMS);
             Buffer m = be.allocate(DType.F32, PARAMS);
             Buffer v = be.allocate(DType.F32, PARAMS);
             Buffer hyper = be.allocate(DType.F32, 4);
             Buffer counters = be.allocate(DType.I32, Backend.COUNTERS_LENGTH)) {
            be.upload(p, 0, params.all());
            be.fill(m.all(), 0f);
            be.fill(v.all(), 0f);
            be.fill(hyper.all(), optimizer.equals("adam") ? 1e-3f : 1e-2f);
            be.upload(new int[Backend.COUNTERS_LENGTH], 0, counters.all());
            System.out.printf(Locale.ROOT, "%s, %s, load %s; %s; %s over %d parameters, %.0f%% of them given a "
                    + "gradient with probability %s a step%n", Machine.cpuModel(), Machine.isa(), Machine.loadAverage(),
                    be.description(), optimizer, PARAMS, 100 * rare, active);
            for (int s = 0; s < steps; s++) {
                for (int i = 0; i < PARAMS; i++) {
                    g[i] = !isRare[i] || rnd.nextDouble() < active ? (float) (rnd.nextGaussian() * 1e-3) : 0f;
                }
                be.upload(g, 0, grads.all());
                be.synchronize();
                long t0 = System.nanoTime();
                if (optimizer.equals("adam")) {
                    be.adamUpdate(params.all(), grads.all(), m.all(), v.all(), null, PARAMS, hyper.all(),
                            counters.all(), 0.9f, 0.999f, 1e-7f);
                } else {
                    be.sgdUpdate(params.all(), grads.all(), m.all(), PARAMS, hyper.all(), 0.9f, false);
                }
                be.synchronize();
                long t1 = System.nanoTime();
                be.advanceCounters(counters.all());
                if (s >= steps / 2) {
                    times.add((t1 - t0) / 1e6);
                }
            }
            float[] state = new float[PARAMS];
            be.download(m.all(), state, 0);
            long subnormal = 0;
            for (float x : state) {
                subnormal += x != 0 && Math.abs(x) < Float.MIN_NORMAL ? 1 : 0;
            }
            double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "%s: %.3f ms per update (median of the last %d; mean %.3f); %d of %d %s "
                    + "subnormal at the end%n", optimizer, sorted[sorted.length / 2], sorted.length,
                    Arrays.stream(sorted).average().orElse(Double.NaN), subnormal, PARAMS,
                    optimizer.equals("adam") ? "first moments" : "velocities");
        }
    }
}
