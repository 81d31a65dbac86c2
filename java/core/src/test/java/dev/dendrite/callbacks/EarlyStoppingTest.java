package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    private final FakeModel model = new FakeModel();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private EarlyStopping attach(EarlyStopping cb) {
        cb.setModel(model);
        cb.setStreams(new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        return cb;
    }

    /** Runs a fit the way the engine will: returns the number of epochs that ran. */
    private int fit(EarlyStopping cb, String metric, double... values) {
        model.stopCalls = 0;
        cb.onTrainBegin(Logs.empty());
        int epochs = 0;
        for (int epoch = 0; epoch < values.length; epoch++) {
            epochs++;
            model.setWeightsToEpoch(epoch);
            cb.onEpochEnd(epoch, Logs.of(Map.of(metric, values[epoch])));
            if (model.stopped()) {
                break;
            }
        }
        cb.onTrainEnd(Logs.empty());
        return epochs;
    }

    @Test
    void stopsAfterPatienceEpochsWithoutImprovement() {
        double[] losses = {10, 9, 8, 9, 8.9, 8.8, 8.7, 8.6, 8.5};
        for (int patience = 0; patience <= 3; patience++) {
            EarlyStopping cb = attach(new EarlyStopping("loss", patience));
            fit(cb, "loss", losses);
            // epoch 2 is the best; epochs 3.. do not beat it
            assertEquals(Math.max(patience, 1) + 2, cb.stoppedEpoch(), "patience " + patience);
            assertEquals(1, model.stopCalls);
            assertEquals(8.0, cb.bestValue());
            assertEquals(2, cb.bestEpoch());
        }
    }

    @Test
    void doesNotStopWhileImproving() {
        EarlyStopping cb = attach(new EarlyStopping("loss", 0));
        assertEquals(4, fit(cb, "loss", 4, 3, 2, 1));
        assertEquals(-1, cb.stoppedEpoch());
        assertFalse(model.stopped());
    }

    @Test
    void minDeltaDemandsALargerImprovement() {
        double[] losses = {1.0, 0.95, 0.92, 0.91};
        EarlyStopping plain = attach(new EarlyStopping("loss", 1));
        assertEquals(4, fit(plain, "loss", losses));

        EarlyStopping strict = attach(new EarlyStopping("loss", 1).minDelta(0.1));
        assertEquals(2, fit(strict, "loss", losses));
        assertEquals(1, strict.stoppedEpoch());
        assertEquals(1.0, strict.bestValue());
    }

    @Test
    void autoModeMaximizesAccuracy() {
        double[] acc = {0.5, 0.6, 0.55, 0.58};
        EarlyStopping auto = attach(new EarlyStopping("val_accuracy", 1));
        fit(auto, "val_accuracy", acc);
        assertEquals(2, auto.stoppedEpoch());
        assertEquals(0.6, auto.bestValue());
        assertEquals(1, auto.bestEpoch());

        EarlyStopping min = attach(new EarlyStopping("val_accuracy", 1).mode("min"));
        fit(min, "val_accuracy", acc);
        assertEquals(1, min.stoppedEpoch(), "min mode treats the rise to 0.6 as no improvement");

        EarlyStopping max = attach(new EarlyStopping("loss", 1).mode("max"));
        fit(max, "loss", 3, 2);
        assertEquals(1, max.stoppedEpoch());
    }

    @Test
    void autoModeDirectionByName() {
        assertTrue(Monitor.maximizes("val_accuracy", "auto"));
        assertTrue(Monitor.maximizes("acc", "auto"));
        assertTrue(Monitor.maximizes("val_auc", "auto"));
        assertFalse(Monitor.maximizes("val_loss", "auto"));
        assertFalse(Monitor.maximizes("mse", "auto"));
        assertFalse(Monitor.maximizes("val_accuracy", "min"));
        assertTrue(Monitor.maximizes("loss", "max"));
    }

    @Test
    void baselineNeverBeatenStopsAfterPatienceAndRestoresBest() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 5).baseline(0.5).restoreBestWeights(true));
        int epochs = fit(cb, "val_loss", 0.9, 0.8, 0.7, 0.71, 0.72, 0.73);
        assertEquals(5, epochs);
        assertEquals(4, cb.stoppedEpoch());
        assertEquals(2f, model.weightMarker(), "weights of the best epoch (0.7)");
    }

    @Test
    void baselineStopsEvenWhileSlowlyImproving() {
        // Each epoch beats the previous one but none beats the baseline: patience keeps counting.
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 3).baseline(0.5));
        fit(cb, "val_loss", 0.9, 0.8, 0.7, 0.6, 0.55, 0.52);
        assertEquals(2, cb.stoppedEpoch());
        assertEquals(0.7, cb.bestValue());
    }

    @Test
    void beatingTheBaselineResetsPatience() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 2).baseline(0.5));
        fit(cb, "val_loss", 0.6, 0.4, 0.45, 0.46, 0.47);
        assertEquals(3, cb.stoppedEpoch());
    }

    @Test
    void restoresTheBestEpochsWeightsWhenStopping() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 2).restoreBestWeights(true));
        assertEquals(5, fit(cb, "val_loss", 0.2, 0.15, 0.1, 0.11, 0.12));
        assertEquals(4, cb.stoppedEpoch());
        // The fake hands out its live array and overwrites it each epoch: this also checks that the
        // snapshot was a copy.
        assertEquals(2f, model.weightMarker());
    }

    @Test
    void restoresBestWeightsAlsoWhenTheEpochsRunOut() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 5).restoreBestWeights(true));
        assertEquals(3, fit(cb, "val_loss", 0.3, 0.2, 0.25));
        assertEquals(-1, cb.stoppedEpoch());
        assertEquals(1f, model.weightMarker());
    }

    @Test
    void leavesWeightsAloneWithoutRestoreBestWeights() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 1));
        fit(cb, "val_loss", 0.2, 0.1, 0.3);
        assertEquals(2f, model.weightMarker());
    }

    @Test
    void startFromEpochIgnoresWarmUp() {
        EarlyStopping cb = attach(new EarlyStopping("loss", 0).startFromEpoch(2));
        fit(cb, "loss", 1, 2, 3, 2.5, 2.6);
        assertEquals(4, cb.stoppedEpoch());
        assertEquals(3, cb.bestEpoch());
    }

    @Test
    void nanNeverBecomesTheBest() {
        EarlyStopping cb = attach(new EarlyStopping("loss", 0));
        fit(cb, "loss", 0.5, Double.NaN);
        assertEquals(1, cb.stoppedEpoch());
        assertEquals(0.5, cb.bestValue());
    }

    @Test
    void missingMetricWarnsOnceAndNeverStops() {
        EarlyStopping cb = attach(new EarlyStopping()); // val_loss, patience 0
        cb.onTrainBegin(Logs.empty());
        for (int epoch = 0; epoch < 3; epoch++) {
            cb.onEpochEnd(epoch, Logs.of(Map.of("loss", 1.0 + epoch)));
        }
        String err = errBytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, err.split("WARNING", -1).length - 1, err);
        assertTrue(err.contains("'val_loss'") && err.contains("[loss]") && err.contains("validation data"), err);
        assertFalse(model.stopped());
        assertEquals(-1, cb.stoppedEpoch());
    }

    @Test
    void reusableAcrossFits() {
        EarlyStopping cb = attach(new EarlyStopping("loss", 0));
        fit(cb, "loss", 1, 2);
        assertEquals(1, cb.stoppedEpoch());
        fit(cb, "loss", 3, 2, 1);
        assertEquals(-1, cb.stoppedEpoch());
        assertEquals(1.0, cb.bestValue());
    }

    @Test
    void verboseSaysWhenItStopsAndRestores() {
        EarlyStopping cb = attach(new EarlyStopping("val_loss", 2).restoreBestWeights(true).verbose(1));
        fit(cb, "val_loss", 0.2, 0.15, 0.1, 0.11, 0.12);
        String nl = System.lineSeparator();
        assertEquals("Epoch 5: early stopping" + nl + "Restoring model weights from the end of the best epoch: 3." + nl,
                outBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().patience(-1));
        assertTrue(e.getMessage().contains("patience -1") && e.getMessage().contains(">= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().mode("maximum"));
        assertTrue(e.getMessage().contains("'maximum'") && e.getMessage().contains("\"max\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().minDelta(-0.1));
        assertTrue(e.getMessage().contains("-0.1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().baseline(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().startFromEpoch(-2));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().verbose(3));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(" ", 1));
    }

    @Test
    void withoutAModelItSaysHowToUseIt() {
        EarlyStopping cb = new EarlyStopping("loss", 0);
        cb.onTrainBegin(Logs.empty());
        cb.onEpochEnd(0, Logs.of(Map.of("loss", 1.0)));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cb.onEpochEnd(1, Logs.of(Map.of("loss", 2.0))));
        assertTrue(e.getMessage().contains("FitOptions.callbacks"), e.getMessage());
    }
}
