package dev.dendrite.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.ProfilingBackend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.ImageDataGenerator;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.RandomAffine;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * What augmentation costs a CPU epoch of the notebook network (784-512-512-10 relu, Adam, batch 128) on
 * Fashion-MNIST: the same network without and with the notebook generator's transforms in front
 * ({@code ImageDataGenerator(rotation_range=10, zoom_range=0.1, width_shift_range=0.1, height_shift_range=0.1)}):
 * {@code --layers one} (the default) as {@code asLayer}, one {@code RandomAffine} resampling per image;
 * {@code --layers keras3} as {@code asLayers}, Keras 3's rotation, translation and zoom layers, three resamplings.
 * The machine is shared, so the two networks run alternately, one epoch each per round, and the result is the ratio
 * within each round (after a warm-up round), with its median: of wall time, and of the process's CPU time (all
 * threads, JIT and GC included), which other jobs on a loaded machine disturb less than the wall clock. Since the
 * backend's helper threads poll between ops ({@code CpuWorkers}), that CPU time also counts their waiting, about
 * threads x wall time, so the CPU-time ratio now tracks the wall-clock one; run with
 * {@code -Ddendrite.cpu.spinMicros=0} for a CPU time of work alone (at some cost in speed).
 * {@code -Ddendrite.augment.scalar=true} runs the CPU's scalar affine loop instead of the vector one (the figure
 * before it).
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.AugmentBenchmark --rounds 4 --train 60000
 * </pre>
 *
 * <p>{@code --op B} times the op alone instead (see {@link #op}). {@code --profile true} gives each network its own
 * {@link ProfilingBackend} over the one CPU backend and prints, after the measured rounds, every op each issued: how
 * many calls and how long (the CPU backend is synchronous, so an op's time is its own). It showed that the augmented
 * step issues the plain step's ops plus one {@code augmentAffine}, nothing more (bench/RESULTS.md).
 */
public final class AugmentBenchmark {
    private AugmentBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 4;
        int trainSize = 60000;
        String data = null;
        String layers = "one";
        int opBatches = 0;
        boolean profile = false;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--train" -> trainSize = Integer.parseInt(args[i + 1]);
                case "--data" -> data = args[i + 1];
                case "--layers" -> layers = args[i + 1];
                case "--op" -> opBatches = Integer.parseInt(args[i + 1]);
                case "--profile" -> profile = Boolean.parseBoolean(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --rounds N, --train N, --data DIR, --layers one|keras3, --op BATCHES, "
                        + "--profile true|false");
            }
        }
        if (opBatches > 0) {
            op(opBatches, rounds);
            return;
        }
        TrainTest tt = data != null ? FashionMnist.load(Path.of(data)) : FashionMnist.load();
        Dataset train = tt.train().rows(0, Math.min(trainSize, tt.train().size()));
        Preprocessing prep = Preprocessing.fit(Preprocessing.Kind.SCALE, train.images());
        ImageDataGenerator generator = new ImageDataGenerator().rotationRange(10).zoomRange(0.1).widthShiftRange(0.1)
                .heightShiftRange(0.1);
        List<Layer> augmentation = layers.equals("keras3") ? generator.asLayers(28, 28)
                : List.of(generator.asLayer(28, 28));
        List<Double> ratios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(Runtime.getRuntime().availableProcessors())) {
            // not closed: closing a profiler closes the backend it wraps, which the try closes
            ProfilingBackend plainOps = profile ? new ProfilingBackend(cpu, false) : null;
            ProfilingBackend augmentedOps = profile ? new ProfilingBackend(cpu, false) : null;
            rounds(rounds, prep, train, augmentation, profile ? plainOps.backend() : cpu,
                    profile ? augmentedOps.backend() : cpu, ratios, cpuRatios, () -> {
                        if (plainOps != null) {
                            plainOps.reset();
                            augmentedOps.reset();
                        }
                    });
            if (profile) {
                System.out.println("ops of the measured rounds, without augmentation:");
                System.out.println(plainOps.report());
                System.out.println("ops of the measured rounds, with augmentation:");
                System.out.println(augmentedOps.report());
            }
        }
        System.out.printf(Locale.ROOT, "augmented / plain epoch: median %s (target: at most 1.15); CPU time: median %s%n",
                summary(ratios), summary(cpuRatios));
    }

    /**
     * Round 0 (warm-up) and {@code rounds} measured rounds of one epoch each of the plain and the augmented network,
     * alternating which goes first; {@code afterWarmUp} runs once round 0 is done.
     */
    private static void rounds(int rounds, Preprocessing prep, Dataset train, List<Layer> augmentation,
                               Backend plainBackend, Backend augmentedBackend, List<Double> ratios,
                               List<Double> cpuRatios, Runnable afterWarmUp) {
        try (Sequential plain = network(List.of()).backend(plainBackend);
             Sequential augmented = network(augmentation).backend(augmentedBackend)) {
            plain.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            augmented.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            System.out.printf(Locale.ROOT, "%s, %s, load %s; %d images per epoch; augmentation %s%n",
                    Machine.cpuModel(), Machine.isa(), Machine.loadAverage(), train.size(), augmentation);
            for (int r = 0; r <= rounds; r++) {
                // alternate which goes first, so that neither always follows the other's garbage
                Sequential first = r % 2 == 0 ? plain : augmented;
                Sequential second = r % 2 == 0 ? augmented : plain;
                double c0 = cpuSeconds();
                double t1 = epoch(first, prep, train, r);
                double c1 = cpuSeconds();
                double t2 = epoch(second, prep, train, r);
                double c2 = cpuSeconds();
                double tPlain = first == plain ? t1 : t2;
                double tAug = first == plain ? t2 : t1;
                double cPlain = first == plain ? c1 - c0 : c2 - c1;
                double cAug = first == plain ? c2 - c1 : c1 - c0;
                System.out.printf(Locale.ROOT, "round %d%s: without %.2f s (CPU %.2f s), with %.2f s (CPU %.2f s), "
                        + "ratio %.3f (CPU %.3f)%n", r, r == 0 ? " (warm-up)" : "", tPlain, cPlain, tAug, cAug,
                        tAug / tPlain, cAug / cPlain);
                if (r > 0) {
                    ratios.add(tAug / tPlain);
                    cpuRatios.add(cAug / cPlain);
                } else {
                    afterWarmUp.run();
                }
            }
        }
    }

    /**
     * {@code --op B}: the notebook generator's {@code RandomAffine} op alone on the CPU backend, B batches of 128
     * random 28x28 images per round, after a warm-up round: nanoseconds per output pixel, wall and process CPU.
     */
    private static void op(int batches, int rounds) throws Exception {
        int rows = 128;
        int hw = 28 * 28;
        AffineAugment spec = ((RandomAffine) new ImageDataGenerator().rotationRange(10).zoomRange(0.1)
                .widthShiftRange(0.1).heightShiftRange(0.1).asLayer(28, 28)).spec();
        float[] images = new float[rows * hw];
        Random rnd = new Random(1);
        for (int i = 0; i < images.length; i++) {
            images[i] = rnd.nextFloat();
        }
        try (CpuBackend cpu = new CpuBackend(Runtime.getRuntime().availableProcessors());
             Buffer x = cpu.allocate(DType.F32, images.length);
             Buffer y = cpu.allocate(DType.F32, images.length);
             Buffer counters = cpu.allocate(DType.I32, Backend.COUNTERS_LENGTH)) {
            cpu.upload(images, 0, x.all());
            System.out.printf(Locale.ROOT, "%s, %s, load %s; %s; %d batches of %d images per round; %s%n",
                    Machine.cpuModel(), Machine.isa(), Machine.loadAverage(), cpu.description(), batches, rows, spec);
            List<Double> wall = new ArrayList<>();
            List<Double> cpuTime = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) {
                double c0 = cpuSeconds();
                long t0 = System.nanoTime();
                for (int b = 0; b < batches; b++) {
                    cpu.upload(new int[] {r * batches + b, 0}, 0, counters.all());
                    cpu.augmentAffine(x.all(), y.all(), rows, 28, 28, spec, 7, 0, counters.all());
                }
                double pixels = (double) batches * rows * hw;
                double ns = (System.nanoTime() - t0) / pixels;
                double cpuNs = (cpuSeconds() - c0) * 1e9 / pixels;
                System.out.printf(Locale.ROOT, "round %d%s: %.2f ns per output pixel, CPU %.2f ns%n", r,
                        r == 0 ? " (warm-up)" : "", ns, cpuNs);
                if (r > 0) {
                    wall.add(ns);
                    cpuTime.add(cpuNs);
                }
            }
            System.out.printf(Locale.ROOT, "ns per output pixel: median %s; CPU: median %s%n", summary(wall),
                    summary(cpuTime));
        }
    }

    /** The median, then how many and all of them, sorted. */
    private static String summary(List<Double> ratios) {
        double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        StringBuilder all = new StringBuilder();
        for (double d : sorted) {
            all.append(all.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", d));
        }
        return String.format(Locale.ROOT, "%.3f over %d rounds [%s]", median, sorted.length, all);
    }

    /** CPU time of the whole process so far (every thread: the pool's, the JIT's, the GC's), in seconds. */
    private static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() * 1e-9;
        }
        return Double.NaN;
    }

    private static Sequential network(List<Layer> augmentation) {
        Sequential m = new Sequential(new Input(28, 28));
        augmentation.forEach(m::add);
        return m.add(new Flatten()).add(new Dense(512, "relu")).add(new Dense(512, "relu"))
                .add(new Dense(10, "softmax")).seed(1);
    }

    private static double epoch(Sequential m, Preprocessing prep, Dataset train, int round) {
        History h = m.fit(prep.apply(train.images()), train.labels(), new FitOptions().batchSize(128).epochs(1)
                .verbose(0).seed(round));
        return h.get("epoch_time_s").get(0);
    }
}
