import java.util.Map;

import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

public class Notebook {
    public static void main(String[] args) throws Exception {
        TrainTest data = FashionMnist.load();               // says where it came from
        System.out.println(data.source());
        Dataset full = data.train();
        Dataset valid = full.rows(0, 10_000);                // X_valid = X_train_full[:10000]
        Dataset train = full.rows(10_000, full.size());
        Preprocessing scale = Preprocessing.fit("scale", train.images());   // fitted on training data only

        try (Sequential model = new Sequential(
                new Input(28, 28),
                new Flatten(),
                new Dense(512, "relu"),
                new Dense(512, "relu"),
                new Dense(10, "softmax"))) {
            model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            model.summary();
            History history = model.fit(scale.apply(train.images()), train.labels(), new FitOptions()
                    .batchSize(128).epochs(10)
                    .validationData(scale.apply(valid.images()), valid.labels())
                    .callbacks(new EarlyStopping().monitor("val_loss").patience(3).restoreBestWeights(true)));
            Map<String, Double> test = model.evaluate(scale.apply(data.test().images()), data.test().labels());
            System.out.println("test accuracy: " + test.get("accuracy"));
            history.writeCsv(java.nio.file.Path.of("history.csv"));  // train vs validation curves
            // Record how inputs were scaled, so that `dendrite evaluate` and `dendrite predict` scale them the same.
            model.metadata().put("preprocessing", Json.write(scale.toMap(), false));
            model.save(java.nio.file.Path.of("fashion.safetensors"));
        }
    }
}
