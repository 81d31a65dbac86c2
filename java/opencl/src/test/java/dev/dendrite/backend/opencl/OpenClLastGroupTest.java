package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * The kernels whose last work-group does their final step (kernels/common/last_group.h: the bias gradients' and the
 * output layer's column sums folded, each batch norm's mean, the softmax loss's statistics) train bit for bit like
 * column_finalize and accumulate_stats in launches of their own ({@code -Ddendrite.opencl.lastGroup=false}): two
 * epochs of a relu network with a batch norm, sparse labels, with a validation split (the statistics of an
 * evaluation too); weights, history and predictions compared.
 */
class OpenClLastGroupTest {
    private record Run(History history, List<float[]> weights, float[] predictions) {
    }

    private static Run train(boolean lastGroup) throws IOException {
        String key = "dendrite.opencl.lastGroup";
        String old = System.getProperty(key);
        OpenClBackend backend;
        System.setProperty(key, Boolean.toString(lastGroup));
        try {
            backend = OpenClTestSupport.backendOrSkip();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
        Dataset data = FashionMnist.loadSample().train().rows(0, 400);
        Inputs x = Preprocessing.fit("standardize", data.images()).apply(data.images());
        try (backend; Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(48, "relu"),
                new BatchNormalization(), new Dense(40, "relu"), new Dense(10, "softmax")).backend(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(x, data.labels(), new FitOptions().batchSize(50).epochs(2).verbose(0)
                    .validationSplit(0.25).seed(3));
            return new Run(h, m.getWeights(), m.predict(x.rows(0, 60)).toArray());
        }
    }

    @Test
    void theLastGroupTrainsBitForBitLikeTheLaunchesApart() throws IOException {
        Run folded = train(true);
        Run apart = train(false);
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(apart.history().get(key), folded.history().get(key), key + " per epoch");
        }
        assertEquals(apart.weights().size(), folded.weights().size());
        for (int i = 0; i < apart.weights().size(); i++) {
            assertArrayEquals(apart.weights().get(i), folded.weights().get(i), "weight array " + i);
        }
        assertArrayEquals(apart.predictions(), folded.predictions(), "predictions");
    }
}
