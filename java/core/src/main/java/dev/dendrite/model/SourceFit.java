package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.DataSourceException;
import dev.dendrite.data.Tensor;

/**
 * {@code fit}, {@code evaluate} and {@code predict} of a {@link Sequential} on a {@link DataSource}, Keras's
 * {@code fit(PyDataset)}: batches are read ahead by a {@link SourceReader}, checked as array data is, and copied
 * into a small device-side staging area that the recorded training step reads through a fixed index map, so the
 * step is recorded once and replayed as for arrays. The sources are closed on every way out.
 */
final class SourceFit {
    /**
     * Staging slots: batch {@code b} of an epoch goes to slot {@code b % SLOTS}, so the next batch can be copied in
     * while a backend with asynchronous copies still computes on the previous one.
     */
    private static final int SLOTS = 2;

    /** The {@code steps} of evaluate and predict that mean every batch of a finite source. */
    static final int ALL = -1;

    private final Sequential model;

    SourceFit(Sequential model) {
        this.model = model;
    }

    /**
     * Trains on {@code train} as {@code options} say, once {@code checks} of the model pass; the caller holds the
     * model's guard. The sources are closed on every way out, a failed check included.
     */
    History fit(DataSource train, FitOptions options, Runnable checks) {
        DataSource valSource = options.validationSource();
        try (DataSource closeTrain = train; DataSource closeVal = valSource) {
            checks.run();
            if (options.sampleWeight() != null) {
                throw new IllegalArgumentException("sampleWeight weighs the arrays given to fit, one weight per sample;"
                        + " a DataSource's batches carry their own (DataSource.of(x, y, sampleWeight, ...), or"
                        + " DataSource.Batch's sampleWeight)");
            }
            if (valSource == null && options.validationX() == null && options.validationSplit() > 0) {
                throw new IllegalArgumentException("validationSplit " + options.validationSplit() + " needs arrays;"
                        + " with a DataSource give FitOptions.validationData(a DataSource or arrays)");
            }
            return fitOpen(train, valSource, options);
        }
    }

    private History fitOpen(DataSource train, DataSource valSource, FitOptions options) {
        try (SourceReader reader = new SourceReader(train, "training", options.prefetch());
             Validation sourceVal = valSource == null ? null : validation(valSource, options)) {
            int steps = steps(reader, options.stepsPerEpoch(), "stepsPerEpoch");
            reader.request(steps);
            DataSource.Batch first = reader.next();
            buildFor(first, reader.lastIndex(), "training");
            check(first, reader.lastIndex(), "training");
            options.checkOneKindOfWeight(first.sampleWeight() != null);
            Engine engine = model.engine();
            long seed = options.seed() != null ? options.seed() : model.seed();
            HostMetrics metrics = new HostMetrics(engine, HostMetrics.resolve(model.metricSpecs(), engine,
                    first.labels() != null ? null : first.targets()));
            int capacity = first.size();
            int valBatch = options.validationBatchFor(capacity);
            if (options.validationX() != null) {
                check(new DataSource.Batch(options.validationX(), options.validationLabels(),
                        options.validationTargets()), -1, "validation");
                FitOptions.checkWeightCount("validation sampleWeight", options.validationSampleWeight(),
                        options.validationX().rows(), "validation sample");
            }
            engine.ensureCapacity(options.validationX() == null ? capacity
                    : Math.max(capacity, Math.min(valBatch, options.validationX().rows())));
            FitLoop loop = new FitLoop(model, engine, options, steps, seed, metrics);
            engine.checkNumerics(options.checkNumerics());
            // The index map holds one int per sample of an epoch, as the array path's shuffle buffer does.
            int mapLength = Math.multiplyExact(steps, capacity);
            try (DeviceData staging = DeviceData.staging(model.backend(), SLOTS * capacity, first);
                 Buffer order = model.backend().allocate(DType.I32, mapLength);
                 DeviceData valArrays = options.validationX() == null ? null : DeviceData.upload(model.backend(),
                         options.validationX(), options.validationLabels(), options.validationTargets(),
                         options.validationSampleWeight())) {
                int[] map = new int[mapLength];
                for (int i = 0; i < map.length; i++) {
                    map[i] = (i / capacity) % SLOTS * capacity + i % capacity;
                }
                model.backend().upload(map, 0, order.all());
                FitLoop.Validation validation = valArrays != null
                        ? events -> metrics.evaluate(valArrays, valBatch, "val_", events)
                        : sourceVal == null ? null : events -> sourceVal.evaluate(metrics, events);
                TrainFeed feed = new TrainFeed() {
                    private DataSource.Batch pending = first;
                    private int epochs;

                    @Override
                    public void beginEpoch(int epoch) {
                        if (epochs++ > 0) {
                            reader.request(steps); // the first epoch's batches were asked for with the first batch
                        }
                    }

                    @Override
                    public int trainStep(int epoch, int batch) {
                        DataSource.Batch b = pending;
                        pending = null;
                        if (b == null) {
                            b = reader.next();
                            check(b, reader.lastIndex(), "training");
                        }
                        staging.load(batch % SLOTS * capacity, b);
                        // Nothing to prefetch: the next batch is not on the device until its turn.
                        engine.trainStep(staging, order.all(), capacity, b.size(), false);
                        return b.size();
                    }

                    @Override
                    public void endEpoch() {
                        reader.endEpoch();
                    }
                };
                return loop.run(feed, validation);
            } finally {
                engine.checkNumerics(false);
                engine.releaseRecordedSteps(); // recorded steps point into the staging buffers
            }
        }
    }

    /**
     * A validation pass over a {@code source}, read {@code options.validationSteps()} batches (or all of a finite
     * source's) after each epoch; the caller closes it, then the source.
     */
    Validation validation(DataSource source, FitOptions options) {
        return new Validation(source, options);
    }

    /** The reader and the device staging of a validation source, for the epochs of one fit. */
    final class Validation implements AutoCloseable {
        private final SourceReader reader;
        private final int steps;
        private final Staged staged = new Staged();

        private Validation(DataSource source, FitOptions options) {
            reader = new SourceReader(source, "validation", options.prefetch());
            try {
                steps = steps(reader, options.validationSteps(), "validationSteps");
            } catch (RuntimeException e) {
                reader.close();
                throw e;
            }
        }

        /**
         * {@code val_loss} and the {@code val_} metrics over one pass, computed as {@code metrics} compute them,
         * calling {@code events}' evaluation hooks.
         */
        Map<String, Double> evaluate(HostMetrics metrics, CallbackList events) {
            return SourceFit.this.evaluate(reader, steps, staged, "validation", metrics, "val_", events);
        }

        @Override
        public void close() {
            try (SourceReader r = reader) {
                staged.close();
            }
        }
    }

    /**
     * Loss and metrics over the first {@code steps >= 1} batches of {@code source} (which may then be endless), or
     * with {@link #ALL} over every batch of a finite one, once {@code checks} pass, calling {@code events}'
     * evaluation hooks; the caller holds the model's guard. Closes the source.
     */
    Map<String, Double> evaluate(DataSource source, int steps, Runnable checks, CallbackList events) {
        Runnable allChecks = steps == ALL ? checks : () -> {
            requireSteps(steps, "evaluate");
            checks.run();
        };
        try (DataSource closeSource = source;
             SourceReader reader = startReading(source, "evaluation", allChecks);
             Staged staged = new Staged()) {
            return evaluate(reader, steps(reader, steps, "steps", "evaluate(source, steps)"), staged, "evaluation",
                    null, "", events);
        }
    }

    /**
     * The outputs for the first {@code givenSteps >= 1} batches of {@code source} (which may then be endless), or
     * with {@link #ALL} for every batch of a finite one, in its order, once {@code checks} pass, calling
     * {@code events}' prediction hooks; the caller holds the model's guard. Closes the source.
     */
    Tensor predict(DataSource source, int givenSteps, Runnable checks, CallbackList events) {
        Runnable allChecks = givenSteps == ALL ? checks : () -> {
            requireSteps(givenSteps, "predict");
            checks.run();
        };
        try (DataSource closeSource = source;
             SourceReader reader = startReading(source, "prediction", allChecks);
             Staged staged = new Staged()) {
            int steps = steps(reader, givenSteps, "steps", "predict(source, steps)");
            reader.request(steps);
            List<float[]> parts = new ArrayList<>();
            int rows = 0;
            model.engine().clearInferenceStop(false);
            events.onPredictBegin();
            for (int s = 0; s < steps; s++) {
                DataSource.Batch b = reader.next();
                if (s > 0 && model.engine().inferenceStopped(false)) {
                    skipRest(reader, steps - s - 1);
                    break;
                }
                if (s == 0) {
                    buildFor(b, reader.lastIndex(), "prediction");
                }
                checkInputs(b, reader.lastIndex(), "prediction");
                events.onPredictBatchBegin(s);
                parts.add(model.engine().predict(staged.load(b), b.size()));
                rows += b.size();
                events.onPredictBatchEnd(s);
            }
            reader.endEpoch();
            events.onPredictEnd();
            int[] outShape = model.layers().get(model.layers().size() - 1).outputShape();
            int width = model.layers().get(model.layers().size() - 1).outputSize();
            float[] out = new float[Math.multiplyExact(rows, width)];
            int at = 0;
            for (float[] p : parts) {
                System.arraycopy(p, 0, out, at, p.length);
                at += p.length;
            }
            int[] shape = new int[outShape.length + 1];
            shape[0] = rows;
            System.arraycopy(outShape, 0, shape, 1, outShape.length);
            return Tensor.wrap(out, shape);
        }
    }

    /**
     * Loss and metrics over the next {@code steps} batches of {@code reader}, each batch weighted by its samples
     * as Keras weights them, keys prefixed by {@code prefix}; ends the source's epoch. {@code metrics} null: the
     * model's metrics for the first batch's targets. Metrics computed on the host see each batch's outputs and its
     * targets as staged on the device. {@code events}' evaluation hooks are called as {@link HostMetrics#evaluate}
     * calls them.
     */
    private Map<String, Double> evaluate(SourceReader reader, int steps, Staged staged, String role,
                                         HostMetrics metrics, String prefix, CallbackList events) {
        reader.request(steps);
        Engine engine = model.engine();
        double loss = 0;
        double accuracy = 0;
        long rows = 0;
        engine.clearInferenceStop(true);
        events.onTestBegin();
        for (int s = 0; s < steps; s++) {
            DataSource.Batch b = reader.next();
            if (s > 0 && engine.inferenceStopped(true)) {
                skipRest(reader, steps - s - 1);
                break;
            }
            if (s == 0) {
                buildFor(b, reader.lastIndex(), role);
                if (metrics == null) {
                    metrics = new HostMetrics(engine, HostMetrics.resolve(model.metricSpecs(), engine,
                            b.labels() != null ? null : b.targets()));
                }
                metrics.metrics().reset();
            }
            check(b, reader.lastIndex(), role);
            events.onTestBatchBegin(s);
            DeviceData data = staged.load(b);
            double[] v = metrics.evaluateCounting(data, b.size());
            loss += v[0] * b.size();
            accuracy += v[1] * b.size();
            rows += b.size();
            double lossSoFar = loss / rows;
            double accuracySoFar = accuracy / rows;
            HostMetrics m = metrics;
            events.onTestBatchEnd(s, Logs.lazy(() -> m.logs("", lossSoFar, accuracySoFar)));
        }
        reader.endEpoch();
        return HostMetrics.endTest(events, metrics.logs("", loss / rows, accuracy / rows), prefix);
    }

    /**
     * Reads and drops the {@code count} batches still asked of {@code reader} after a callback stopped the pass, so
     * that the source's next pass starts at its first batch.
     */
    private static void skipRest(SourceReader reader, int count) {
        for (int i = 0; i < count; i++) {
            reader.next();
        }
    }

    private static SourceReader startReading(DataSource source, String role, Runnable checks) {
        checks.run();
        return new SourceReader(source, role, FitOptions.DEFAULT_PREFETCH);
    }

    /** The batches per epoch to read: {@code given} (checked against a finite source), else the source's count. */
    private static int steps(SourceReader reader, int given, String option) {
        return steps(reader, given, option, "FitOptions." + option);
    }

    /**
     * As {@link #steps(SourceReader, int, String)}, {@code remedy} saying where to give the count for an endless
     * source.
     */
    private static int steps(SourceReader reader, int given, String option, String remedy) {
        int n = reader.length();
        if (given < 0) {
            if (n < 0) {
                throw new IllegalArgumentException("the data source is endless (batchesPerEpoch() is -1); give "
                        + remedy + " for it");
            }
            return n;
        }
        if (n > 0 && given > n) {
            throw new IllegalArgumentException(option + " " + given + " but the data source has only " + n
                    + " batches per epoch; expected at most " + n);
        }
        return given;
    }

    /** The {@code steps} a user gave evaluate or predict, checked. */
    private static void requireSteps(int steps, String what) {
        if (steps < 1) {
            throw new IllegalArgumentException(what + " steps " + steps + "; expected the number of batches to read,"
                    + " >= 1");
        }
    }

    /** Builds the model for the first batch's sample shape unless it is built. */
    private void buildFor(DataSource.Batch b, int index, String role) {
        if (!model.isBuilt()) {
            int[] shape = model.inputShape();
            try {
                model.build(shape != null ? shape : b.x().sampleShape());
            } catch (IllegalArgumentException e) {
                throw new DataSourceException(role, index, e.getMessage(), e);
            }
        }
    }

    /** The checks array data passes before fit or evaluate, naming the batch when one fails. */
    private void check(DataSource.Batch b, int index, String role) {
        checkInputs(b, index, role);
        try {
            DataChecks.labels(b.x(), b.labels(), b.targets(), index < 0 ? role + " x" : role + " batch " + index,
                    model.layers().get(model.layers().size() - 1).outputSize(), model.loss());
        } catch (IllegalArgumentException e) {
            throw index < 0 ? e : new DataSourceException(role, index, e.getMessage(), e);
        }
    }

    private void checkInputs(DataSource.Batch b, int index, String role) {
        try {
            DataChecks.inputs(b.x(), index < 0 ? role + " x" : role + " batch " + index + " x",
                    model.layers().get(0).inputSize(), model.inputShape());
        } catch (IllegalArgumentException e) {
            throw index < 0 ? e : new DataSourceException(role, index, e.getMessage(), e);
        }
    }

    /**
     * One batch at a time on the device for evaluate and predict: staging made for the first batch (the reader
     * keeps the others to its size and kind) and reused.
     */
    private final class Staged implements AutoCloseable {
        private DeviceData data;

        DeviceData load(DataSource.Batch b) {
            if (data == null) {
                data = DeviceData.staging(model.backend(), b.size(), b);
            }
            data.load(0, b);
            return data.view(0, b.size());
        }

        @Override
        public void close() {
            if (data != null) {
                data.close();
            }
        }
    }
}
