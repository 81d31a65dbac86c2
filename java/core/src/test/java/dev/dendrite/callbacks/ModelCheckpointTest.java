package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckpointTest {
    @TempDir
    Path dir;

    private final FakeModel model = new FakeModel();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private ModelCheckpoint attach(ModelCheckpoint cb) {
        cb.setModel(model);
        cb.setStreams(new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        return cb;
    }

    private static String format(String pattern, int epoch, Map<String, Double> logs) {
        return ModelCheckpoint.PathPattern.parse(pattern).format(epoch, logs);
    }

    private static Map<String, Double> logs(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return m;
    }

    private void fit(ModelCheckpoint cb, String metric, double... values) {
        cb.onTrainBegin(Logs.empty());
        for (int epoch = 0; epoch < values.length; epoch++) {
            cb.onEpochEnd(epoch, Logs.of(logs("loss", 1.0, metric, values[epoch])));
        }
        cb.onTrainEnd(Logs.empty());
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void formatsEpochAndMetricPlaceholders() {
        Map<String, Double> l = logs("loss", 0.5, "val_loss", 0.41234567, "val_accuracy", 0.84567);
        assertEquals("ckpt/ep03-0.4123.dmodel", format("ckpt/ep{epoch:02d}-{val_loss:.4f}.dmodel", 3, l));
        assertEquals("m-3-0.5-0.846", format("m-{epoch}-{loss}-{val_accuracy:.3f}", 3, l));
        assertEquals("0012_000.4123_  0.41", format("{epoch:04d}_{val_loss:08.4f}_{val_loss:6.2f}", 12, l));
        assertEquals("e3.0", format("e{epoch:.1f}", 3, l));
        assertEquals("e0.500000", format("e{loss:f}", 3, l));
        assertEquals("{x}-3", format("{{x}}-{epoch}", 3, l));
        assertEquals("plain.dmodel", format("plain.dmodel", 3, l));
    }

    @Test
    void formatsWithADecimalPointWhateverTheLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("0.4123", format("{val_loss:.4f}", 1, logs("val_loss", 0.41234)));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void unknownPlaceholderNamesItAndTheAvailableKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> format("m-{val_acc:.2f}", 1, logs("loss", 0.5, "val_accuracy", 0.8)));
        assertTrue(e.getMessage().contains("{val_acc}") && e.getMessage().contains("[epoch, loss, val_accuracy]"),
                e.getMessage());

        // The same through the callback, at the first epoch rather than at the first improvement.
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("m-{val_los}.dmodel")).saveBestOnly(true));
        cb.onTrainBegin(Logs.empty());
        e = assertThrows(IllegalArgumentException.class,
                () -> cb.onEpochEnd(0, Logs.of(logs("val_loss", 0.4))));
        assertTrue(e.getMessage().contains("{val_los}") && e.getMessage().contains("val_loss"), e.getMessage());
    }

    @Test
    void rejectsMalformedPatternsUpFront() {
        for (String bad : List.of("m-{epoch", "m-}x", "m-{}", "m-{epoch:x}", "m-{epoch:.2d}", "m-{a{b}}", " ")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint(bad),
                    bad);
            assertTrue(e.getMessage().contains("expected"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> format("{val_loss:02d}", 1, logs("val_loss", 0.5)));
        assertTrue(e.getMessage().contains("{val_loss:.4f}"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint("m").mode("best"));
        assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint("m").verbose(2));
    }

    @Test
    void savesEveryEpochByDefault() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("m-{epoch}.dmodel")));
        fit(cb, "val_loss", 0.5, 0.6, 0.7);
        assertEquals(List.of("model:" + file("m-1.dmodel"), "model:" + file("m-2.dmodel"),
                "model:" + file("m-3.dmodel")), model.saves);
        assertEquals(Path.of(file("m-3.dmodel")), cb.lastSavedPath());
    }

    @Test
    void saveBestOnlySavesOnlyOnImprovement() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("best-{epoch}.dmodel")).saveBestOnly(true).verbose(1));
        fit(cb, "val_loss", 0.4123, 0.5, 0.3901, 0.45);
        assertEquals(List.of("model:" + file("best-1.dmodel"), "model:" + file("best-3.dmodel")), model.saves);
        String nl = System.lineSeparator();
        assertEquals("Epoch 1: val_loss improved from inf to 0.41230, saving model to " + file("best-1.dmodel") + nl
                + "Epoch 2: val_loss did not improve from 0.41230" + nl
                + "Epoch 3: val_loss improved from 0.41230 to 0.39010, saving model to " + file("best-3.dmodel") + nl
                + "Epoch 4: val_loss did not improve from 0.39010" + nl, outBytes.toString(StandardCharsets.UTF_8));
        assertEquals(0.3901, cb.bestValue());
    }

    @Test
    void saveBestOnlyMaximizesAccuracyAndKeepsTheBestAcrossFits() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("best.dmodel")).monitor("val_accuracy").saveBestOnly(true));
        fit(cb, "val_accuracy", 0.8, 0.85, 0.83);
        assertEquals(2, model.saves.size());
        fit(cb, "val_accuracy", 0.84, 0.86); // continued training: only a new best overwrites the file
        assertEquals(3, model.saves.size());
    }

    @Test
    void initialValueThresholdMustBeBeaten() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("best.dmodel")).saveBestOnly(true)
                .initialValueThreshold(0.3));
        fit(cb, "val_loss", 0.4, 0.2);
        assertEquals(List.of("model:" + file("best.dmodel")), model.saves);
    }

    @Test
    void savesWeightsOnlyWhenAsked() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("w.dweights")).saveWeightsOnly(true).verbose(1));
        fit(cb, "val_loss", 0.5);
        assertEquals(List.of("weights:" + file("w.dweights")), model.saves);
        assertEquals("Epoch 1: saving weights to " + file("w.dweights") + System.lineSeparator(),
                outBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void missingMonitorWarnsOnceAndSavesAnyway() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("m.dmodel")).saveBestOnly(true));
        fit(cb, "accuracy", 0.5, 0.4); // no val_loss
        assertEquals(2, model.saves.size());
        String err = errBytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, err.split("WARNING", -1).length - 1, err);
        assertTrue(err.contains("'val_loss'") && err.contains("Saving every epoch"), err);
    }

    @Test
    void aFailedSaveSurfacesNamingTheFile() {
        IOException cause = new IOException("No space left on device");
        model.failSave = cause;
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("m-{epoch:02d}.dmodel")));
        cb.onTrainBegin(Logs.empty());
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> cb.onEpochEnd(6, Logs.of(logs("val_loss", 0.5))));
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().contains(file("m-07.dmodel")) && e.getMessage().contains("No space left"),
                e.getMessage());
    }

    @Test
    void aDirectoryIsNotAFile() throws IOException {
        Files.createDirectories(dir.resolve("taken"));
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("taken")));
        // Found before training starts (issue 14), no longer only at the first save.
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> cb.onTrainBegin(Logs.empty()));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertTrue(model.saves.isEmpty());
    }

    @Test
    void createsMissingFolders() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("runs/{epoch}/m.dmodel")));
        fit(cb, "val_loss", 0.5);
        assertTrue(Files.isDirectory(dir.resolve("runs/1")));
    }

    @Test
    void widthsAndPrecisionsAreBounded() {
        for (String bad : new String[] {"m{epoch:999999999d}", "m{epoch:065d}", "m{loss:.21f}",
            "m{loss:99999999999999999999.4f}"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint(bad));
            assertTrue(e.getMessage().contains("width above 64") && e.getMessage().contains(bad), e.getMessage());
        }
        new ModelCheckpoint("m{epoch:064d}-{loss:.20f}");
    }

    @Test
    void anUnwritablePathFailsAtTrainBeginNamingIt() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        ModelCheckpoint cb = attach(new ModelCheckpoint(file.resolve("m-{epoch}-{val_loss:.2f}.dmodel").toString()));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> cb.onTrainBegin(Logs.empty()));
        assertTrue(e.getMessage().contains(file.resolve("m-1-0.00.dmodel").toString())
                && e.getMessage().contains("not a folder"), e.getMessage());
        assertTrue(model.saves.isEmpty());
    }

    @Test
    void saveFreqCountsBatchesAcrossEpochsAndFitsAndNamesTheBatch() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("e{epoch}-b{batch:02d}.dmodel")).saveFreq(3).verbose(1));
        for (int fit = 0; fit < 2; fit++) {
            cb.onTrainBegin(Logs.empty());
            for (int epoch = 0; epoch < 2; epoch++) {
                cb.onEpochBegin(epoch, Logs.empty());
                for (int batch = 0; batch < 5; batch++) {
                    cb.onTrainBatchEnd(batch, Logs.of(logs("loss", 1.0 - batch / 10.0)));
                }
                cb.onEpochEnd(epoch, Logs.of(logs("loss", 0.5, "val_loss", 0.4)));
            }
            cb.onTrainEnd(Logs.empty());
        }
        // 20 batches in all, every third saved; no save at an epoch's end.
        assertEquals(List.of("e1-b03", "e2-b01", "e2-b04", "e1-b02", "e1-b05", "e2-b03"), model.saves.stream()
                .map(s -> Path.of(s.substring("model:".length())).getFileName().toString().replace(".dmodel", ""))
                .toList());
        assertTrue(outBytes.toString(StandardCharsets.UTF_8).startsWith("Epoch 1, batch 3: saving model to "),
                outBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void saveFreqWithBestOnlyReadsTheBatchLogs() {
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("b{batch}.dmodel")).saveFreq(1).saveBestOnly(true)
                .monitor("loss"));
        cb.onTrainBegin(Logs.empty());
        cb.onEpochBegin(0, Logs.empty());
        double[] losses = {0.9, 0.8, 0.85, 0.7, Double.NaN};
        for (int batch = 0; batch < losses.length; batch++) {
            cb.onTrainBatchEnd(batch, Logs.of(logs("loss", losses[batch])));
        }
        assertEquals(List.of("model:" + file("b1.dmodel"), "model:" + file("b2.dmodel"), "model:"
                + file("b4.dmodel")), model.saves);
        assertEquals(0.7, cb.bestValue());
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("the training loss at epoch 1, batch 5 is NaN"),
                errBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void saveFreqRefusesBadValuesAndABatchPlaceholderPerEpoch() {
        for (String bad : new String[] {"0", "-2", "epochs", "", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ModelCheckpoint("m").saveFreq(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") || e.getMessage().contains(bad), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint("m").saveFreq(0));
        new ModelCheckpoint("m").saveFreq("epoch");
        ModelCheckpoint cb = attach(new ModelCheckpoint(file("m-{batch}.dmodel")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cb.onTrainBegin(Logs.empty()));
        assertTrue(e.getMessage().contains("{batch}") && e.getMessage().contains("saveFreq"), e.getMessage());
        ModelCheckpoint perBatch = attach(new ModelCheckpoint(file("m-{batch}.dmodel")).saveFreq("2"));
        perBatch.onTrainBegin(Logs.empty());
        assertTrue(model.saves.isEmpty());
    }
}
