package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CallbackListTest {
    /** Records each event it sees as "name:event[index]", and adds a metric at the end of each epoch. */
    private static final class Recorder extends Callback {
        private final String name;
        private final List<String> events;

        Recorder(String name, List<String> events) {
            this.name = name;
            this.events = events;
        }

        @Override
        public void onTrainBegin(Logs logs) {
            events.add(name + ":trainBegin" + logs.asMap());
            logs.put(name, 1);
        }

        @Override
        public void onTrainEnd(Logs logs) {
            events.add(name + ":trainEnd");
        }

        @Override
        public void onEpochBegin(int epoch, Logs logs) {
            events.add(name + ":epochBegin" + epoch + logs.asMap());
            logs.put(name, 1);
        }

        @Override
        public void onEpochEnd(int epoch, Logs logs) {
            events.add(name + ":epochEnd" + epoch + logs.asMap());
            logs.put(name, epoch);
        }

        @Override
        public void onTrainBatchBegin(int batch, Logs logs) {
            events.add(name + ":batchBegin" + batch);
        }

        @Override
        public void onTrainBatchEnd(int batch, Logs logs) {
            events.add(name + ":batchEnd" + batch);
        }
    }

    @Test
    void handsTheModelToEachAndCallsThemInOrderPerEvent() {
        List<String> events = new ArrayList<>();
        Recorder a = new Recorder("a", events);
        Recorder b = new Recorder("b", events);
        FakeModel model = new FakeModel();
        CallbackList list = new CallbackList(List.of(a, b), model);
        assertSame(model, a.model());
        assertSame(model, b.model());
        assertEquals(List.of(a, b), list.callbacks());

        list.onTrainBegin();
        list.onEpochBegin(3);
        list.onTrainBatchBegin(0);
        list.onTrainBatchEnd(0, Logs.empty());
        Logs epochLogs = Logs.empty();
        list.onEpochEnd(3, epochLogs);
        list.onTrainEnd(epochLogs);

        // Begin events give each callback fresh logs (b does not see what a put); the end of an epoch shares
        // one Logs, so b and the caller see a's metric.
        assertEquals(List.of("a:trainBegin{}", "b:trainBegin{}", "a:epochBegin3{}", "b:epochBegin3{}",
                "a:batchBegin0", "b:batchBegin0", "a:batchEnd0", "b:batchEnd0", "a:epochEnd3{}", "b:epochEnd3{a=3.0}",
                "a:trainEnd", "b:trainEnd"), events);
        assertEquals(3.0, epochLogs.get("a"));
        assertEquals(3.0, epochLogs.get("b"));
        assertFalse(model.stopped());
    }

    /** As Keras's CallbackList appends its ProgbarLogger: the bar comes last, so it prints what a callback adds. */
    @Test
    void theProgressBarComesLastAndPrintsWhatCallbacksAdd() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(2, 1, 1, new java.io.PrintStream(bytes, true,
                java.nio.charset.StandardCharsets.UTF_8), false);
        Callback adder = LambdaCallback.onEpochEnd((epoch, logs) -> logs.put("extra", 0.25));
        FakeModel model = new FakeModel();
        CallbackList list = CallbackList.withProgressBar(List.of(adder), bar, model);
        assertEquals(List.of(adder, bar), list.callbacks());
        list.onEpochBegin(0);
        list.onEpochEnd(0, Logs.of(java.util.Map.of("loss", 0.5)));
        String line = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(line.contains("loss: 0.5000 - extra: 0.2500"), line);

        ProgressBar own = new ProgressBar(1, 1, 1, System.out, false);
        assertEquals(List.of(own, adder), CallbackList.withProgressBar(List.of(own, adder), bar, model).callbacks(),
                "a bar given among the callbacks is the only one");
        assertEquals(List.of(adder), CallbackList.withProgressBar(List.of(adder), null, model).callbacks());
    }
}
