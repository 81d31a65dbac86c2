package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** TerminateOnNaN stops at the first batch whose loss is NaN or infinite and names its epoch and batch. */
class TerminateOnNaNTest {
    @Test
    void stopsAtTheFirstInvalidLossNamingEpochAndBatch() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        TerminateOnNaN cb = new TerminateOnNaN(new PrintStream(text, true, StandardCharsets.UTF_8));
        FakeModel model = new FakeModel();
        cb.setModel(model);
        cb.onTrainBegin(Logs.empty());
        cb.onEpochBegin(0, Logs.empty());
        cb.onTrainBatchEnd(0, Logs.of(Map.of("loss", 0.5)));
        cb.onEpochBegin(1, Logs.empty());
        cb.onTrainBatchEnd(0, Logs.of(Map.of("loss", 0.4)));
        assertFalse(model.stopped());
        cb.onTrainBatchEnd(1, Logs.of(Map.of("loss", Double.POSITIVE_INFINITY)));
        assertTrue(model.stopped());
        assertEquals(1, cb.stoppedEpoch());
        assertEquals(1, cb.stoppedBatch());
        cb.onTrainBatchEnd(2, Logs.of(Map.of("loss", Double.NaN)));
        assertEquals(1, cb.stoppedBatch(), "the first invalid batch is the one named");
        String out = text.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Epoch 1, batch 1: invalid loss Infinity"), out);
    }

    @Test
    void withRaiseErrorItThrowsNamingEpochAndBatch() {
        TerminateOnNaN cb = new TerminateOnNaN(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), true);
        FakeModel model = new FakeModel();
        cb.setModel(model);
        cb.onTrainBegin(Logs.empty());
        cb.onEpochBegin(2, Logs.empty());
        dev.dendrite.model.NumericalFaultException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.dendrite.model.NumericalFaultException.class,
                () -> cb.onTrainBatchEnd(4, Logs.of(Map.of("loss", Double.NaN))));
        assertEquals(2, e.epoch());
        assertEquals(4, e.batch());
        assertTrue(e.getMessage().startsWith("epoch 2, batch 4: NaN or Inf loss"), e.getMessage());
        assertFalse(model.stopped());
    }
}
