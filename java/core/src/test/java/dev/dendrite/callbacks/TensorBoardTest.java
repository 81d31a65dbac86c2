package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * {@link TensorBoard} on a real fit: the event files hold Keras 3's tags, in its two folders, at its steps, with
 * the values the history recorded (as float32, the event's type), and a histogram of every weight with all of its
 * values counted. The files are read back by {@link EventReader}; {@link EventFileTest} checks the encoding against
 * TensorBoard's own.
 */
class TensorBoardTest {
    private static final int ROWS = 60;
    private static final int BATCH = 10; // 6 batches per epoch with 12 held out: 5

    @TempDir
    Path dir;

    private static Sequential net(CpuBackend cpu) {
        Sequential m = new Sequential(new Input(4), new Dense(8, "relu"), new BatchNormalization(),
                new Dense(3, "softmax")).backend(cpu);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    private static Tensor x() {
        Random r = new Random(4);
        float[] v = new float[ROWS * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(v, ROWS, 4);
    }

    private static int[] y() {
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 3;
        }
        return y;
    }

    /** The events of the one file in {@code folder}. */
    private static List<EventReader.Event> events(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> all = files.collect(Collectors.toList());
            assertEquals(1, all.size(), "one event file in " + folder + ": " + all);
            assertTrue(all.get(0).getFileName().toString().matches("events\\.out\\.tfevents\\.\\d+\\..+\\.v2"),
                    all.get(0).toString());
            List<EventReader.Event> events = EventReader.read(all.get(0));
            assertEquals("brain.Event:2", events.get(0).fileVersion(), "the first event names the format");
            return events;
        }
    }

    private static List<EventReader.Event> tagged(List<EventReader.Event> events, String tag) {
        return events.stream().filter(e -> tag.equals(e.tag())).collect(Collectors.toList());
    }

    /** Each epoch's event of {@code tag} in {@code events} holds {@code history}'s value of that epoch. */
    private static void assertCurve(List<EventReader.Event> events, String tag, List<Double> history) {
        List<EventReader.Event> curve = tagged(events, tag);
        assertEquals(history.size(), curve.size(), tag);
        for (int e = 0; e < curve.size(); e++) {
            assertEquals(e, curve.get(e).step(), tag + " step");
            assertEquals((float) (double) history.get(e), curve.get(e).value(), tag + " epoch " + e);
        }
    }

    @Test
    void aFitWritesKerassTagsStepsAndValues() throws IOException {
        TensorBoard tb = new TensorBoard(dir.resolve("logs")).updateFreq(2).histogramFreq(2)
                .writeStepsPerSecond(true);
        History h;
        try (CpuBackend cpu = new CpuBackend(); Sequential m = net(cpu)) {
            h = m.fit(x(), y(), new FitOptions().batchSize(BATCH).epochs(3).validationSplit(0.2).verbose(0)
                    .callbacks(tb));
        }
        List<EventReader.Event> train = events(dir.resolve("logs/train"));
        List<EventReader.Event> val = events(dir.resolve("logs/validation"));
        assertCurve(train, "epoch_loss", h.get("loss"));
        assertCurve(train, "epoch_accuracy", h.get("accuracy"));
        assertCurve(train, "epoch_learning_rate", h.get("learning_rate"));
        assertEquals(3, tagged(train, "epoch_steps_per_second").size());
        assertCurve(val, "epoch_loss", h.get("val_loss"));
        assertCurve(val, "epoch_accuracy", h.get("val_accuracy"));
        List<EventReader.Event> vsIterations = tagged(val, "evaluation_loss_vs_iterations");
        for (int e = 0; e < 3; e++) {
            assertEquals(5L * (e + 1), vsIterations.get(e).step(), "training steps after epoch " + e);
        }
        // Batch logs every 2nd batch of the 15, counted from the start of training.
        List<Long> batchSteps = new ArrayList<>();
        tagged(train, "batch_loss").forEach(e -> batchSteps.add(e.step()));
        assertEquals(List.of(2L, 4L, 6L, 8L, 10L, 12L, 14L), batchSteps);
        // Histograms at epochs 0 and 2, each weight with all its values counted (Dense 4x8 kernel: 32).
        for (String tag : List.of("dense/kernel/histogram", "dense/bias/histogram",
                "batch_normalization/gamma/histogram", "batch_normalization/moving_variance/histogram",
                "dense_1/kernel/histogram")) {
            List<EventReader.Event> hist = tagged(train, tag);
            assertEquals(2, hist.size(), tag + ": " + train.stream().map(EventReader.Event::tag).distinct()
                    .collect(Collectors.toList()));
            assertEquals(List.of(0L, 2L), List.of(hist.get(0).step(), hist.get(1).step()), tag);
        }
        assertEquals(32.0, tagged(train, "dense/kernel/histogram").get(0).histogramCount());
        assertEquals(24.0, tagged(train, "dense_1/kernel/histogram").get(0).histogramCount());
    }

    /** The open file descriptors of this process that point into {@code folder} (Linux's /proc/self/fd). */
    private static long openFilesUnder(Path folder) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "no /proc/self/fd here to see which files are open");
        Path real = folder.toRealPath();
        long open = 0;
        try (Stream<Path> all = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) all::iterator) {
                try {
                    open += Files.readSymbolicLink(fd).startsWith(real) ? 1 : 0;
                } catch (IOException e) {
                    // closed while listed
                }
            }
        }
        return open;
    }

    @Test
    void aFitThatFailsLeavesNoLogFileOpen() throws IOException {
        TensorBoard tb = new TensorBoard(dir.resolve("logs"));
        CSVLogger csv = new CSVLogger(dir.resolve("h.csv"));
        Callback failing = LambdaCallback.onEpochEnd((epoch, logs) -> {
            if (epoch == 1) {
                throw new IllegalStateException("disk full");
            }
        });
        try (CpuBackend cpu = new CpuBackend(); Sequential m = net(cpu)) {
            FitOptions o = new FitOptions().batchSize(BATCH).epochs(3).verbose(0).callbacks(tb, csv, failing);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.fit(x(), y(), o));
            assertEquals("disk full", e.getMessage());
        }
        assertEquals(0, openFilesUnder(dir), "the event file and the CSV are closed after the failed fit");
        assertEquals(2, tagged(events(dir.resolve("logs/train")), "epoch_loss").size(), "epochs 0 and 1 written");
    }

    @Test
    void eachFitAddsItsOwnFilesAndBadArgumentsAreRefused() throws IOException {
        TensorBoard tb = new TensorBoard(dir);
        try (CpuBackend cpu = new CpuBackend(); Sequential m = net(cpu)) {
            FitOptions o = new FitOptions().batchSize(BATCH).epochs(1).verbose(0).callbacks(tb);
            m.fit(x(), y(), o);
            m.fit(x(), y(), o);
        }
        try (Stream<Path> files = Files.list(dir.resolve("train"))) {
            assertEquals(2, files.count(), "a pair of files per fit, as Keras opens new writers");
        }
        assertTrue(Files.notExists(dir.resolve("validation")), "no validation, no validation folder");
        assertThrows(IllegalArgumentException.class, () -> new TensorBoard(dir).updateFreq("step"));
        assertThrows(IllegalArgumentException.class, () -> new TensorBoard(dir).updateFreq(0));
        assertThrows(IllegalArgumentException.class, () -> new TensorBoard(dir).histogramFreq(-1));
        assertNotNull(new TensorBoard(dir).updateFreq("batch"));
    }
}
