package dev.dendrite.callbacks;

import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.keras.KerasFixtureTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.EvaluateOptions;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.PredictOptions;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/**
 * The callback hooks against Keras 3 itself: {@code keras_callback_events.json}, written by
 * {@code bench/keras/callback_events_fixture.py} (Keras 3.15 on JAX, CPU, float32), records every hook Keras calls in
 * a fit of 2 epochs with validation, an evaluate and a predict, each in batches of 4, with the logs it hands them. The
 * same calls here must call the same hooks in the same order with the same batch and epoch numbers, and logs with
 * Keras's keys and values: the running means at each batch's end, the unprefixed evaluation logs at
 * {@code onTestEnd}, the last epoch's logs at {@code onTrainEnd}. Documented differences, allowed and nothing else:
 * Dendrite's epoch logs also hold {@code learning_rate}; predict's batch logs are empty (Keras's hold the outputs). A
 * subclass per backend, since the running evaluation means are read from the device mid-pass.
 *
 * <p>Tolerance: {@code 1e-5} relative on the losses (float32 sums in another order) and {@code 1e-6} on the
 * accuracies (Keras's float32 means, e.g. 0.2000000030, against exact ones).
 */
public abstract class KerasCallbackEventsTest extends KerasFixtureTest {
    protected KerasCallbackEventsTest() {
        super(KerasCallbackEventsTest.class, "keras_callback_events.json", "bench/keras/callback_events_fixture.py");
    }

    /** Records each hook as Keras's name, the epoch or batch number (or null) and the logs as read then. */
    static final class Recorder extends Callback {
        final List<Object[]> events = new ArrayList<>();

        final Map<String, Map<String, Object>> params = new LinkedHashMap<>();
        String phase = "fit";

        private void add(String event, Integer index, Logs logs) {
            events.add(new Object[] {event, index, new LinkedHashMap<>(logs.asMap())});
            if (event.endsWith("_begin") && index == null) {
                params.put(phase + " " + event, params());
            }
        }

        @Override
        public void onTrainBegin(Logs logs) {
            add("on_train_begin", null, logs);
        }

        @Override
        public void onTrainEnd(Logs logs) {
            add("on_train_end", null, logs);
        }

        @Override
        public void onEpochBegin(int epoch, Logs logs) {
            add("on_epoch_begin", epoch, logs);
        }

        @Override
        public void onEpochEnd(int epoch, Logs logs) {
            add("on_epoch_end", epoch, logs);
        }

        @Override
        public void onTrainBatchBegin(int batch, Logs logs) {
            add("on_train_batch_begin", batch, logs);
        }

        @Override
        public void onTrainBatchEnd(int batch, Logs logs) {
            add("on_train_batch_end", batch, logs);
        }

        @Override
        public void onTestBegin(Logs logs) {
            add("on_test_begin", null, logs);
        }

        @Override
        public void onTestEnd(Logs logs) {
            add("on_test_end", null, logs);
        }

        @Override
        public void onTestBatchBegin(int batch, Logs logs) {
            add("on_test_batch_begin", batch, logs);
        }

        @Override
        public void onTestBatchEnd(int batch, Logs logs) {
            add("on_test_batch_end", batch, logs);
        }

        @Override
        public void onPredictBegin(Logs logs) {
            add("on_predict_begin", null, logs);
        }

        @Override
        public void onPredictEnd(Logs logs) {
            add("on_predict_end", null, logs);
        }

        @Override
        public void onPredictBatchBegin(int batch, Logs logs) {
            add("on_predict_batch_begin", batch, logs);
        }

        @Override
        public void onPredictBatchEnd(int batch, Logs logs) {
            add("on_predict_batch_end", batch, logs);
        }
    }

    @Test
    void fitEvaluateAndPredictCallKerasHooksWithKerasLogs() {
        float[] kernel = floats(fixture.get("kernel"));
        float[] bias = floats(fixture.get("bias"));
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(backend)) {
            m.setWeights(List.of(kernel, bias));
            m.compile(new SGD(0.1), "sparse_categorical_crossentropy", "accuracy");
            Recorder rec = new Recorder();
            m.fit(rows("x"), ints(fixture.get("y")), new FitOptions().batchSize(4).epochs(2).shuffle(false).verbose(0)
                    .validationData(rows("xv"), ints(fixture.get("yv"))).validationBatchSize(4).callbacks(rec));
            assertSameEvents("fit", rec);
            rec.events.clear();
            rec.phase = "evaluate";
            Map<String, Double> result = m.evaluate(rows("xt"), ints(fixture.get("yt")),
                    new EvaluateOptions().batchSize(4).callbacks(rec));
            assertSameEvents("evaluate", rec);
            assertEquals(rec.events.get(rec.events.size() - 1)[2], result, "evaluate returns onTestEnd's logs");
            rec.events.clear();
            rec.phase = "predict";
            Tensor out = m.predict(rows("xt"), new PredictOptions().batchSize(4).callbacks(rec));
            assertSameEvents("predict", rec);
            assertEquals(14, out.rows());
            assertEquals(Json.write(fixture.get("params")), Json.write(asDoubles(rec.params)),
                    "Keras's params at each begin event");
        }
    }

    /** The params with their numbers as doubles, as the fixture's JSON reads them. */
    private static Map<String, Object> asDoubles(Map<String, Map<String, Object>> params) {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((event, p) -> {
            Map<String, Object> d = new LinkedHashMap<>();
            for (String key : List.of("verbose", "epochs", "steps")) {
                d.put(key, ((Number) p.get(key)).doubleValue());
            }
            out.put(event, d);
        });
        return out;
    }

    private Tensor rows(String key) {
        float[] v = floats(fixture.get(key));
        return Tensor.wrap(v, v.length / 4, 4);
    }

    @SuppressWarnings("unchecked")
    private void assertSameEvents(String phase, Recorder rec) {
        List<Map<String, Object>> keras = (List<Map<String, Object>>) fixture.get(phase);
        List<String> want = new ArrayList<>();
        List<String> got = new ArrayList<>();
        for (Map<String, Object> e : keras) {
            Object index = e.get("index");
            want.add(e.get("event") + " " + (index == null ? null : ((Number) index).intValue()));
        }
        for (Object[] e : rec.events) {
            got.add(e[0] + " " + e[1]);
        }
        String on = phase + " on " + backend.name();
        assertEquals(want, got, on + ": the hooks called, in order");
        for (int i = 0; i < keras.size(); i++) {
            String what = on + ", " + want.get(i);
            Map<String, Object> kerasLogs = (Map<String, Object>) keras.get(i).get("logs");
            Map<String, Double> logs = (Map<String, Double>) rec.events.get(i)[2];
            Set<String> extra = new HashSet<>(logs.keySet());
            extra.removeAll(kerasLogs.keySet());
            String event = (String) keras.get(i).get("event");
            if (event.equals("on_epoch_end") || event.equals("on_train_end")) {
                assertTrue(extra.remove("learning_rate"), what + ": learning_rate logged");
            }
            assertEquals(Set.of(), extra, what + ": keys Keras's logs lack");
            for (Map.Entry<String, Object> k : kerasLogs.entrySet()) {
                if (k.getValue() == null) { // predict's outputs: not a number, not in Dendrite's logs
                    assertEquals("on_predict_batch_end", event, what);
                    assertNull(logs.get(k.getKey()), what);
                    continue;
                }
                double w = ((Number) k.getValue()).doubleValue();
                Double g = logs.get(k.getKey());
                assertTrue(g != null, what + ": no " + k.getKey() + " in " + logs);
                double tol = k.getKey().contains("loss") ? 1e-5 * Math.abs(w) : 1e-6;
                assertEquals(w, g, tol, what + ", " + k.getKey());
            }
        }
    }
}
