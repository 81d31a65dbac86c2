package dev.dendrite.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.Slice;
import dev.dendrite.callbacks.Callback;
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
    private final int valBatch;
    private final long seed;
    private final boolean reportAccuracy;
    private final CallbackList callbacks;
    private final LossWatch watch;
    private final History history = new History();

    /**
     * A loop over {@code rows} training samples in batches of {@code batchSize} (at most {@code rows}), validated
     * in batches of {@code valBatch}; shuffles and dropout draw from {@code seed}.
     */
    FitLoop(Sequential model, Engine engine, FitOptions options, int rows, int batchSize, int valBatch, long seed,
            boolean reportAccuracy) {
        this.model = model;
        this.engine = engine;
        this.options = options;
        this.rows = rows;
        this.batchSize = batchSize;
        this.steps = (rows + batchSize - 1) / batchSize;
        this.valBatch = valBatch;
        this.seed = seed;
        this.reportAccuracy = reportAccuracy;
        List<Callback> all = new ArrayList<>();
        if (options.verbose() > 0) {
            all.add(ProgressBar.forConsole(options.verbose(), options.epochs(), steps));
        }
        all.addAll(options.callbacks());
        this.callbacks = new CallbackList(all, model);
        // On the cpu backend reading the loss is an array copy, so it is read after every batch; elsewhere (an
        // OpenCL device, even PoCL's, or CUDA) a read waits for the device, so only the reads made anyway count.
        this.watch = new LossWatch(options.terminateOnNaN(), "cpu".equals(engine.backend().name()),
                options.epochs(), steps, System.err, options.terminateOnNaN()
                        ? "FitOptions.terminateOnNaN(false) trains on regardless; FitOptions.checkNumerics(true) names"
                        + " the first op whose output held NaN or Inf (slow)."
                        : "Training goes on (FitOptions.terminateOnNaN(false)).");
    }

    /** Trains on {@code train} (in the order of {@code permutation}, reshuffled each epoch, if given). */
    History run(DeviceData train, DeviceData val, Buffer permutation) {
        callbacks.onTrainBegin();
        for (int epoch = options.initialEpoch(); epoch < options.epochs() && !model.isStopTraining(); epoch++) {
            long t0 = System.nanoTime();
            callbacks.onEpochBegin(epoch);
            Map<String, Double> logs = trainEpoch(epoch, train, permutation);
            if (val != null) {
                double[] v = engine.evaluate(val, valBatch);
                logs.put("val_loss", v[0]);
                if (reportAccuracy) {
                    logs.put("val_accuracy", v[1]);
                }
            }
            logs.put("learning_rate", engine.optimizer().learningRate());
            Logs epochLogs = Logs.of(logs);
            callbacks.onEpochEnd(epoch, epochLogs);
            Map<String, Double> recorded = new LinkedHashMap<>(epochLogs.asMap());
            recorded.put("epoch_time_s", (System.nanoTime() - t0) / 1e9);
            history.record(epoch, recorded);
        }
        callbacks.onTrainEnd();
        return history;
    }

    /** One epoch of training steps; returns its mean training metrics. */
    private Map<String, Double> trainEpoch(int epoch, DeviceData train, Buffer permutation) {
        if (permutation != null) {
            engine.backend().randomPermutation(permutation.all(), rows, seed, epoch);
        }
        Slice order = permutation == null ? null : permutation.all();
        engine.beginEpoch(seed);
        int seen = 0;
        for (int b = 0; b < steps; b++) {
            int batchRows = Math.min(batchSize, rows - b * batchSize);
            callbacks.onTrainBatchBegin(b);
            try {
                engine.trainStep(train, order, batchSize, batchRows);
            } catch (NumericalFaultException e) {
                throw e.at(epoch, options.epochs(), b, steps); // from checkNumerics
            }
            seen += batchRows;
            int seenNow = seen;
            int batch = b;
            Logs batchLogs = Logs.lazy(() -> watch.seen(epoch, batch, runningLogs(seenNow)));
            callbacks.onTrainBatchEnd(b, batchLogs);
            watch.afterBatch(batchLogs);
        }
        Map<String, Double> logs = watch.seen(epoch, steps - 1, runningLogs(rows));
        watch.act();
        return logs;
    }

    /** The epoch's running means after {@code seen} samples, read from the device. */
    private Map<String, Double> runningLogs(int seen) {
        float[] s = engine.trainStats();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", (double) s[Backend.STAT_LOSS] / seen);
        if (reportAccuracy) {
            m.put("accuracy", (double) s[Backend.STAT_ACCURACY] / seen);
        }
        return m;
    }
}
