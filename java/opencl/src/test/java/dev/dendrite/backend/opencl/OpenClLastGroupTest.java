package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;

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
    /** A backend with -Ddendrite.opencl.lastGroup set to {@code lastGroup} while it opens (it reads it then). */
    private static OpenClBackend backend(boolean lastGroup) {
        String key = "dendrite.opencl.lastGroup";
        String old = System.getProperty(key);
        System.setProperty(key, Boolean.toString(lastGroup));
        try {
            return OpenClTestSupport.backendOrSkip();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    private static TrainedRun train(boolean lastGroup) throws IOException {
        OpenClBackend backend = backend(lastGroup);
        Dataset data = FashionMnist.loadSample().train().rows(0, 400);
        Inputs x = Preprocessing.fit("standardize", data.images()).apply(data.images());
        try (backend; Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(48, "relu"),
                new BatchNormalization(), new Dense(40, "relu"), new Dense(10, "softmax")).backend(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(x, data.labels(), new FitOptions().batchSize(50).epochs(2).verbose(0)
                    .validationSplit(0.25).seed(3));
            return new TrainedRun(h, m.getWeights(), m.predict(x.rows(0, 60)).toArray());
        }
    }

    @Test
    void theLastGroupTrainsBitForBitLikeTheLaunchesApart() throws IOException {
        train(true).assertSameAs(train(false));
    }

    /**
     * The launches that the last group saves, in a recorded training step of a relu network with a softmax output
     * layer: with it, no column sum has a launch of its own (the hidden layers' bias gradients fold in
     * activation_backward, the output layer's in its loss kernel: row_stats.h), or where the output layer and the
     * loss run apart (-Ddendrite.fuseLayers=false), the output layer's alone; without it, column_partial_sums sums
     * the output layer's bias gradient in the backward pass, and column_finalize folds the others.
     */
    @Test
    void aRecordedStepSumsNoColumnsInALaunchOfItsOwn() throws IOException {
        boolean withLoss = !"false".equals(System.getProperty("dendrite.fuseLayers"));
        for (boolean lastGroup : new boolean[] {true, false}) {
            List<String> step = recordedStep(lastGroup);
            long columnLaunches = step.stream().filter(c -> c.startsWith("reductions.cl:column_")).count();
            // softmax_forward_xent_rows where the tuner keeps gemm_rows for the output layer's product
            assertEquals(withLoss ? 1 : 0, step.stream().filter(c -> c.equals("losses.cl:softmax_forward_xent_sparse")
                    || c.equals("losses.cl:softmax_forward_xent_rows")).count(),
                    "the output layer's loss kernel, lastGroup=" + lastGroup + ": " + step);
            if (lastGroup) {
                assertEquals(withLoss ? 0 : 1, columnLaunches, "column sums in launches of their own: " + step);
            } else {
                assertTrue(step.contains("reductions.cl:column_partial_sums"), "the output layer's bias: " + step);
                assertTrue(columnLaunches >= 3, "the bias gradients' column sums apart: " + step);
            }
        }
    }

    /**
     * The commands of a step that a fit records (the last one recorded by its eighth batch: each batch buffer's first
     * step is issued, its second recorded, RecordedSteps).
     */
    private static List<String> recordedStep(boolean lastGroup) throws IOException {
        OpenClBackend backend = backend(lastGroup);
        Dataset data = FashionMnist.loadSample().train().rows(0, 500);
        Inputs x = Preprocessing.fit("scale", data.images()).apply(data.images());
        List<List<String>> seen = new java.util.ArrayList<>();
        try (backend; Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(48, "relu"),
                new Dense(40, "relu"), new Dense(10, "softmax")).backend(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            Callback probe = new Callback() {
                @Override
                public void onTrainBatchEnd(int batch, Logs logs) {
                    if (batch == 7) {
                        seen.addAll(backend.recordedCommands());
                    }
                }
            };
            m.fit(x, data.labels(), new FitOptions().batchSize(50).epochs(1).verbose(0).seed(5).callbacks(probe));
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(seen.isEmpty(),
                "no step was recorded (-Ddendrite.opencl.record=false): nothing to list");
        return seen.get(seen.size() - 1);
    }
}
