package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.assertWeightsNear;
import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.initialWeights;
import static dev.dendrite.keras.KerasFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.ModelCheckpoint;
import dev.dendrite.data.Tensor;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.optimizers.SGD;

/**
 * {@code ModelCheckpoint.saveFreq(n)} against Keras 3 itself: {@code keras-checkpoint-save-freq.json}, written by
 * {@code bench/keras/checkpoint_save_freq_fixture.py} (Keras 3.15 on JAX, CPU), records where Keras's
 * {@code ModelCheckpoint(save_freq=4, save_best_only=True, monitor="loss")} decided to save during a fit of 2 epochs
 * of 6 batches and a second fit of 1, the file names it formatted ({@code {epoch}}, {@code {batch}} and the batch
 * logs' running mean loss to 4 decimals) and the weights in each file it wrote. The same fits here must write the
 * same files, no others, holding Keras's weights.
 *
 * <p>Tolerances: the weights {@code 2e-5 + 1e-4 |w|} (KerasOptimizerReplayTest's: a few SGD steps in float32 with
 * sums in another order); the file names exactly, which holds while no running loss lies within float32 rounding
 * of a 4-decimal boundary (checked for this fixture: they are at least 2.5e-5 away).
 */
class KerasCheckpointSaveFreqTest extends KerasFixtureTest {
    @TempDir
    Path dir;

    KerasCheckpointSaveFreqTest() {
        super(KerasCheckpointSaveFreqTest.class, "keras-checkpoint-save-freq.json",
                "bench/keras/checkpoint_save_freq_fixture.py");
    }

    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }

    @SuppressWarnings("unchecked")
    @Test
    void savesWhereKerasSavesWithKerasNamesAndWeights() throws IOException {
        Tensor x = Tensor.wrap(floats(fixture.get("x")), 22, 5);
        int[] y = ints(fixture.get("y"));
        ModelCheckpoint checkpoint = new ModelCheckpoint(dir.resolve("e{epoch:02d}-b{batch:02d}-{loss:.4f}.weights.h5")
                .toString()).monitor("loss").saveBestOnly(true).saveWeightsOnly(true).saveFreq(4);
        List<String> written = new ArrayList<>();
        try (Sequential m = new Sequential(new Input(5), new Dense(8, "relu"), new Dense(3, "softmax"))
                .backend(backend)) {
            m.setWeights(initialWeights(fixture));
            m.compile(new SGD(0.1), "sparse_categorical_crossentropy", "accuracy");
            FitOptions options = new FitOptions().batchSize(4).shuffle(false).verbose(0).callbacks(checkpoint);
            m.fit(x, y, options.epochs(2));
            m.fit(x, y, options.epochs(1));
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).forEach(written::add);
        }
        Map<String, Object> saved = (Map<String, Object>) fixture.get("saved_weights");
        assertEquals(new TreeSet<>(saved.keySet()), new TreeSet<>(written), "files written");
        long skipped = ((List<Object>) fixture.get("decisions")).stream()
                .filter(d -> !(Boolean) ((Map<String, Object>) d).get("saved")).count();
        assertTrue(skipped > 0 && saved.size() > 1, "the fixture exercises both saving and skipping");
        for (Map.Entry<String, Object> e : saved.entrySet()) {
            try (Sequential probe = new Sequential(new Input(5), new Dense(8, "relu"), new Dense(3, "softmax"))
                    .backend(backend)) {
                probe.loadWeights(dir.resolve(e.getKey()));
                assertWeightsNear(e.getKey(), e.getValue(), probe.getWeights());
            }
        }
    }
}
