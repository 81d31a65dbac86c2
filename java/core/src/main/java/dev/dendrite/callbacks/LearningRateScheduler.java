package dev.dendrite.callbacks;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.IntToDoubleFunction;

/**
 * Keras's {@code LearningRateScheduler}: at the start of each epoch the learning rate becomes
 * {@code schedule(epoch, currentRate)} (epochs from 0), for the whole epoch. {@code fit} records the rate of each
 * epoch in the {@code History} under {@code learning_rate}, as Keras 3 logs it. With verbose 1 it prints Keras's line
 * {@code "Epoch 3: LearningRateScheduler setting learning rate to 0.001."}. For a rate that changes every step use a
 * schedule ({@code dev.dendrite.optimizers.schedules}), computed on the device, instead.
 */
public final class LearningRateScheduler extends Callback {
    /** Keras's {@code schedule(epoch, lr) -> lr}. */
    @FunctionalInterface
    public interface Schedule {
        double apply(int epoch, double learningRate);
    }

    private final Schedule schedule;
    private final int verbose;
    private PrintStream out = System.out;

    public LearningRateScheduler(Schedule schedule) {
        this(schedule, 0);
    }

    public LearningRateScheduler(Schedule schedule, int verbose) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.verbose = Monitor.checkVerbose(verbose);
    }

    /** Keras's old form {@code schedule(epoch) -> lr}. */
    public static LearningRateScheduler ofEpoch(IntToDoubleFunction schedule) {
        Objects.requireNonNull(schedule, "schedule");
        return new LearningRateScheduler((epoch, lr) -> schedule.applyAsDouble(epoch));
    }

    /** Where the verbose lines go (default System.out). */
    public LearningRateScheduler printTo(PrintStream out) {
        this.out = Objects.requireNonNull(out, "out");
        return this;
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        TrainingModel model = requireModel("LearningRateScheduler");
        double lr = schedule.apply(epoch, model.learningRate());
        if (!Double.isFinite(lr) || lr < 0) {
            throw new IllegalArgumentException("LearningRateScheduler: the schedule gave " + lr + " for epoch " + epoch
                    + "; expected a finite learning rate >= 0");
        }
        model.setLearningRate(lr);
        if (verbose > 0) {
            out.println();
            out.println("Epoch " + (epoch + 1) + ": LearningRateScheduler setting learning rate to " + lr + ".");
        }
    }
}
