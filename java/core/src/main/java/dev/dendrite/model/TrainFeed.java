package dev.dendrite.model;

/**
 * Where the training batches of a {@link FitLoop} come from: arrays resident on the device, or a data source
 * whose batches are uploaded one by one. The loop calls, per epoch, {@link #beginEpoch}, then
 * {@link #trainStep} for each of the epoch's batches, then {@link #endEpoch}.
 */
interface TrainFeed {
    /** Before the epoch's first step (and before the engine resets its epoch statistics). */
    void beginEpoch(int epoch);

    /** Trains on batch {@code batch} of the epoch; returns the number of samples it held. */
    int trainStep(int epoch, int batch);

    /**
     * How many of the batches from {@code batch} on, at most {@code wanted}, {@link #trainSteps} can issue as one
     * execution: 1 unless the feed can (batches of equal size already on the device).
     */
    default int stepsAtOnce(int batch, int wanted) {
        return 1;
    }

    /** Trains on batches {@code batch .. batch + count - 1} as one execution; returns the samples they held. */
    default int trainSteps(int epoch, int batch, int count) {
        int rows = 0;
        for (int i = 0; i < count; i++) {
            rows += trainStep(epoch, batch + i);
        }
        return rows;
    }

    /** After the epoch's last step, before validation. */
    default void endEpoch() {
    }
}
