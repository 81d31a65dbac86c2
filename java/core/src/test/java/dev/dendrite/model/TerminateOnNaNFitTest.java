package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.callbacks.TerminateOnNaN;
import dev.dendrite.data.Tensor;
import dev.dendrite.optimizers.SGD;

/** TerminateOnNaN in a real fit: training ends at the first batch whose running loss is not finite, as Keras 3. */
class TerminateOnNaNFitTest extends CpuModelTestBase {
    @Test
    void aDivergingFitEndsAtTheBatchItNames() {
        Object[] d = SequentialTest.blobs(64, 14);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        TerminateOnNaN stop = new TerminateOnNaN(new PrintStream(text, true, StandardCharsets.UTF_8));
        List<Integer> batches = new ArrayList<>();
        Callback count = new Callback() {
            @Override
            public void onTrainBatchEnd(int batch, Logs logs) {
                batches.add(batch);
            }
        };
        try (Sequential m = smallNet()) {
            m.compile(new SGD(1e30), new dev.dendrite.losses.SparseCategoricalCrossentropy(), "accuracy");
            History h = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().batchSize(8).epochs(3).verbose(0)
                    .shuffle(false).terminateOnNaN(false).callbacks(stop, count));
            assertEquals(0, stop.stoppedEpoch());
            assertTrue(stop.stoppedBatch() >= 0 && stop.stoppedBatch() < 7, "stopped at " + stop.stoppedBatch());
            assertEquals(stop.stoppedBatch() + 1, batches.size(), "no batch runs after the stop: " + batches);
            assertEquals(List.of(0), h.epochs());
            assertTrue(text.toString(StandardCharsets.UTF_8).startsWith("Epoch 0, batch " + stop.stoppedBatch()
                    + ": invalid loss"), text.toString(StandardCharsets.UTF_8));
        }
    }
}
