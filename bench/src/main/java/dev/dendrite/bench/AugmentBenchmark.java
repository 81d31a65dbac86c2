package dev.dendrite.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

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
 * within each round (after a warm-up round), with its median.
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.AugmentBenchmark --rounds 4 --train 60000
 * </pre>
 */
public final class AugmentBenchmark {
    private AugmentBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 4;
        int trainSize = 60000;
        String data = null;
        String layers = "one";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--train" -> trainSize = Integer.parseInt(args[i + 1]);
                case "--data" -> data = args[i + 1];
                case "--layers" -> layers = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --rounds N, --train N, --data DIR, --layers one|keras3");
            }
        }
        TrainTest tt = data != null ? FashionMnist.load(Path.of(data)) : FashionMnist.load();
        Dataset train = tt.train().rows(0, Math.min(trainSize, tt.train().size()));
        Preprocessing prep = Preprocessing.fit(Preprocessing.Kind.SCALE, train.images());
        ImageDataGenerator generator = new ImageDataGenerator().rotationRange(10).zoomRange(0.1).widthShiftRange(0.1)
                .heightShiftRange(0.1);
        List<Layer> augmentation = layers.equals("keras3") ? generator.asLayers(28, 28)
                : List.of(generator.asLayer(28, 28));
        List<Double> ratios = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(Runtime.getRuntime().availableProcessors());
             Sequential plain = network(List.of()).backend(cpu);
             Sequential augmented = network(augmentation).backend(cpu)) {
            plain.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            augmented.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            System.out.printf(Locale.ROOT, "%s, %s, load %s; %d images per epoch; augmentation %s%n",
                    Machine.cpuModel(), Machine.isa(), Machine.loadAverage(), train.size(), augmentation);
            for (int r = 0; r <= rounds; r++) {
                // alternate which goes first, so that neither always follows the other's garbage
                Sequential first = r % 2 == 0 ? plain : augmented;
                Sequential second = r % 2 == 0 ? augmented : plain;
                double t1 = epoch(first, prep, train, r);
                double t2 = epoch(second, prep, train, r);
                double tPlain = first == plain ? t1 : t2;
                double tAug = first == plain ? t2 : t1;
                System.out.printf(Locale.ROOT, "round %d%s: without %.2f s, with %.2f s, ratio %.3f%n", r,
                        r == 0 ? " (warm-up)" : "", tPlain, tAug, tAug / tPlain);
                if (r > 0) {
                    ratios.add(tAug / tPlain);
                }
            }
        }
        double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "augmented / plain epoch: median %.3f over %d rounds %s (target: at most 1.15)%n",
                median, sorted.length, Arrays.toString(sorted));
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
