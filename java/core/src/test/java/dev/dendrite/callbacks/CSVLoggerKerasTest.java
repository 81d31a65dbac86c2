package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CSVLogger writes the bytes Keras 3's CSVLogger writes for the same logs (columns sorted, val_ twins added, NA,
 * Python's float repr, CRLF, append without a second header, another separator). The expected files come from
 * {@code bench/keras/csvlogger_fixture.py}, whose logs are repeated here.
 */
class CSVLoggerKerasTest {
    @TempDir
    Path dir;

    private static Map<String, Double> logs(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Double) kv[i + 1]);
        }
        return m;
    }

    private static final List<Map<String, Double>> EPOCHS_A = List.of(
            logs("loss", 0.1 + 0.2, "accuracy", 0.40707963705062866, "learning_rate", 0.0001),
            logs("loss", 1e-05, "accuracy", 123.0, "learning_rate", 0.0001, "val_loss", 2.5e16, "val_accuracy",
                    Double.NaN));
    private static final List<Map<String, Double>> EPOCHS_B = List.of(
            logs("loss", Double.POSITIVE_INFINITY, "val_loss", 0.5),
            logs("loss", 3.0, "val_loss", -0.0));

    private static void fit(Path file, String sep, boolean append, List<Map<String, Double>> epochs) {
        CSVLogger cb = new CSVLogger(file, sep, append);
        cb.onTrainBegin(Logs.empty());
        for (int e = 0; e < epochs.size(); e++) {
            cb.onEpochEnd(e, Logs.of(epochs.get(e)));
        }
        cb.onTrainEnd(Logs.empty());
    }

    private static String fixture(String name) throws IOException {
        try (InputStream in = CSVLoggerKerasTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sameBytesAsKeras() throws IOException {
        Path plain = dir.resolve("plain.csv");
        Files.writeString(plain, "an older run\n");
        fit(plain, ",", false, EPOCHS_A);
        assertEquals(fixture("csvlogger_plain.csv"), Files.readString(plain));

        Path appended = dir.resolve("append.csv");
        fit(appended, ",", true, EPOCHS_A);
        fit(appended, ";", true, EPOCHS_B);
        assertEquals(fixture("csvlogger_append.csv"), Files.readString(appended));
    }

    @Test
    void floatsAreWrittenAsPythonReprWritesThem() {
        assertEquals("1e-05", CSVLogger.pythonFloat(1e-5));
        assertEquals("0.0001", CSVLogger.pythonFloat(1e-4));
        assertEquals("1234567890123456.0", CSVLogger.pythonFloat(1234567890123456.0));
        assertEquals("1.2345678901234568e+16", CSVLogger.pythonFloat(12345678901234567.0));
        assertEquals("-2.5e-300", CSVLogger.pythonFloat(-2.5e-300));
        assertEquals("0.1", CSVLogger.pythonFloat(0.1));
        assertEquals("-7.0", CSVLogger.pythonFloat(-7));
        assertEquals("-inf", CSVLogger.pythonFloat(Double.NEGATIVE_INFINITY));
    }

    @Test
    void badSeparatorsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CSVLogger(dir.resolve("x.csv"), ",,", false));
        assertEquals(true, e.getMessage().contains("',,'"), e.getMessage());
    }
}
