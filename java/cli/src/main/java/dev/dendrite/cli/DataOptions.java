package dev.dendrite.cli;

import java.io.IOException;
import java.nio.file.Path;

import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Mnist;
import dev.dendrite.data.TrainTest;
import picocli.CommandLine.Option;

/** Which dataset to read, shared by {@code train} and {@code evaluate}. */
final class DataOptions {
    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "fashion-mnist",
            description = "fashion-mnist or mnist (default: ${DEFAULT-VALUE}; for evaluate, the dataset the model "
                    + "was trained on when its file says).")
    String dataset;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder holding the four IDX files (plain or .gz). Default: $DENDRITE_DATA, then "
                    + "/usr/share/datasets/fashion-mnist, then ~/.dendrite/datasets, then (Fashion-MNIST only) "
                    + "the small sample bundled in the jar.")
    Path dir;

    @Option(names = "--sample", description = "Use the bundled Fashion-MNIST sample (3000 train / 1000 test).")
    boolean sample;

    /** Whether two --dataset values name the same dataset (fashion-mnist is also spelt fashion_mnist). */
    static boolean sameDataset(String a, String b) {
        return a.replace('_', '-').equalsIgnoreCase(b.replace('_', '-'));
    }

    TrainTest load() throws IOException {
        if (sample && dir != null) {
            throw new IllegalArgumentException("--sample and --data " + dir + " both choose the data; give one: "
                    + "--sample for the small sample bundled in the jar, --data for a folder of IDX files");
        }
        switch (dataset) {
            case "fashion-mnist":
            case "fashion_mnist":
                return sample ? FashionMnist.loadSample() : FashionMnist.load(dir);
            case "mnist":
                if (sample) {
                    throw new IllegalArgumentException("--sample is only available for fashion-mnist");
                }
                return Mnist.load(dir);
            default:
                throw new IllegalArgumentException("unknown --dataset '" + dataset
                        + "'; expected fashion-mnist or mnist");
        }
    }
}
