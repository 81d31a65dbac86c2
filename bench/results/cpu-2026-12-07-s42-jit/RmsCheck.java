import java.util.Map;

import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.RMSprop;

/** Fashion-MNIST, the notebook's 512-512-10 network, RMSprop centered with momentum 0.9 (lr 1e-4), 5 epochs. */
public class RmsCheck {
    public static void main(String[] args) throws Exception {
        TrainTest data = FashionMnist.load();
        Dataset full = data.train();
        Dataset valid = full.rows(0, 10_000);
        Dataset train = full.rows(10_000, full.size());
        try (Sequential model = new Sequential(new Input(28, 28), new Rescaling(1.0 / 255), new Flatten(),
                new Dense(512, "relu"), new Dense(512, "relu"), new Dense(10, "softmax"))) {
            model.compile(new RMSprop(1e-4, 0.9, 0.9, 1e-7, true), "sparse_categorical_crossentropy", "accuracy");
            long t0 = System.nanoTime();
            History h = model.fit(train.images(), train.labels(), new FitOptions().batchSize(128).epochs(5).seed(1)
                    .validationData(valid.images(), valid.labels()).verbose(0));
            double s = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> test = model.evaluate(data.test().images(), data.test().labels());
            System.out.printf("fit %.1f s; val_accuracy per epoch %s; test accuracy %.4f%n", s,
                    h.history().get("val_accuracy"), test.get("accuracy"));
        }
    }
}
