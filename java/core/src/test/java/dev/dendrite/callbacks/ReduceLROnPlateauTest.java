package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ReduceLROnPlateauTest {
    private final FakeModel model = new FakeModel();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private ReduceLROnPlateau attach(ReduceLROnPlateau cb) {
        cb.setModel(model);
        cb.setStreams(new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        return cb;
    }

    /** The learning rate after each epoch's callback. */
    private float[] fit(ReduceLROnPlateau cb, String metric, double... values) {
        cb.onTrainBegin(Logs.empty());
        float[] lrs = new float[values.length];
        for (int epoch = 0; epoch < values.length; epoch++) {
            cb.onEpochEnd(epoch, Logs.of(Map.of(metric, values[epoch], "learning_rate", (double) model.lr)));
            lrs[epoch] = model.lr;
        }
        cb.onTrainEnd(Logs.empty());
        return lrs;
    }

    @Test
    void reducesAfterPatienceEpochsWithoutImprovement() {
        ReduceLROnPlateau cb = attach(new ReduceLROnPlateau("val_loss", 0.5, 2));
        float[] lrs = fit(cb, "val_loss", 1, 1, 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.05f, 0.05f, 0.025f}, lrs);
    }

    @Test
    void improvementResetsTheCount() {
        ReduceLROnPlateau cb = attach(new ReduceLROnPlateau("val_loss", 0.5, 2));
        float[] lrs = fit(cb, "val_loss", 1, 1, 0.5, 0.6, 0.4, 0.45);
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, lrs);
    }

    @Test
    void cooldownPausesCounting() {
        float[] without = fit(attach(new ReduceLROnPlateau("loss", 0.5, 1)), "loss", 1, 1, 1, 1, 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.05f, 0.025f, 0.0125f, 0.00625f, 0.003125f, 0.0015625f}, without);

        model.lr = 0.1f;
        float[] with = fit(attach(new ReduceLROnPlateau("loss", 0.5, 1).cooldown(2)), "loss", 1, 1, 1, 1, 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.0125f, 0.0125f}, with);
    }

    @Test
    void neverGoesBelowMinLr() {
        ReduceLROnPlateau cb = attach(new ReduceLROnPlateau("loss", 0.1, 0).minLr(0.005));
        float[] lrs = fit(cb, "loss", 1, 1, 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.01f, 0.005f, 0.005f, 0.005f}, lrs);
        assertEquals(2, model.setLrCalls);
    }

    @Test
    void aRateFlooredInFloatCountsAsAtTheFloor() {
        // float(0.001) reads back as 0.0010000000475 > 0.001: a double comparison would "reduce" it again
        // (to the same value) every epoch, printing a message each time.
        ReduceLROnPlateau cb = attach(new ReduceLROnPlateau("loss", 0.1, 0).minLr(0.001));
        float[] lrs = fit(cb, "loss", 1, 1, 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.01f, 0.001f, 0.001f, 0.001f}, lrs);
        assertEquals(2, model.setLrCalls);
    }

    @Test
    void minDeltaIgnoresTinyImprovements() {
        float[] lrs = fit(attach(new ReduceLROnPlateau("loss", 0.5, 1)), "loss", 1.0, 0.99995, 0.95);
        assertArrayEquals(new float[] {0.1f, 0.05f, 0.05f}, lrs, "default minDelta 1e-4");

        model.lr = 0.1f;
        lrs = fit(attach(new ReduceLROnPlateau("loss", 0.5, 1).minDelta(0)), "loss", 1.0, 0.99995, 0.95);
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f}, lrs);
    }

    @Test
    void autoModeMaximizesAccuracy() {
        float[] lrs = fit(attach(new ReduceLROnPlateau("val_accuracy", 0.5, 0)), "val_accuracy", 0.5, 0.6, 0.7, 0.65);
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f, 0.05f}, lrs);
    }

    @Test
    void missingMetricWarnsOnceAndKeepsTheRate() {
        ReduceLROnPlateau cb = attach(new ReduceLROnPlateau("val_loss", 0.5, 0));
        float[] lrs = fit(cb, "loss", 1, 1, 1);
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f}, lrs);
        String err = errBytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, err.split("WARNING", -1).length - 1, err);
        assertTrue(err.contains("'val_loss'") && err.contains("available: [") && err.contains("loss")
                && err.contains("learning_rate"), err);
    }

    @Test
    void verboseAnnouncesTheNewRate() {
        fit(attach(new ReduceLROnPlateau("loss", 0.1, 1).verbose(1)), "loss", 1, 1);
        assertEquals("Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01." + System.lineSeparator(),
                outBytes.toString(StandardCharsets.UTF_8));
        assertEquals("0.0001", ReduceLROnPlateau.formatRate(0.1 * 0.001));
        assertEquals("1E-7", ReduceLROnPlateau.formatRate(1e-7));
    }

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().factor(1.0));
        assertTrue(e.getMessage().contains("factor 1.0") && e.getMessage().contains("0 < factor < 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().factor(1.5));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().factor(0));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().factor(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().patience(-1));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().cooldown(-1));
        e = assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().minLr(-1e-3));
        assertTrue(e.getMessage().contains("minLr -0.001"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().mode("up"));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().minDelta(-1));
    }
}
