package dev.dendrite.callbacks;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A callback made of lambdas, as Keras's {@code LambdaCallback}, for the one-off hooks of a notebook:
 * <pre>{@code
 * LambdaCallback.onEpochEnd((epoch, logs) -> System.out.println(epoch + ": " + logs))
 *         .andOnTrainEnd(logs -> System.out.println("done"))
 *
 * // stop training once the training loss is at most 0.4
 * LambdaCallback.stopWhen(logs -> logs.get("loss") <= 0.4)
 * }</pre>
 * A static method starts a callback with one hook; the {@code andOn...} methods add more (hooks for the
 * same event run in the order they were added). Hooks that are not set do nothing. Batch hooks receive lazy logs:
 * reading them waits for the device, so read them only when needed.
 */
public final class LambdaCallback extends Callback {
    /** A hook that receives an epoch or batch number (0-based) and the logs. */
    @FunctionalInterface
    public interface Hook {
        void call(int index, Logs logs);
    }

    private Hook epochBegin;
    private Hook epochEnd;
    private Hook batchBegin;
    private Hook batchEnd;
    private Consumer<Logs> trainBegin;
    private Consumer<Logs> trainEnd;

    private LambdaCallback() {
    }

    /** A callback that runs {@code hook} at the end of every epoch. */
    public static LambdaCallback onEpochEnd(Hook hook) {
        return new LambdaCallback().andOnEpochEnd(hook);
    }

    /** A callback that runs {@code hook} at the start of every epoch. */
    public static LambdaCallback onEpochBegin(Hook hook) {
        return new LambdaCallback().andOnEpochBegin(hook);
    }

    /** A callback that runs {@code hook} after every training batch. */
    public static LambdaCallback onBatchEnd(Hook hook) {
        return new LambdaCallback().andOnBatchEnd(hook);
    }

    /** A callback that runs {@code hook} before every training batch. */
    public static LambdaCallback onBatchBegin(Hook hook) {
        return new LambdaCallback().andOnBatchBegin(hook);
    }

    /** A callback that runs {@code hook} when training starts. */
    public static LambdaCallback onTrainBegin(Consumer<Logs> hook) {
        return new LambdaCallback().andOnTrainBegin(hook);
    }

    /** A callback that runs {@code hook} when training ends. */
    public static LambdaCallback onTrainEnd(Consumer<Logs> hook) {
        return new LambdaCallback().andOnTrainEnd(hook);
    }

    /**
     * A callback that stops training at the end of the first epoch whose logs satisfy {@code condition},
     * e.g. {@code stopWhen(logs -> logs.get("accuracy") >= 0.95)}. The epoch in progress completes.
     */
    public static LambdaCallback stopWhen(Predicate<Logs> condition) {
        Objects.requireNonNull(condition, "condition");
        LambdaCallback cb = new LambdaCallback();
        // The hook needs the callback itself, to reach the model that fit sets on it.
        return cb.andOnEpochEnd((epoch, logs) -> {
            if (condition.test(logs)) {
                cb.requireModel("LambdaCallback.stopWhen").stopTraining();
            }
        });
    }

    /** Also runs {@code hook} at the end of every epoch. */
    public LambdaCallback andOnEpochEnd(Hook hook) {
        this.epochEnd = then(this.epochEnd, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Also runs {@code hook} at the start of every epoch. */
    public LambdaCallback andOnEpochBegin(Hook hook) {
        this.epochBegin = then(this.epochBegin, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Also runs {@code hook} after every training batch. */
    public LambdaCallback andOnBatchEnd(Hook hook) {
        this.batchEnd = then(this.batchEnd, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Also runs {@code hook} before every training batch. */
    public LambdaCallback andOnBatchBegin(Hook hook) {
        this.batchBegin = then(this.batchBegin, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Also runs {@code hook} when training starts. */
    public LambdaCallback andOnTrainBegin(Consumer<Logs> hook) {
        this.trainBegin = then(this.trainBegin, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Also runs {@code hook} when training ends. */
    public LambdaCallback andOnTrainEnd(Consumer<Logs> hook) {
        this.trainEnd = then(this.trainEnd, Objects.requireNonNull(hook, "hook"));
        return this;
    }

    private static Hook then(Hook first, Hook second) {
        return first == null ? second : (index, logs) -> {
            first.call(index, logs);
            second.call(index, logs);
        };
    }

    private static Consumer<Logs> then(Consumer<Logs> first, Consumer<Logs> second) {
        return first == null ? second : first.andThen(second);
    }

    @Override
    public void onTrainBegin(Logs logs) {
        if (trainBegin != null) {
            trainBegin.accept(logs);
        }
    }

    @Override
    public void onTrainEnd(Logs logs) {
        if (trainEnd != null) {
            trainEnd.accept(logs);
        }
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        if (epochBegin != null) {
            epochBegin.call(epoch, logs);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (epochEnd != null) {
            epochEnd.call(epoch, logs);
        }
    }

    @Override
    public void onTrainBatchBegin(int batch, Logs logs) {
        if (batchBegin != null) {
            batchBegin.call(batch, logs);
        }
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        if (batchEnd != null) {
            batchEnd.call(batch, logs);
        }
    }
}
