package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private static final String NL = System.lineSeparator();
    private static final long MS = 1_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong();
    /** How many times batch logs were computed, i.e. how many device syncs a real run would pay. */
    private final AtomicInteger batchLogReads = new AtomicInteger();

    private ProgressBar bar(int verbose, int epochs, int steps, boolean interactive) {
        return new ProgressBar(verbose, epochs, steps, out, interactive).withClock(now::get);
    }

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Logs batchLogs(double loss, double accuracy) {
        return Logs.lazy(() -> {
            batchLogReads.incrementAndGet();
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", loss);
            m.put("accuracy", accuracy);
            return m;
        });
    }

    private static Logs epochLogs(double loss, double accuracy, double valLoss, double valAccuracy) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        m.put("accuracy", accuracy);
        m.put("val_loss", valLoss);
        m.put("val_accuracy", valAccuracy);
        m.put("learning_rate", 0.001);
        return Logs.of(m);
    }

    /**
     * One epoch of {@code steps} batches: the first ends at {@code firstMs}, the others {@code stepMs}
     * apart, and the epoch (validation included) ends at {@code endMs}, all from the epoch's start.
     */
    private void epoch(ProgressBar bar, int epoch, int steps, long firstMs, long stepMs, long endMs, Logs end) {
        long start = now.get();
        bar.onEpochBegin(epoch, Logs.empty());
        for (int b = 0; b < steps; b++) {
            bar.onTrainBatchBegin(b, Logs.empty());
            now.set(start + (firstMs + b * stepMs) * MS);
            bar.onTrainBatchEnd(b, batchLogs(0.5, 0.75));
        }
        now.set(start + endMs * MS);
        bar.onEpochEnd(epoch, end);
    }

    @Test
    void notATerminalPrintsOnlyTheFinalLineOfEachEpoch() {
        ProgressBar bar = bar(1, 2, 10, false);
        bar.onTrainBegin(Logs.empty());
        // first step 500 ms (warm-up), then 10 ms steps, 10 ms of validation: 11 ms/step excluding the first
        epoch(bar, 0, 10, 500, 10, 600, epochLogs(0.49834, 0.82512, 0.4312, 0.846));
        epoch(bar, 1, 10, 500, 10, 4200, epochLogs(0.00042, 0.9, 0.4, 0.85));
        bar.onTrainEnd(Logs.empty());
        assertEquals("Epoch 1/2" + NL
                + "10/10 [==============================] - 1s 11ms/step - loss: 0.4983 - accuracy: 0.8251"
                + " - val_loss: 0.4312 - val_accuracy: 0.8460" + NL
                + "Epoch 2/2" + NL
                + "10/10 [==============================] - 4s 411ms/step - loss: 4.2000e-04 - accuracy: 0.9000"
                + " - val_loss: 0.4000 - val_accuracy: 0.8500" + NL, output());
        assertEquals(0, batchLogReads.get(), "batch logs are never needed without a live bar");
    }

    @Test
    void withoutBatchHooksTheWholeEpochCountsAsItsSteps() {
        ProgressBar bar = bar(1, 1, 10, false);
        epoch(bar, 0, 10, 500, 10, 600, epochLogs(0.5, 0.8, 0.4, 0.85)); // leaves a first-step time behind
        bytes.reset();
        now.set(0);
        bar.onEpochBegin(0, Logs.empty());
        now.set(2000 * MS);
        bar.onEpochEnd(0, Logs.of(Map.of("loss", 0.5)));
        assertEquals("10/10 [==============================] - 2s 200ms/step - loss: 0.5000" + NL, output());
    }

    @Test
    void verbose2PrintsOneLinePerEpoch() {
        ProgressBar bar = bar(2, 10, 10, true);
        epoch(bar, 0, 10, 500, 10, 4200, epochLogs(0.49834, 0.82512, 0.4312, 0.846));
        assertEquals("Epoch 1/10 - 4s - loss: 0.4983 - accuracy: 0.8251 - val_loss: 0.4312 - val_accuracy: 0.8460" + NL,
                output());
        assertEquals(0, batchLogReads.get());
    }

    @Test
    void aSingleEpochHasNoEpochHeaderAndVerbose0PrintsNothing() {
        epoch(bar(1, 1, 10, false), 0, 10, 500, 10, 600, epochLogs(0.5, 0.8, 0.4, 0.85));
        assertTrue(output().startsWith("10/10 ["), output());

        bytes.reset();
        epoch(bar(0, 3, 10, true), 0, 10, 500, 10, 600, epochLogs(0.5, 0.8, 0.4, 0.85));
        assertEquals("", output());
        assertEquals(0, batchLogReads.get());
    }

    @Test
    void terminalRedrawsInPlaceAtMostEvery100msReadingLogsOnlyThen() {
        ProgressBar bar = bar(1, 1, 50, true);
        // first step 100 ms, then 40 ms steps: a redraw every third batch (0, 3, ..., 48)
        Map<String, Double> end = new LinkedHashMap<>();
        end.put("loss", 0.4);
        end.put("accuracy", 0.8);
        end.put("val_loss", 0.45);
        epoch(bar, 0, 50, 100, 40, 2100, Logs.of(end));
        assertEquals(17, batchLogReads.get());
        String[] draws = output().split("\r", -1);
        assertEquals(1 + 17 + 1, draws.length, output());
        assertEquals("", draws[0]);
        assertEquals(" 1/50 [..............................] - ETA: 4s - loss: 0.5000 - accuracy: 0.7500", draws[1]);
        assertEquals(" 4/50 [=>............................] - ETA: 1s - loss: 0.5000 - accuracy: 0.7500", draws[2]);
        assertEquals("49/50 [============================>.] - ETA: 0s - loss: 0.5000 - accuracy: 0.7500", draws[17]);
        assertEquals("50/50 [==============================] - 2s 41ms/step - loss: 0.4000 - accuracy: 0.8000"
                + " - val_loss: 0.4500" + NL, draws[18]);
    }

    @Test
    void aShorterRedrawBlanksTheRestOfTheLongerOne() {
        ProgressBar bar = bar(1, 1, 3, true);
        bar.onEpochBegin(0, Logs.empty());
        now.set(200 * MS);
        bar.onTrainBatchEnd(0, batchLogs(10.5, 0.5));
        now.set(400 * MS);
        bar.onTrainBatchEnd(1, batchLogs(9.5, 0.5));
        String[] draws = output().split("\r", -1);
        assertEquals("1/3 [=========>....................] - ETA: 0s - loss: 10.5000 - accuracy: 0.5000", draws[1]);
        assertEquals("2/3 [===================>..........] - ETA: 0s - loss: 9.5000 - accuracy: 0.5000 ", draws[2]);
    }

    @Test
    void callbackMessagesDoNotLandOnTheBarLine() {
        ProgressBar bar = bar(1, 1, 3, true);
        bar.onEpochBegin(0, Logs.empty());
        now.set(200 * MS);
        bar.onTrainBatchEnd(0, batchLogs(0.5, 0.5));
        ConsoleOutput.println(out, "Epoch 1: saving model to m.dmodel");
        assertTrue(output().endsWith("accuracy: 0.5000" + NL + "Epoch 1: saving model to m.dmodel" + NL), output());

        bytes.reset();
        now.set(400 * MS);
        bar.onTrainBatchEnd(1, batchLogs(0.5, 0.5));
        bar.onTrainEnd(Logs.empty()); // stopped without an epoch end: the open line is ended
        assertTrue(output().endsWith("accuracy: 0.5000" + NL), output());
        assertFalse(ConsoleOutput.isOpen(out));
    }

    @Test
    void numbersUseADecimalPointWhateverTheLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            epoch(bar(2, 1, 10, false), 0, 10, 500, 10, 600, epochLogs(0.49834, 0.82512, 0.4312, 0.846));
        } finally {
            Locale.setDefault(saved);
        }
        assertTrue(output().contains("loss: 0.4983 - accuracy: 0.8251"), output());
    }

    @Test
    void timesAreFormattedAsKerasDoes() {
        assertEquals("59s", ProgressBar.eta(59.9));
        assertEquals("2:05", ProgressBar.eta(125.3));
        assertEquals("1:02:05", ProgressBar.eta(3725));
        assertEquals("2s/step", ProgressBar.perStep(2.2));
        assertEquals("12ms/step", ProgressBar.perStep(0.012));
        assertEquals("50us/step", ProgressBar.perStep(5e-5));
        assertEquals("0s/step", ProgressBar.perStep(0));
    }

    @Test
    void testsRunWithPipedOutputSoTheFactoryChoosesPlainLines() {
        // Surefire's forked JVM writes to a pipe: no terminal, whatever the JDK version.
        assertFalse(ProgressBar.inTerminal());
    }

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bar(3, 1, 1, false));
        assertTrue(e.getMessage().contains("verbose 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> bar(1, 1, 0, false));
        assertTrue(e.getMessage().contains("stepsPerEpoch 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bar(1, -1, 1, false));
    }

    /**
     * The end of an epoch of the notebook (469 steps of 128 images, a 2-minute epoch at 257 ms/step on a slow
     * machine) with loss, accuracy, val_loss and val_accuracy is 131 characters with the 30-cell bar: it would
     * wrap in a 120-column terminal, where Keras 3's line fits. Every line drawn must leave the last column free,
     * and the bar keeps its narrower width for the following epochs instead of jumping back.
     */
    @Test
    void aTerminalLineFitsIn120ColumnsAtTheEndOfAnEpochWithValidationMetrics() {
        ProgressBar bar = bar(1, 2, 469, true).withColumns(120);
        epoch(bar, 0, 469, 500, 257, 121_000, epochLogs(0.49834, 0.82512, 0.4312, 0.846));
        epoch(bar, 1, 469, 500, 257, 121_000, epochLogs(0.39834, 0.86512, 0.3912, 0.856));
        String full = "469/469 [==============================] - 121s 257ms/step - loss: 0.4983 - accuracy: 0.8251"
                + " - val_loss: 0.4312 - val_accuracy: 0.8460";
        assertTrue(full.length() > 120, "the unfitted line is too long: " + full.length());
        List<String> drawn = new ArrayList<>();
        for (String part : output().split("\r|" + NL)) {
            if (!part.isBlank()) {
                drawn.add(part.stripTrailing());
            }
        }
        for (String line : drawn) {
            assertTrue(line.length() <= 119, line.length() + " columns: " + line);
        }
        List<String> ends = new ArrayList<>();
        for (String line : drawn) {
            if (line.contains("val_accuracy")) {
                ends.add(line);
            }
        }
        assertEquals(2, ends.size(), output());
        assertTrue(ends.get(0).matches("469/469 \\[=+\\] - 121s 257ms/step - loss: 0\\.4983 - accuracy: 0\\.8251"
                + " - val_loss: 0\\.4312 - val_accuracy: 0\\.8460"), ends.get(0));
        int width = ends.get(0).indexOf(']') - ends.get(0).indexOf('[') - 1;
        assertTrue(width >= ProgressBar.MIN_BAR_WIDTH && width < 30, "bar width " + width);
        // The second epoch's live lines already use the narrower bar.
        String secondEpoch = output().substring(output().indexOf("Epoch 2/2"));
        assertTrue(secondEpoch.contains("\r  1/469 [" + ".".repeat(width) + "] - ETA"), secondEpoch);
    }

    @Test
    void aNarrowTerminalNarrowsTheBarToItsMinimumAndNoFurther() {
        ProgressBar bar = bar(1, 1, 469, true).withColumns(60);
        epoch(bar, 0, 469, 500, 10, 5000, epochLogs(0.5, 0.8, 0.4, 0.85));
        String last = output().substring(output().lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("469/469 [" + "=".repeat(ProgressBar.MIN_BAR_WIDTH) + "] - 5s"), last);
    }

    /** One evaluate ({@code metrics} non-null) or predict pass of {@code steps} batches, 10 ms apart after 300. */
    private void pass(ProgressBar bar, int steps, Map<String, Double> metrics) {
        long start = now.get();
        if (metrics != null) {
            bar.onTestBegin(Logs.empty());
        } else {
            bar.onPredictBegin(Logs.empty());
        }
        for (int b = 0; b < steps; b++) {
            now.set(start + (300 + b * 10) * MS);
            if (metrics != null) {
                bar.onTestBatchBegin(b, Logs.empty());
                bar.onTestBatchEnd(b, batchLogs(0.5, 0.75));
            } else {
                bar.onPredictBatchBegin(b, Logs.empty());
                bar.onPredictBatchEnd(b, Logs.empty());
            }
        }
        now.set(start + (300 + steps * 10) * MS);
        if (metrics != null) {
            bar.onTestEnd(Logs.of(metrics));
        } else {
            bar.onPredictEnd(Logs.empty());
        }
    }

    @Test
    void evaluateAndPredictDrawOnePassAsKerasDoes() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", 0.33421);
        m.put("accuracy", 0.8838);
        pass(bar(1, 1, 40, false), 40, m);
        pass(bar(1, 1, 40, false), 40, null);
        pass(bar(2, 1, 40, false), 40, m);
        assertEquals("40/40 [==============================] - 1s 10ms/step - loss: 0.3342 - accuracy: 0.8838" + NL
                + "40/40 [==============================] - 1s 10ms/step" + NL
                + "40/40 - 1s - 10ms/step - loss: 0.3342 - accuracy: 0.8838" + NL, output());
        bytes.reset();
        pass(bar(0, 1, 40, true), 40, m);
        assertEquals("", output(), "verbose 0 prints nothing");
        ProgressBar live = bar(1, 1, 4, true).withColumns(120);
        pass(live, 4, m);
        assertTrue(output().contains("\r1/4 [======>.......................] - ETA: 0s - loss: 0.5000 - accuracy: "
                + "0.7500"), output());
        assertTrue(output().endsWith("\r4/4 [==============================] - 0s 13ms/step - loss: 0.3342 - "
                + "accuracy: 0.8838" + NL), output());
    }

    @Test
    void insideFitTheValidationPassDrawsNothingOfItsOwn() {
        ProgressBar bar = bar(1, 1, 10, false);
        bar.onTrainBegin(Logs.empty());
        long start = now.get();
        bar.onEpochBegin(0, Logs.empty());
        for (int b = 0; b < 10; b++) {
            now.set(start + (500 + b * 10) * MS);
            bar.onTrainBatchEnd(b, batchLogs(0.5, 0.75));
        }
        pass(bar, 3, Map.of("loss", 0.4));
        now.set(start + 600 * MS);
        bar.onEpochEnd(0, epochLogs(0.49834, 0.82512, 0.4312, 0.846));
        bar.onTrainEnd(Logs.empty());
        assertEquals("10/10 [==============================] - 1s 11ms/step - loss: 0.4983 - accuracy: 0.8251"
                + " - val_loss: 0.4312 - val_accuracy: 0.8460" + NL, output());
    }
}
