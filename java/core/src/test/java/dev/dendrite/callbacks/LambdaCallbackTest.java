package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class LambdaCallbackTest {
    private final FakeModel model = new FakeModel();

    /** Epochs run until the model is asked to stop. */
    private int fit(Callback cb, double... losses) {
        cb.onTrainBegin(Logs.empty());
        int epochs = 0;
        for (int epoch = 0; epoch < losses.length && !model.stopped(); epoch++) {
            epochs++;
            cb.onEpochEnd(epoch, Logs.of(Map.of("loss", losses[epoch])));
        }
        cb.onTrainEnd(Logs.empty());
        return epochs;
    }

    @Test
    void notebookExerciseStopAtLossThreshold() {
        Callback cb = LambdaCallback.onEpochEnd((epoch, logs) -> {
            if (logs.get("loss") <= 0.4) {
                model.stopTraining();
            }
        });
        assertEquals(3, fit(cb, 0.9, 0.6, 0.4, 0.3, 0.2));
        assertEquals(1, model.stopCalls);
    }

    @Test
    void stopWhenStopsAtTheFirstMatchingEpoch() {
        LambdaCallback cb = LambdaCallback.stopWhen(logs -> logs.get("loss") <= 0.4);
        cb.setModel(model);
        assertEquals(4, fit(cb, 0.9, 0.6, 0.5, 0.39, 0.2));
        assertEquals(1, model.stopCalls);
    }

    @Test
    void stopWhenNeedsAModel() {
        LambdaCallback cb = LambdaCallback.stopWhen(logs -> true);
        assertThrows(IllegalStateException.class, () -> cb.onEpochEnd(0, Logs.empty()));
    }

    @Test
    void chainedHooksRunInOrder() {
        List<String> events = new ArrayList<>();
        LambdaCallback cb = LambdaCallback.onTrainBegin(logs -> events.add("train begin"))
                .andOnEpochBegin((e, logs) -> events.add("epoch " + e + " begin"))
                .andOnBatchBegin((b, logs) -> events.add("batch " + b + " begin"))
                .andOnBatchEnd((b, logs) -> events.add("batch " + b + " end"))
                .andOnEpochEnd((e, logs) -> events.add("epoch " + e + " end loss=" + logs.get("loss")))
                .andOnEpochEnd((e, logs) -> events.add("second hook"))
                .andOnTrainEnd(logs -> events.add("train end"));
        cb.onTrainBegin(Logs.empty());
        cb.onEpochBegin(0, Logs.empty());
        cb.onTrainBatchBegin(0, Logs.empty());
        cb.onTrainBatchEnd(0, Logs.empty());
        cb.onEpochEnd(0, Logs.of(Map.of("loss", 0.5)));
        cb.onTrainEnd(Logs.empty());
        assertEquals(List.of("train begin", "epoch 0 begin", "batch 0 begin", "batch 0 end", "epoch 0 end loss=0.5",
                "second hook", "train end"), events);
    }

    @Test
    void unsetHooksDoNothingAndLeaveLazyLogsUnread() {
        AtomicInteger reads = new AtomicInteger();
        LambdaCallback cb = LambdaCallback.onTrainEnd(logs -> { });
        for (int b = 0; b < 5; b++) {
            cb.onTrainBatchEnd(b, Logs.lazy(() -> {
                reads.incrementAndGet();
                return new HashMap<>();
            }));
        }
        cb.onEpochEnd(0, Logs.empty());
        assertEquals(0, reads.get());
        assertThrows(NullPointerException.class, () -> LambdaCallback.onEpochEnd(null));
    }
}
