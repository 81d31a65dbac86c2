package dev.dendrite.callbacks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.io.Json;
import dev.dendrite.io.ModelFile;
import dev.dendrite.model.Sequential;

/**
 * Keras's {@code BackupAndRestore}: backs the training up to {@code backup_dir} at the end of every epoch (or
 * every {@code save_freq} batches) and, when a fit is run again after being killed, restores it and carries on
 * from the backup. On the CPU the resumed fit ends with the same bits as an uninterrupted one with the same seed.
 *
 * <p>The backup is one model file ({@code latest.dendrite}) written atomically ({@code io/AtomicFiles}): the
 * weights, the optimizer's slots and step count (which also key the dropout stream), the state of its options
 * (use_ema's average, the gradient accumulator) and where to resume, so a
 * kill at any moment leaves either the previous backup or the new one, never a mix. Shuffling depends only on the
 * seed and the epoch. On a normal end of training the backup is deleted ({@code delete_checkpoint}), and the
 * folder too when that leaves it empty (Keras removes the whole folder).
 *
 * <p>Differences from Keras by design: a batch-level backup resumes at the next batch (Keras restarts the epoch
 * from its first batch, which repeats batches and so cannot end bit-identical); the resumed epoch's training
 * metrics cover the batches run after the resume. Callbacks' own state (e.g. EarlyStopping's) is not backed up,
 * as in Keras.
 */
public final class BackupAndRestore extends Callback {
    /** The backup's file name in {@code backup_dir}. */
    public static final String FILE_NAME = "latest.dendrite";
    /** The model-file metadata key that holds where to resume. */
    static final String METADATA_KEY = "backup_and_restore";

    private final Path backupDir;
    private final int saveFreq;
    private final boolean deleteCheckpoint;
    private int currentEpoch;
    private int batchesSinceSave;
    private int resumeEpoch = -1;
    private int resumeBatch;

    /** Backs up at the end of every epoch and deletes the backup when training ends normally. */
    public BackupAndRestore(Path backupDir) {
        this(backupDir, "epoch", true);
    }

    /**
     * @param saveFreq         {@code "epoch"}, or a number of batches between backups (Keras's {@code save_freq})
     * @param deleteCheckpoint whether a normal end of training deletes the backup
     */
    public BackupAndRestore(Path backupDir, String saveFreq, boolean deleteCheckpoint) {
        if (backupDir == null || backupDir.toString().isEmpty()) {
            throw new IllegalArgumentException("BackupAndRestore backup_dir '" + backupDir + "'; expected a folder");
        }
        this.backupDir = backupDir;
        this.saveFreq = parseSaveFreq(saveFreq);
        this.deleteCheckpoint = deleteCheckpoint;
    }

    private static int parseSaveFreq(String saveFreq) {
        if ("epoch".equals(saveFreq)) {
            return 0;
        }
        try {
            int n = Integer.parseInt(saveFreq == null ? "" : saveFreq.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("BackupAndRestore save_freq '" + saveFreq
                + "'; expected \"epoch\" or a number of batches >= 1");
    }

    /** The backup file. */
    public Path file() {
        return backupDir.resolve(FILE_NAME);
    }

    private Sequential sequential() {
        TrainingModel m = requireModel("BackupAndRestore");
        if (!(m instanceof Sequential)) {
            throw new IllegalStateException("BackupAndRestore needs a Sequential model; got " + m.getClass().getName());
        }
        return (Sequential) m;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onTrainBegin(Logs logs) {
        resumeEpoch = -1;
        batchesSinceSave = 0;
        Path file = file();
        if (!Files.exists(file)) {
            return;
        }
        try {
            sequential().loadState(file);
            Map<String, Object> config = (Map<String, Object>) Json.parse(ModelFile.read(file).configJson());
            Map<String, Object> meta = (Map<String, Object>) config.get("metadata");
            Object point = meta == null ? null : meta.get(METADATA_KEY);
            if (point == null) {
                throw new IOException(file + ": no \"" + METADATA_KEY + "\" metadata; expected a backup written by"
                        + " BackupAndRestore");
            }
            Map<String, Object> p = (Map<String, Object>) Json.parse((String) point);
            resumeEpoch = ((Number) p.get("epoch")).intValue();
            resumeBatch = ((Number) p.get("batch")).intValue();
        } catch (IOException e) {
            throw new UncheckedIOException("BackupAndRestore cannot restore " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        currentEpoch = epoch;
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        if (saveFreq > 0 && ++batchesSinceSave >= saveFreq) {
            batchesSinceSave = 0;
            save(currentEpoch, batch + 1);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (saveFreq == 0) {
            save(epoch + 1, 0);
        }
    }

    @Override
    public void onTrainEnd(Logs logs) {
        if (!deleteCheckpoint) {
            return;
        }
        try {
            Files.deleteIfExists(file());
            try (var left = Files.list(backupDir)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(backupDir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("BackupAndRestore cannot delete " + file() + ": " + e.getMessage(), e);
        }
    }

    /** Writes the backup: the model with its optimizer state, to resume at batch {@code batch} of {@code epoch}. */
    private void save(int epoch, int batch) {
        Sequential model = sequential();
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("epoch", epoch);
        point.put("batch", batch);
        model.metadata().put(METADATA_KEY, Json.write(point, false));
        try {
            Files.createDirectories(backupDir);
            model.save(file());
        } catch (IOException e) {
            throw new UncheckedIOException("BackupAndRestore cannot write " + file() + ": " + e.getMessage(), e);
        } finally {
            model.metadata().remove(METADATA_KEY);
        }
    }

    /**
     * Where a fit starts, {@code {epoch, batch}}: the restored backup's point when one of {@code callbacks} is a
     * BackupAndRestore that restored one, else {@code {initialEpoch, 0}}; a point past an epoch's last batch is the
     * next epoch's first. Called by {@code fit} after {@code onTrainBegin}.
     */
    public static int[] resumePoint(List<Callback> callbacks, int initialEpoch, int stepsPerEpoch) {
        for (Callback c : callbacks) {
            if (c instanceof BackupAndRestore && ((BackupAndRestore) c).resumeEpoch >= 0) {
                BackupAndRestore b = (BackupAndRestore) c;
                return b.resumeBatch >= stepsPerEpoch ? new int[] {b.resumeEpoch + 1, 0}
                        : new int[] {b.resumeEpoch, b.resumeBatch};
            }
        }
        return new int[] {initialEpoch, 0};
    }
}
