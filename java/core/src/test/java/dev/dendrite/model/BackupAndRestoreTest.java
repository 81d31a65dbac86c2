package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.callbacks.BackupAndRestore;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.io.TensorData;
import dev.dendrite.io.ModelFile;

/**
 * BackupAndRestore: a fit that crashes or is killed (SIGKILL, in a child JVM, at seeded random moments) and is
 * run again ends with the same bits on the CPU as one uninterrupted fit with the same seed, whether it backs up
 * every epoch or every few batches; the backup is deleted when training ends.
 */
class BackupAndRestoreTest extends CpuModelTestBase {
    private static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path dir;

    /** Raises at one batch of one epoch, as a crash would. */
    private static Callback crashAt(int epoch, int batch) {
        return new Callback() {
            private int current;

            @Override
            public void onEpochBegin(int e, Logs logs) {
                current = e;
            }

            @Override
            public void onTrainBatchEnd(int b, Logs logs) {
                if (current == epoch && b == batch) {
                    throw new IllegalStateException("crash at epoch " + epoch + ", batch " + batch);
                }
            }
        };
    }

    @Test
    void aCrashedFitRunAgainEndsBitIdentical() {
        List<float[]> straight;
        try (Sequential m = BackupChild.net(cpu)) {
            m.fit(BackupChild.X, BackupChild.Y, BackupChild.options());
            straight = m.getWeights();
        }
        for (String freq : List.of("epoch", "4")) {
            Path backup = dir.resolve("backup-" + freq);
            try (Sequential m = BackupChild.net(cpu)) {
                BackupAndRestore b = new BackupAndRestore(backup, freq, true);
                assertThrows(IllegalStateException.class, () -> m.fit(BackupChild.X, BackupChild.Y,
                        BackupChild.options(b, crashAt(3, 6))));
                assertTrue(Files.exists(b.file()), "the crash leaves the backup");
            }
            try (Sequential m = BackupChild.net(cpu)) {
                History h = m.fit(BackupChild.X, BackupChild.Y,
                        BackupChild.options(new BackupAndRestore(backup, freq, true)));
                OptimizerStateFileTest.assertSameBits(straight, m.getWeights());
                // every epoch resumes at 3: by epoch, the three finished ones are done; by 4 batches, epoch 3's
                // first 4 batches are (the crash came after batch 6, the last backup after batch 3)
                assertEquals(List.of(3, 4, 5), h.epochs(), "save_freq " + freq);
                assertFalse(Files.exists(backup), "a normal end deletes the backup and its emptied folder");
            }
        }
    }

    @Test
    void badSaveFreqIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BackupAndRestore(dir, "0", true));
        assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    }

    @Test
    void aFitKilledAtRandomPointsAndRunAgainEndsWithTheSameBytes() throws Exception {
        Path reference = dir.resolve("reference.safetensors");
        long fitMs = runChild(dir.resolve("backup-ref"), reference, "2", -1, false);
        SplittableRandom r = new SplittableRandom(16);
        for (String freq : List.of("2", "epoch")) {
            Path backup = dir.resolve("backup-" + freq);
            Path result = dir.resolve("result-" + freq + ".safetensors");
            int restorable = 0;
            for (int k = 0; k < 4; k++) {
                // Uniformly within the time an uninterrupted fit takes, or (every other kill, so that some kill
                // surely lands where there is a backup to resume from) up to 100 ms after a backup first appears.
                boolean afterBackup = k % 2 == 1;
                long killed = runChild(backup, result, freq, afterBackup ? r.nextInt(100)
                        : r.nextInt((int) Math.max(1, fitMs)), afterBackup);
                restorable += killed < 0 && Files.exists(backup.resolve(BackupAndRestore.FILE_NAME)) ? 1 : 0;
            }
            assertTrue(restorable > 0, "save_freq " + freq + ": no kill left a backup to resume from (an"
                    + " uninterrupted fit took " + fitMs + " ms)");
            runChild(backup, result, freq, -1, false);
            assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(result), "save_freq " + freq);
            assertFalse(Files.exists(backup.resolve(BackupAndRestore.FILE_NAME)));
        }
        List<TensorData> w = new ArrayList<>(ModelFile.readWeights(reference).values());
        assertEquals(8, w.size(), "kernel, bias, gamma, beta, moving mean and variance, kernel, bias");
    }

    /**
     * Runs {@link BackupChild}; with {@code killAfterMs >= 0} kills it (SIGKILL) that long after its "ready" line
     * or, with {@code afterBackup}, after its backup file appears.
     *
     * @return -1 if it was killed before printing "done", else the milliseconds from "ready" to its end
     */
    private static long runChild(Path backup, Path result, String freq, int killAfterMs, boolean afterBackup)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                BackupChild.class.getName(), backup.toString(), result.toString(), freq));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        long[] readyAt = {0};
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (lines) {
                        if (line.equals("ready")) {
                            readyAt[0] = System.nanoTime();
                        }
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the child was killed
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            if (killAfterMs >= 0) {
                long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
                synchronized (lines) {
                    while (!lines.contains("ready") && p.isAlive() && System.nanoTime() < giveUp) {
                        lines.wait(100);
                    }
                }
                Path file = backup.resolve(BackupAndRestore.FILE_NAME);
                while (afterBackup && !Files.exists(file) && p.isAlive() && System.nanoTime() < giveUp) {
                    Thread.sleep(1);
                }
                Thread.sleep(killAfterMs);
                p.destroyForcibly();
            }
            assertTrue(p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "the child did not end: " + lines);
            reader.join(10_000);
            synchronized (lines) {
                boolean done = lines.contains("done");
                if (killAfterMs < 0 && (!done || p.exitValue() != 0)) {
                    fail("the child failed (exit " + p.exitValue() + "): " + lines);
                }
                return done ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readyAt[0]) : -1;
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
