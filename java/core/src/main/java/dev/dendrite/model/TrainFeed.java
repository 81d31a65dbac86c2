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

    /** After the epoch's last step, before validation. */
    default void endEpoch() {
    }
}
