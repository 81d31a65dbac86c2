package dev.dendrite.model;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.callbacks.BackupAndRestore;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.callbacks.ProgressBar;

/**
 * The epochs of one {@link Sequential#fit} once its data is checked, split and on the device: per epoch the
 * shuffle, the training steps, the validation pass and the callbacks, in Keras's order. The model's weights and
 * the steps themselves live in the {@link Engine}; this only sequences them.
 */
final class FitLoop {
    private final Sequential model;
    private final Engine engine;
    private final FitOptions options;
    private final int rows;
    private final int batchSize;
    private final int steps;
    private final long seed;
    private final HostMetrics metrics;
    private final CallbackList callbacks;
    private final LossWatch watch;
    private final History history = new History();

    /**
     * A loop over {@code rows} training samples in batches of {@code batchSize} (at most {@code rows}); shuffles
     * and dropout draw from {@code seed}.
     */
    FitLoop(Sequential model, Engine engine, FitOptions options, int rows, int batchSize, long seed,
            HostMetrics metrics) {
        this(model, engine, options, rows, batchSize, (rows + batchSize - 1) / batchSize, seed, metrics);
    }

    /** A loop of {@code steps} batches per epoch from a {@link TrainFeed} other than arrays (a data source). */
    FitLoop(Sequential model, Engine engine, FitOptions options, int steps, long seed, HostMetrics metrics) {
        this(model, engine, options, -1, -1, steps, seed, metrics);
    }

    private FitLoop(Sequential model, Engine engine, FitOptions options, int rows, int batchSize, int steps,
            long seed, HostMetrics metrics) {
        this.model = model;
        this.engine = engine;
        this.options = options;
        this.rows = rows;
        this.batchSize = batchSize;
        this.steps = steps;
        this.seed = seed;
        this.metrics = metrics;
        this.callbacks = CallbackList.withProgressBar(options.callbacks(), options.verbose() == 0 ? null
                : ProgressBar.forConsole(options.verbose(), options.epochs(), steps), model)
                .setParams(options.verbose(), options.epochs(), steps);
        // On the cpu backend reading the loss is an array copy, so it is read after every batch; elsewhere (an
        // OpenCL device, even PoCL's, or CUDA) a read waits for the device, so only the reads made anyway count.
        this.watch = new LossWatch(options.terminateOnNaN(), "cpu".equals(engine.backend().name()),
                options.epochs(), steps, System.err, options.terminateOnNaN()
                        ? "FitOptions.terminateOnNaN(false) trains on regardless; FitOptions.checkNumerics(true) names"
                        + " the first op whose output held NaN or Inf (slow)."
                        : "Training goes on (FitOptions.terminateOnNaN(false)).");
    }

    /**
     * Trains on {@code train} (in the order of {@code permutation}, reshuffled each epoch, if given);
     * {@code validation} as in {@link #run(TrainFeed, Validation)}.
     */
    History run(DeviceData train, Buffer permutation, Validation validation) {
        return run(new ArrayFeed(train, permutation), validation);
    }

    /**
     * Trains on the batches of {@code feed}; {@code validation}, when given, runs after each epoch (as
     * {@link FitOptions#validationFreq} says).
     */
    History run(TrainFeed feed, Validation validation) {
        engine.checkTrainableUnchanged();
        engine.classWeights(options.classWeight());
        try {
            engine.mixup(options.mixup());
            metrics.attach();
            try {
                return runEpochs(feed, validation);
            } finally {
                metrics.detach();
            }
        } finally {
            engine.mixup(0); // evaluate, predict and later fits see clean data, unweighted
            engine.classWeights(Map.of());
        }
    }

    private History runEpochs(TrainFeed feed, Validation validation) {
        try {
            return runCallbacks(feed, validation);
        } catch (RuntimeException | Error e) {
            callbacks.closeAfterFailure(e); // no onTrainEnd, as in Keras; but no callback's file stays open
            throw e;
        }
    }

    private History runCallbacks(TrainFeed feed, Validation validation) {
        history.setParams(options.verbose(), options.epochs(), steps);
        callbacks.onTrainBegin();
        int[] resume = BackupAndRestore.resumePoint(callbacks.callbacks(), options.initialEpoch(), steps);
        Map<String, Double> lastLogs = Map.of();
        for (int epoch = resume[0]; epoch < options.epochs() && !model.isStopTraining(); epoch++) {
            long t0 = System.nanoTime();
            callbacks.onEpochBegin(epoch);
            Map<String, Double> logs = trainEpoch(epoch, feed, epoch == resume[0] ? resume[1] : 0);
            if (validation != null && options.validatesAfterEpoch(epoch)) {
                logs.putAll(validation.run(callbacks));
            }
            logs.put("learning_rate", engine.optimizer().learningRateAt(engine.stepsDone()));
            Logs epochLogs = Logs.of(logs);
            callbacks.onEpochEnd(epoch, epochLogs);
            Map<String, Double> recorded = new LinkedHashMap<>(epochLogs.asMap());
            recorded.put("epoch_time_s", (System.nanoTime() - t0) / 1e9);
            history.record(epoch, recorded);
            lastLogs = epochLogs.asMap();
        }
        if (options.finalizesAtEnd()) {
            engine.finalizeVariableValues();
        }
        callbacks.onTrainEnd(Logs.of(lastLogs));
        return history;
    }

    /** One epoch of training steps; returns its mean training metrics. */
    private Map<String, Double> trainEpoch(int epoch, TrainFeed feed, int firstBatch) {
        feed.beginEpoch(epoch);
        engine.beginEpoch(seed, firstBatch);
        metrics.metrics().reset();
        int seen = 0;
        // Keras's steps_per_execution: callbacks see an execution's first batch begin and its last batch end.
        int wanted = metrics.readsEveryBatch() || options.checkNumerics() ? 1 : options.stepsPerExecution();
        for (int b = firstBatch, count; b < steps; b += count) {
            count = feed.stepsAtOnce(b, Math.min(wanted, steps - b));
            int batchRows;
            callbacks.onTrainBatchBegin(b);
            try {
                batchRows = count == 1 ? feed.trainStep(epoch, b) : feed.trainSteps(epoch, b, count);
            } catch (NumericalFaultException e) {
                throw e.at(epoch, options.epochs(), b, steps); // from checkNumerics
            }
            for (int i = 0; i < count; i++) {
                metrics.afterStep(batchRows / count); // an execution of several steps holds only full batches
            }
            seen += batchRows;
            int seenNow = seen;
            int batch = b + count - 1;
            Logs batchLogs = Logs.lazy(() -> watch.seen(epoch, batch, runningLogs(seenNow)));
            callbacks.onTrainBatchEnd(batch, batchLogs);
            watch.afterBatch(batchLogs);
            if (model.isStopTraining()) {
                break; // as Keras 3: a stop asked for at a batch's end (TerminateOnNaN) ends the epoch there
            }
        }
        Map<String, Double> logs = watch.seen(epoch, steps - 1, runningLogs(seen));
        watch.act();
        feed.endEpoch();
        return logs;
    }

    /** The validation pass after an epoch. */
    @FunctionalInterface
    interface Validation {
        /**
         * The {@code val_} logs of one pass over the validation data, calling {@code callbacks}' evaluation hooks
         * (their logs without the prefix).
         */
        Map<String, Double> run(CallbackList callbacks);
    }

    /** Arrays on the device: each epoch reshuffled there (when {@code permutation} is given) and gathered by batch. */
    private final class ArrayFeed implements TrainFeed {
        private final DeviceData train;
        private final Buffer permutation;

        ArrayFeed(DeviceData train, Buffer permutation) {
            this.train = train;
            this.permutation = permutation;
        }

        @Override
        public void beginEpoch(int epoch) {
            if (permutation != null) {
                engine.backend().randomPermutation(permutation.all(), rows, seed, epoch);
            }
        }

        @Override
        public int trainStep(int epoch, int batch) {
            int batchRows = Math.min(batchSize, rows - batch * batchSize);
            engine.trainStep(train, permutation == null ? null : permutation.all(), batchSize, batchRows,
                    batch + 1 < fullBatches());
            return batchRows;
        }

        /** The epoch's full batches; a shorter last batch follows them. */
        private int fullBatches() {
            return rows / batchSize;
        }

        /** The full batches among the {@code wanted} from {@code batch} on: a shorter last batch runs alone. */
        @Override
        public int stepsAtOnce(int batch, int wanted) {
            int full = fullBatches() - batch;
            return Math.max(1, Math.min(wanted, full));
        }

        @Override
        public int trainSteps(int epoch, int batch, int count) {
            engine.trainSteps(train, permutation == null ? null : permutation.all(), batchSize, count,
                    batch + count < fullBatches());
            return count * batchSize;
        }
    }

    /** The epoch's running means after {@code seen} samples, read from the device. */
    private Map<String, Double> runningLogs(int seen) {
        float[] s = engine.trainStats();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", (double) s[Backend.STAT_LOSS] / seen);
        metrics.metrics().write(m, "", (double) s[Backend.STAT_ACCURACY] / seen);
        return m;
    }
}
