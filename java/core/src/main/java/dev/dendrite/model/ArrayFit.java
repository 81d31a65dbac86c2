package dev.dendrite.model;

import java.util.Arrays;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;

/**
 * {@code fit}, {@code evaluate} and {@code predict} of a {@link Sequential} on arrays, the fast path beside {@link SourceFit}: the
 * data is uploaded to the device once and every batch gathered there (through a shuffled index permutation), so
 * the training step is recorded once and replayed. The caller holds the model's guard and has checked the model
 * and the training data.
 */
final class ArrayFit {
    private final Sequential model;

    ArrayFit(Sequential model) {
        this.model = model;
    }

    /**
     * Trains on {@code x} with class-index {@code labels} or dense {@code targets} as {@code options} say; the
     * validation data is {@code options}' (arrays, or a source read after each epoch) or, with
     * {@code validationSplit}, the last fraction of {@code x} taken before any shuffling (Keras's semantics). The
     * caller closes a validation source.
     */
    History fit(Inputs x, int[] labels, Tensor targets, FitOptions options) {
        Inputs trainX = x;
        int[] trainLabels = labels;
        Tensor trainTargets = targets;
        float[] trainWeights = options.sampleWeight();
        float[] valWeights = null;
        options.checkOneKindOfWeight(trainWeights != null);
        FitOptions.checkWeightCount("sampleWeight", trainWeights, x.rows(), "sample");
        Inputs valX = options.validationX();
        int[] valLabels = options.validationLabels();
        Tensor valTargets = options.validationTargets();
        DataSource valSource = options.validationSource(); // overrides the other validation settings
        if (valSource != null) {
            valX = null;
        } else if (valX != null) {
            model.checkData(valX, valLabels, valTargets, "validation x");
            valWeights = options.validationSampleWeight();
            FitOptions.checkWeightCount("validation sampleWeight", valWeights, valX.rows(), "validation sample");
        } else if (options.validationSplit() > 0) {
            int split = (int) Math.floor(x.rows() * (1.0 - options.validationSplit()));
            if (split <= 0 || split >= x.rows()) {
                throw new IllegalArgumentException("validationSplit " + options.validationSplit() + " of "
                        + x.rows() + " samples leaves " + split + " for training; expected both parts non-empty");
            }
            trainX = x.rows(0, split);
            valX = x.rows(split, x.rows());
            if (trainWeights != null) { // Keras holds the weights out with their samples: val_loss is weighted
                valWeights = Arrays.copyOfRange(trainWeights, split, trainWeights.length);
                trainWeights = Arrays.copyOf(trainWeights, split);
            }
            if (labels != null) {
                trainLabels = Arrays.copyOfRange(labels, 0, split);
                valLabels = Arrays.copyOfRange(labels, split, labels.length);
            } else {
                trainTargets = targets.rows(0, split);
                valTargets = targets.rows(split, targets.rows());
            }
        }

        Engine engine = model.engine();
        Backend backend = engine.backend();
        int n = trainX.rows();
        int batchSize = Math.min(options.batchSize(), n);
        int valBatch = options.validationBatchFor(batchSize);
        long runSeed = options.seed() != null ? options.seed() : model.seed();
        HostMetrics metrics = new HostMetrics(engine, HostMetrics.resolve(model.metricSpecs(), engine, trainTargets));
        FitLoop loop = new FitLoop(model, engine, options, n, batchSize, runSeed, metrics);
        engine.checkNumerics(options.checkNumerics());
        // The workspace for the larger of the two batch shapes, once: growing it later would drop the recorded
        // training step and record it again.
        engine.ensureCapacity(valX == null ? batchSize : Math.max(batchSize, Math.min(valBatch, valX.rows())));
        try (DeviceData train = DeviceData.upload(backend, trainX, trainLabels, trainTargets, trainWeights);
             DeviceData val = valX == null ? null : DeviceData.upload(backend, valX, valLabels, valTargets,
                     valWeights);
             Buffer permutation = options.shuffle() ? backend.allocate(DType.I32, n) : null;
             SourceFit.Validation sourceVal = valSource == null ? null
                     : new SourceFit(model).validation(valSource, options)) {
            try {
                return loop.run(train, permutation, sourceVal != null ? events -> sourceVal.evaluate(metrics, events)
                        : val == null ? null : events -> metrics.evaluate(val, valBatch, "val_", events));
            } finally {
                engine.checkNumerics(false);
                engine.releaseRecordedSteps(); // recorded steps point into this fit's data buffers
            }
        }
    }

    /**
     * Loss (weighted by {@code sampleWeight}, or null) and metrics over {@code x} in batches, inference mode, calling
     * {@code events}' evaluation hooks.
     */
    Map<String, Double> evaluate(Inputs x, int[] labels, Tensor targets, float[] sampleWeight, int batchSize,
                                 CallbackList events) {
        Engine engine = model.engine();
        try (DeviceData d = DeviceData.upload(engine.backend(), x, labels, targets, sampleWeight)) {
            return new HostMetrics(engine, HostMetrics.resolve(model.metricSpecs(), engine, targets))
                    .evaluate(d, Math.min(batchSize, x.rows()), "", events);
        }
    }

    /**
     * The outputs for {@code x} in batches of {@code batchSize}, shape {@code [rows, output shape...]}; with
     * {@code training}, the layers' training forward passes drawing from {@code drawSeed} (Engine#predict); calls
     * {@code events}' prediction hooks.
     */
    Tensor predict(Inputs x, int batchSize, boolean training, long drawSeed, CallbackList events) {
        Engine engine = model.engine();
        try (DeviceData d = DeviceData.upload(engine.backend(), x, null, null)) {
            engine.clearInferenceStop(false);
            events.onPredictBegin();
            float[] out = engine.predict(d, Math.min(batchSize, x.rows()), training, drawSeed,
                    new Engine.InferenceHooks() {
                        @Override
                        public void before(int batch) {
                            events.onPredictBatchBegin(batch);
                        }

                        @Override
                        public void after(int batch, int start, int rows) {
                            events.onPredictBatchEnd(batch);
                        }
                    });
            events.onPredictEnd();
            int[] outShape = model.layers().get(model.layers().size() - 1).outputShape();
            int[] shape = new int[outShape.length + 1];
            shape[0] = out.length / engine.outputSize(); // fewer rows than x's if a callback stopped the pass
            System.arraycopy(outShape, 0, shape, 1, outShape.length);
            return Tensor.wrap(out, shape);
        }
    }
}
