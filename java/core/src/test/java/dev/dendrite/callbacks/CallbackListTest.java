package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

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
}
