package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.callbacks.ModelCheckpoint;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.optimizers.SGD;

/** Training that diverges: fit stops (or warns) naming epoch and batch, and nothing non-finite is saved. */
class NumericalFaultTest extends CpuModelTestBase {

    @TempDir
    Path dir;

    /** A net that SGD with a learning rate of 1e30 drives to infinities within two steps. */
    private static Sequential diverging() {
        Sequential m = smallNet();
        m.compile(new SGD(1e30), new dev.dendrite.losses.SparseCategoricalCrossentropy(), "accuracy");
        return m;
    }

    private static final Object[] DATA = SequentialTest.blobs(64, 14);

    /** Three epochs of eight batches, quietly, in order; also used by the OpenCL module's OpenClNumericalFaultTest. */
    static History fit(Sequential m, FitOptions o) {
        return m.fit((Tensor) DATA[0], (int[]) DATA[1], o.batchSize(8).epochs(3).verbose(0).shuffle(false));
    }

    @Test
    void fitStopsAtTheFirstNonFiniteLossNamingEpochAndBatch() throws IOException {
        Path f = dir.resolve("m.dmodel");
        try (Sequential m = diverging()) {
            m.save(f);
            byte[] before = Files.readAllBytes(f);
            NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> fit(m, new FitOptions()));
            assertEquals(0, e.epoch(), e.getMessage());
            assertTrue(e.batch() >= 1 && e.batch() <= 2, e.getMessage());
            assertTrue(e.getMessage().startsWith("epoch 1/3, batch " + (e.batch() + 1) + "/8: the training loss"
                    + " became"), e.getMessage());
            assertTrue(e.getMessage().contains("terminateOnNaN(false)") && e.getMessage().contains("checkNumerics"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("last seen finite"), "reads are free on the cpu backend: exact");
            // The diverged weights are not written over the saved model.
            assertThrows(IOException.class, () -> m.save(f));
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(f)));
        }
    }

    @Test
    void checkNumericsNamesTheFirstOpWhoseOutputWasNotFinite() {
        try (Sequential m = diverging()) {
            NumericalFaultException e = assertThrows(NumericalFaultException.class,
                    () -> fit(m, new FitOptions().checkNumerics(true)));
            assertTrue(e.getMessage().matches("epoch 1/3, batch \\d/8: the first NaN or Inf of this step is in .*"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("layer 'dense"), e.getMessage());
            assertTrue(e.batch() <= 2, e.getMessage());
        }
    }

    @Test
    void withTerminateOnNaNOffFitWarnsOnceAndTrainsOnButCheckpointsSkipTheEpochs() {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        Path ckpt = dir.resolve("ckpt-{epoch}.dmodel");
        try (Sequential m = diverging()) {
            History h = fit(m, new FitOptions().terminateOnNaN(false)
                    .callbacks(new ModelCheckpoint(ckpt.toString()).monitor("loss")));
            assertEquals(3, h.epochs().size());
            assertTrue(Double.isNaN(h.history().get("loss").get(2)) || Double.isInfinite(h.history().get("loss").get(2)));
        } finally {
            System.setErr(err);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.split("Warning: epoch 1/3", -1).length - 1, out);
        assertTrue(out.contains("not saving the model"), out);
        assertTrue(Files.notExists(dir.resolve("ckpt-1.dmodel")), out);
    }

    @Test
    void onADeviceBackendTheMessageSaysBetweenWhichReadsTheLossTurned() {
        LossWatch w = new LossWatch(true, false, 5, 100, System.err, "hint");
        Map<String, Double> finite = new LinkedHashMap<>(Map.of("loss", 0.5));
        w.seen(2, 9, finite);
        w.act();
        w.seen(2, 29, new LinkedHashMap<>(Map.of("loss", Double.NaN)));
        NumericalFaultException e = assertThrows(NumericalFaultException.class, w::act);
        assertEquals(2, e.epoch());
        assertEquals(29, e.batch());
        assertTrue(e.getMessage().startsWith("epoch 3/5, batch 30/100: the training loss became NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("last seen finite after batch 10"), e.getMessage());
    }
}
