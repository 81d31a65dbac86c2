package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.callbacks.CallbackList;
import dev.dendrite.callbacks.TrainingModel;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Layers;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.metrics.MetricSet;
import dev.dendrite.optimizers.Optimizer;

/**
 * A linear stack of layers, trained the Keras way:
 * <pre>{@code
 * try (Sequential model = new Sequential(
 *         new Input(28, 28),
 *         new Flatten(),
 *         new Dense(512, "relu"),
 *         new Dense(512, "relu"),
 *         new Dense(10, "softmax"))) {
 *     model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
 *     History history = model.fit(xTrain, yTrain, new FitOptions().batchSize(128).epochs(10)
 *             .validationData(xVal, yVal));
 *     Map<String, Double> test = model.evaluate(xTest, yTest);
 * }
 * }</pre>
 *
 * <p>The model is built (weights allocated and initialised) when its input shape is known: at construction
 * when the first layer is an {@link Input}, else by {@link #build} or the first {@code fit}. It runs on the
 * backend given to {@link #backend(Backend)}, else on {@link Backends#auto()}, which it then owns and closes.
 * A model holds backend memory: close it (try-with-resources) when done.
 *
 * <p><b>Threads.</b> A model is not thread-safe: use it from one thread at a time. A call from a second thread
 * while another is inside {@code build}, {@code compile}, {@code fit}, {@code evaluate}, {@code predict},
 * {@code getWeights}, {@code setWeights}, a save or load of weights, {@code setLearningRate} or {@code close}
 * fails at once with an {@link IllegalStateException} and leaves the model as the first thread has it; callbacks
 * may call back into the model from inside {@code fit} (same thread). {@link #stopTraining()} and
 * {@link #isStopTraining()} are the exceptions: any thread may call them, e.g. to stop a running {@code fit}.
 * Several models may run on separate threads on backends of their own; sharing one {@link Backend} between
 * threads is not supported. {@link #load} and the file writers are safe to call concurrently for different
 * files.
 *
 * <p><b>Numerical faults.</b> {@code fit} stops with a {@link NumericalFaultException} when the training loss
 * becomes NaN or infinite (see {@link FitOptions#terminateOnNaN} and {@link FitOptions#checkNumerics}); a model
 * whose weights are not finite is never saved over an existing file, and is refused by {@link #load}.
 */
public final class Sequential implements TrainingModel, AutoCloseable {
    /** The default seed of weight initialisation and training, so that runs repeat unless told otherwise. */
    public static final long DEFAULT_SEED = 42L;
    /** Rows per batch for {@link #evaluate} and {@link #predict} unless given. */
    public static final int DEFAULT_INFERENCE_BATCH = 256;

    private final List<Layer> layers = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String name = "sequential";
    private long seed = DEFAULT_SEED;
    /** How many {@link #call}s in training mode drew so far: each draws anew. */
    private long trainingCalls;
    private int[] inputShape;
    private Backend backend;
    private boolean ownsBackend;
    private Engine engine;
    private Optimizer optimizer;
    private Loss loss;
    private final List<Object> metrics = new ArrayList<>(); // names as written, or configured Metric objects
    private volatile boolean stopTraining;
    private boolean closed;
    private final UseGuard guard = new UseGuard();

    /** A model of these layers; an {@link Input} may only come first. */
    public Sequential(Layer... layers) {
        for (Layer layer : layers) {
            add(layer);
        }
    }

    /**
     * Appends a layer, Keras's {@code model.add(layer)}. On a built model (a loaded one, say) the model is rebuilt
     * around it: the other layers keep their weights, the new one is initialised, and, as in Keras, the model must be
     * compiled again before it trains (the compile configuration is dropped: the loss and the optimizer's state were
     * those of the old output). With {@link #pop()}, how a trained model's lower layers are reused under a new
     * output (then frozen with {@link Layer#setTrainable}).
     *
     * @throws IllegalArgumentException for an {@link Input} after the first layer, a layer already in the model, or
     *                                  one that cannot take the last layer's output (the model is left unchanged)
     */
    public Sequential add(Layer layer) {
        checkOpen();
        if (layer == null) {
            throw new IllegalArgumentException("layer is null");
        }
        if (engine != null) {
            if (layer instanceof Input || layers.contains(layer)) {
                throw new IllegalArgumentException("cannot add " + layer + " to the built model '" + name + "': "
                        + (layer instanceof Input ? "an Input layer can only be the first layer"
                        : "it is already in this model"));
            }
            return guard.run(name, "add", () -> {
                layer.build(layers.get(layers.size() - 1).outputShape()); // refused here, before anything changes
                rebuildAround(() -> layers.add(layer));
                return this;
            });
        }
        if (layer instanceof Input) {
            if (!layers.isEmpty()) {
                throw new IllegalArgumentException("an Input layer can only be the first layer; got it at position "
                        + layers.size());
            }
            inputShape = ((Input) layer).shape();
        }
        if (layers.contains(layer)) {
            throw new IllegalArgumentException("layer " + layer + " is already in this model");
        }
        layers.add(layer);
        return this;
    }

    /**
     * Removes the last layer and returns it, Keras's {@code model.pop()}. On a built model the other layers keep
     * their weights; as with {@link #add}, the model must be compiled again before it trains, and its class names,
     * which named the removed output's units, are dropped.
     *
     * @throws IllegalStateException when there is no layer to remove (none, or only the Input)
     */
    public Layer pop() {
        return guard.run(name, "pop", () -> {
            checkOpen();
            int last = layers.size() - 1;
            if (last < 0 || layers.get(last) instanceof Input) {
                throw new IllegalStateException("the model '" + name + "' has no layer to pop"
                        + (last < 0 ? "" : " (only its Input)"));
            }
            Layer removed = layers.get(last);
            metadata.remove(ClassNames.KEY);
            if (engine == null) {
                layers.remove(last);
                if (layers.isEmpty()) {
                    inputShape = null;
                }
            } else {
                rebuildAround(() -> layers.remove(last));
            }
            return removed;
        });
    }

    /**
     * Changes the layers of a built model by {@code change} and builds it again, the layers that stay keeping their
     * weights; the compile configuration is dropped (compile again, as in Keras). A model left with only its Input
     * stays unbuilt.
     */
    private void rebuildAround(Runnable change) {
        Map<Layer, List<float[]>> kept = new IdentityHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            if (!layers.get(i).weights().isEmpty()) {
                kept.put(layers.get(i), engine.getWeights(i));
            }
        }
        change.run();
        engine.close();
        engine = null;
        optimizer = null;
        loss = null;
        metrics.clear();
        if (layers.size() == 1 && layers.get(0) instanceof Input) {
            return;
        }
        buildGuarded(inputShape);
        for (int i = 0; i < layers.size(); i++) {
            List<float[]> w = kept.get(layers.get(i));
            if (w != null) {
                engine.setWeights(i, w);
            }
        }
    }

    /**
     * Keras's {@code keras.models.clone_model(model)}: a new model of the same layers, each made again from its
     * config (class, name, arguments, {@code trainable} flag), that shares nothing with {@code model}. As in Keras
     * the clone is not compiled and its weights are its own, initialised afresh: from the model's seed, so they are
     * the weights {@code model} started from, not its trained ones. Copy those with
     * {@code clone.setWeights(model.getWeights())}: the course's {@code model_A_clone}, kept so that training a model
     * made of A's layers (a loaded A, {@link #pop()}, {@link #add}) leaves a copy of A as it was. The name, seed,
     * metadata (class names) and a backend given to {@code model} with {@link #backend(Backend)} carry over; the
     * clone of a built model is built.
     *
     * @throws IllegalStateException for a closed model
     */
    public static Sequential cloneModel(Sequential model) {
        return model.guard.run(model.name, "cloneModel", () -> {
            model.checkOpen();
            Sequential clone = new Sequential();
            try {
                for (Layer layer : model.layers) {
                    // through JSON, as a saved file goes: the config holds arrays and objects that JSON turns into
                    // the lists and maps fromConfig reads
                    @SuppressWarnings("unchecked")
                    Map<String, Object> config = (Map<String, Object>) Json.parse(Json.write(
                            ModelFiles.layerConfig(layer)));
                    clone.add(Layers.fromConfig(layer.className(), layer.name(), config));
                }
                clone.name = model.name;
                clone.seed = model.seed;
                clone.metadata.putAll(model.metadata);
                if (model.backend != null && !model.ownsBackend) {
                    clone.backend(model.backend);
                }
                if (model.engine != null) {
                    clone.buildGuarded(model.inputShape);
                }
                return clone;
            } catch (RuntimeException | Error e) {
                clone.close();
                throw e;
            }
        });
    }

    /** Sets the model's name (shown by {@link #summary()}). */
    public Sequential name(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name '" + name + "'; expected a non-empty name");
        }
        this.name = name;
        return this;
    }

    public String name() {
        return name;
    }

    /**
     * Seed of weight initialisation (and of shuffling and dropout unless {@link FitOptions#seed} is given).
     * Must be set before the model is built.
     */
    public Sequential seed(long seed) {
        if (engine != null) {
            throw new IllegalStateException("the seed must be set before the model is built");
        }
        this.seed = seed;
        return this;
    }

    public long seed() {
        return seed;
    }

    /**
     * Runs the model on {@code backend}, which the caller keeps owning. Must be called before the model is
     * built.
     */
    public Sequential backend(Backend backend) {
        checkOpen();
        if (engine != null) {
            throw new IllegalStateException("the backend must be chosen before the model is built");
        }
        this.backend = backend;
        this.ownsBackend = false;
        return this;
    }

    /** The backend the model runs on (chosen when it is built). */
    public Backend backend() {
        ensureBackend();
        return backend;
    }

    /** The layers, in order. */
    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** Free-form text stored in the model file, e.g. the preprocessing a CLI applied. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Names the output classes; saved with the model, they label {@code dendrite predict}'s answers. */
    public Sequential classNames(String... names) {
        return ClassNames.set(this, names);
    }

    /** The class names, set or recorded by {@code fit} from a dataset's images; null when unknown. */
    public String[] classNames() {
        return ClassNames.of(this);
    }

    // ------------------------------------------------------------------ build and compile

    /** Builds the model for samples of {@code shape}: allocates and initialises every weight. */
    public Sequential build(int... shape) {
        return guard.run(name, "build", () -> buildGuarded(shape));
    }

    private Sequential buildGuarded(int[] shape) {
        checkOpen();
        if (engine != null) {
            if (!Arrays.equals(shape, inputShape) && Arrays.stream(shape).reduce(1, Math::multiplyExact)
                    != Arrays.stream(inputShape).reduce(1, Math::multiplyExact)) {
                throw new IllegalArgumentException("the model is built for input " + Arrays.toString(inputShape)
                        + "; cannot rebuild it for " + Arrays.toString(shape));
            }
            return this;
        }
        buildLayers(shape);
        ensureBackend();
        engine = new Engine(backend, layers, seed);
        if (optimizer != null) {
            engine.compile(optimizer, loss);
        }
        return this;
    }

    /**
     * Names the layers and fixes their shapes, allocating nothing: {@link ModelFiles} checks a file's tensors
     * against the weights this describes before {@link #build} allocates them.
     */
    void buildLayers(int[] shape) {
        if (layers.isEmpty() || (layers.size() == 1 && layers.get(0) instanceof Input)) {
            throw new IllegalStateException("the model has no layers; add at least one Dense layer");
        }
        inputShape = shape.clone();
        int[] s = inputShape;
        LayerNames.assign(layers);
        for (Layer layer : layers) {
            s = layer.build(s);
        }
    }

    private void buildIfNeeded() {
        if (engine == null) {
            if (inputShape == null) {
                throw new IllegalStateException("the model is not built: start it with an Input layer, call "
                        + "build(shape), or fit it on data first");
            }
            build(inputShape);
        }
    }

    private void ensureBackend() {
        checkOpen();
        if (backend == null) {
            backend = Backends.auto();
            ownsBackend = true;
        }
    }

    public boolean isBuilt() {
        return engine != null;
    }

    /**
     * Configures training with Keras's strings, e.g.
     * {@code compile("adam", "sparse_categorical_crossentropy", "accuracy")}.
     */
    public Sequential compile(String optimizer, String loss, String... metrics) {
        return compile(Optimizer.fromName(optimizer), Loss.fromName(loss), metrics);
    }

    /**
     * Configures training with a configured optimizer and Keras's strings for the rest, as Keras's
     * {@code compile(optimizer=Adam(0.05), loss="sparse_categorical_crossentropy")}.
     */
    public Sequential compile(Optimizer optimizer, String loss, String... metrics) {
        return compile(optimizer, Loss.fromName(loss), metrics);
    }

    /**
     * Configures training. Compiling again replaces the optimizer (and its state) but keeps the weights.
     *
     * @param metrics Keras's metric names ({@link MetricSet#NAMES}), resolved as Keras 3 does and logged under
     *                the names as written; the loss is always reported
     */
    public Sequential compile(Optimizer optimizer, Loss loss, String... metrics) {
        return compile(optimizer, loss, Arrays.asList((Object[]) metrics));
    }

    /**
     * Configures training with configured metric objects, e.g. {@code compile(adam, loss, new
     * TopKCategoricalAccuracy(3), new F1Score("macro"))}; the model file keeps their arguments.
     */
    public Sequential compile(Optimizer optimizer, Loss loss, Metric metric, Metric... more) {
        List<Object> all = new ArrayList<>(List.of(metric));
        all.addAll(Arrays.asList(more));
        return compile(optimizer, loss, all);
    }

    /**
     * Configures training, Keras's {@code metrics=[...]}: each entry a metric name ({@link MetricSet#NAMES}) or a
     * configured {@link Metric} such as {@code new AUC(50)}, logged under its name.
     */
    public Sequential compile(Optimizer optimizer, Loss loss, List<?> metrics) {
        return guard.run(name, "compile", () -> compileGuarded(optimizer, loss, metrics));
    }

    private Sequential compileGuarded(Optimizer optimizer, Loss loss, List<?> metrics) {
        checkOpen();
        if (optimizer == null || loss == null) {
            throw new IllegalArgumentException("compile needs an optimizer and a loss; got " + optimizer + ", " + loss);
        }
        List<Object> m = MetricConfigs.checkForCompile(metrics, loss.sparseLabels());
        if (engine == null && inputShape != null) {
            build(inputShape); // as in Keras, a model that starts with an Input is built, so compile can check it
        }
        if (engine != null) {
            engine.compile(optimizer, loss);
        }
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics.clear();
        this.metrics.addAll(m);
        return this;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public Loss loss() {
        return loss;
    }

    /** The names of the metrics requested at compile time (the logs' keys). */
    public List<String> metrics() {
        return metrics.stream().map(m -> m instanceof Metric ? ((Metric) m).name() : (String) m).toList();
    }

    /** The metrics requested at compile time: names as written, or configured {@link Metric} objects. */
    List<Object> metricSpecs() {
        return Collections.unmodifiableList(metrics);
    }

    private void requireCompiled(String what) {
        if (optimizer == null) {
            throw new IllegalStateException("call compile(optimizer, loss) before " + what);
        }
    }

    // ------------------------------------------------------------------ training

    /**
     * Trains on class-index labels (for {@code sparse_categorical_crossentropy}). Calling {@code fit} again
     * continues from the current weights and optimizer state, as in Keras.
     */
    public History fit(Inputs x, int[] labels, FitOptions options) {
        return guard.run(name, "fit", () -> fitInternal(x, labels, null, options));
    }

    /**
     * Trains on dense targets (one-hot rows for {@code categorical_crossentropy}, 0/1 for
     * {@code binary_crossentropy}, values for {@code mean_squared_error}). Calling {@code fit} again continues
     * training from where it stopped, as in Keras.
     */
    public History fit(Inputs x, Tensor targets, FitOptions options) {
        return guard.run(name, "fit", () -> fitInternal(x, null, targets, options));
    }

    private History fitInternal(Inputs x, int[] labels, Tensor targets, FitOptions givenOptions) {
        FitOptions options = givenOptions == null ? new FitOptions() : givenOptions;
        try (DataSource closeVal = options.validationSource()) { // closed on every way out, as the source fit does
            checkOpen();
            requireCompiled("fit");
            buildFor(x);
            checkData(x, labels, targets, "x");
            ClassNames.recordIfKnown(this, x);

            stopTraining = false;
            return new ArrayFit(this).fit(x, labels, targets, options);
        }
    }

    /**
     * One training step on all of {@code x} as one batch, Keras's {@code train_on_batch(x, y)}: the weights take one
     * update, the optimizer's step count and state, batch norms' moving statistics and gradient accumulation go on as
     * in {@code fit}, and the result is the batch's loss (computed before the update) and metrics, counted afresh at
     * each call as Keras 3 does. Unlike {@code fit}, it leaves the optimizer's variables unfinalized (with
     * {@code use_ema}, the average is not written over the weights), as Keras's does.
     *
     * @throws IllegalArgumentException for data {@code fit} refuses
     */
    public Map<String, Double> trainOnBatch(Inputs x, int[] labels) {
        return trainOnBatch(x, labels, null, null);
    }

    /** {@link #trainOnBatch(Inputs, int[])} on dense targets. */
    public Map<String, Double> trainOnBatch(Inputs x, Tensor targets) {
        return trainOnBatch(x, null, targets, null);
    }

    /** {@link #trainOnBatch(Inputs, int[])} with a weight per sample, Keras's {@code sample_weight}. */
    public Map<String, Double> trainOnBatch(Inputs x, int[] labels, float[] sampleWeight) {
        return trainOnBatch(x, labels, null, Objects.requireNonNull(sampleWeight, "sampleWeight"));
    }

    /** {@link #trainOnBatch(Inputs, Tensor)} with a weight per sample, Keras's {@code sample_weight}. */
    public Map<String, Double> trainOnBatch(Inputs x, Tensor targets, float[] sampleWeight) {
        return trainOnBatch(x, null, targets, Objects.requireNonNull(sampleWeight, "sampleWeight"));
    }

    private Map<String, Double> trainOnBatch(Inputs x, int[] labels, Tensor targets, float[] sampleWeight) {
        requireSamples("trainOnBatch", x);
        FitOptions options = new FitOptions().batchSize(x.rows()).epochs(1).shuffle(false).verbose(0)
                .withoutFinalizing();
        if (sampleWeight != null) {
            options.sampleWeight(sampleWeight);
        }
        History h = guard.run(name, "trainOnBatch", () -> fitInternal(x, labels, targets, options));
        Map<String, Double> logs = new LinkedHashMap<>();
        h.history().forEach((key, values) -> {
            if (!History.BOOKKEEPING.contains(key)) {
                logs.put(key, values.get(values.size() - 1));
            }
        });
        return logs;
    }

    /** Loss and metrics on all of {@code x} as one batch, Keras's {@code test_on_batch(x, y)}. */
    public Map<String, Double> testOnBatch(Inputs x, int[] labels) {
        return evaluate(x, labels, new EvaluateOptions().batchSize(requireSamples("testOnBatch", x).rows()));
    }

    /** {@link #testOnBatch(Inputs, int[])} on dense targets. */
    public Map<String, Double> testOnBatch(Inputs x, Tensor targets) {
        return evaluate(x, targets, new EvaluateOptions().batchSize(requireSamples("testOnBatch", x).rows()));
    }

    /** The outputs for all of {@code x} as one batch, Keras's {@code predict_on_batch(x)}. */
    public Tensor predictOnBatch(Inputs x) {
        return predict(x, new PredictOptions().batchSize(requireSamples("predictOnBatch", x).rows()));
    }

    /**
     * {@code x}, checked to hold at least one sample.
     *
     * @throws IllegalArgumentException naming {@code call}, for no samples
     */
    private static Inputs requireSamples(String call, Inputs x) {
        if (x == null || x.rows() == 0) {
            throw new IllegalArgumentException(call + " needs at least one sample; got " + x);
        }
        return x;
    }

    /**
     * Trains on the batches of {@code train} (Keras's {@code fit(PyDataset)}; see {@link FitOptions#stepsPerEpoch},
     * {@link FitOptions#prefetch}). The source sets the batches and their order: {@code batchSize}, {@code shuffle}
     * and {@code validationSplit} do not apply. Closes {@code train} and a validation source when it ends.
     */
    public History fit(DataSource train, FitOptions options) {
        return guard.run(name, "fit", () -> new SourceFit(this).fit(train, options == null ? new FitOptions() : options,
                () -> {
                    checkOpen();
                    requireCompiled("fit");
                    stopTraining = false;
                }));
    }

    /** Builds the model for {@code x}'s sample shape unless it is built or its input shape is known. */
    private void buildFor(Inputs x) {
        if (inputShape == null && x != null) {
            build(x.sampleShape());
        }
        buildIfNeeded();
    }

    private void checkInputs(Inputs x, String what) {
        DataChecks.inputs(x, what, layers.get(0).inputSize(), inputShape);
    }

    void checkData(Inputs x, int[] labels, Tensor targets, String what) {
        checkInputs(x, what);
        DataChecks.labels(x, labels, targets, what, layers.get(layers.size() - 1).outputSize(), loss);
    }

    /**
     * Asks a running {@code fit} to stop (used by callbacks): asked at a batch's end, the epoch ends after that
     * batch, as in Keras 3; asked at an epoch's end, no further epoch starts.
     */
    @Override
    public void stopTraining() {
        stopTraining = true;
    }

    @Override
    public void stopEvaluating() {
        if (engine != null) {
            engine.stopInference(true);
        }
    }

    @Override
    public void stopPredicting() {
        if (engine != null) {
            engine.stopInference(false);
        }
    }

    /** True once {@link #stopTraining()} was called during the current {@code fit}. */
    public boolean isStopTraining() {
        return stopTraining;
    }

    /** The optimizer's current learning rate. */
    @Override
    public double learningRate() {
        requireCompiled("reading the learning rate");
        return optimizer.learningRate();
    }

    /** Changes the learning rate from the next step on. */
    @Override
    public void setLearningRate(double lr) {
        guard.run(name, "setLearningRate", () -> {
            requireCompiled("setting the learning rate");
            optimizer.setLearningRate(lr);
            if (engine != null) {
                engine.syncLearningRate();
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ inference

    /** Loss and metrics on labelled data, in inference mode (batches of 256). */
    public Map<String, Double> evaluate(Inputs x, int[] labels) {
        return evaluate(x, labels, null, DEFAULT_INFERENCE_BATCH);
    }

    /** Loss and metrics on data with dense targets, in inference mode (batches of 256). */
    public Map<String, Double> evaluate(Inputs x, Tensor targets) {
        return evaluate(x, null, targets, DEFAULT_INFERENCE_BATCH);
    }

    /** Loss and metrics with an explicit batch size. */
    public Map<String, Double> evaluate(Inputs x, int[] labels, int batchSize) {
        return evaluate(x, labels, null, batchSize);
    }

    /**
     * Loss and metrics with a weight per sample, Keras's {@code evaluate(x, y, sample_weight=w)}: the loss is the
     * weighted sum over the samples divided by their number; the accuracy and the other metrics are not weighted.
     *
     * @throws IllegalArgumentException naming the first weight that is negative, NaN or infinite, or a count of
     *                                  weights other than the samples'
     */
    public Map<String, Double> evaluate(Inputs x, int[] labels, float[] sampleWeight) {
        return evaluate(x, labels, null, sampleWeight, DEFAULT_INFERENCE_BATCH);
    }

    /** {@link #evaluate(Inputs, int[], float[])} on data with dense targets. */
    public Map<String, Double> evaluate(Inputs x, Tensor targets, float[] sampleWeight) {
        return evaluate(x, null, targets, sampleWeight, DEFAULT_INFERENCE_BATCH);
    }

    /**
     * Loss and metrics as {@code options} say (Keras's {@code evaluate(x, y, batch_size=..., verbose=...,
     * sample_weight=..., steps=..., callbacks=[...])}): the callbacks' {@code onTest...} hooks run around the pass,
     * verbose 1 prints Keras's progress bar.
     *
     * @throws IllegalArgumentException for steps beyond {@code x}'s batches, or as
     *                                  {@link #evaluate(Inputs, int[], float[])}
     */
    public Map<String, Double> evaluate(Inputs x, int[] labels, EvaluateOptions options) {
        return evaluate(x, labels, null, options);
    }

    /** {@link #evaluate(Inputs, int[], EvaluateOptions)} on data with dense targets. */
    public Map<String, Double> evaluate(Inputs x, Tensor targets, EvaluateOptions options) {
        return evaluate(x, null, targets, options);
    }

    private Map<String, Double> evaluate(Inputs x, int[] labels, Tensor targets, int batchSize) {
        return evaluate(x, labels, targets, null, batchSize);
    }

    private Map<String, Double> evaluate(Inputs x, int[] labels, Tensor targets, float[] sampleWeight,
                                         int batchSize) {
        return evaluate(x, labels, targets, new EvaluateOptions().batchSize(batchSize).sampleWeight(sampleWeight));
    }

    private Map<String, Double> evaluate(Inputs x, int[] labels, Tensor targets, EvaluateOptions options) {
        Objects.requireNonNull(options, "options");
        return guard.run(name, "evaluate", () -> evaluateGuarded(x, labels, targets, options));
    }

    private Map<String, Double> evaluateGuarded(Inputs x, int[] labels, Tensor targets, EvaluateOptions options) {
        checkOpen();
        requireCompiled("evaluate");
        buildFor(x);
        checkData(x, labels, targets, "x");
        float[] weights = options.sampleWeight();
        FitOptions.checkWeightCount("sampleWeight", weights, x.rows(), "sample");
        int batchSize = Math.min(options.batchSize(), x.rows());
        int rows = stepRows("evaluate", x.rows(), batchSize, options.steps());
        if (rows < x.rows()) {
            x = x.rows(0, rows);
            labels = labels == null ? null : Arrays.copyOf(labels, rows);
            targets = targets == null ? null : targets.rows(0, rows);
            weights = weights == null ? null : Arrays.copyOf(weights, rows);
        }
        CallbackList events = options.callbackList(this, (rows + batchSize - 1) / batchSize);
        return new ArrayFit(this).evaluate(x, labels, targets, weights, batchSize, events);
    }

    /**
     * The rows of {@code steps} batches of {@code batchSize} ({@link InferenceOptions#ALL}: all {@code rows}).
     *
     * @throws IllegalArgumentException when {@code steps} asks for more batches than there are
     */
    private static int stepRows(String call, int rows, int batchSize, int steps) {
        if (steps == InferenceOptions.ALL) {
            return rows;
        }
        int batches = (rows + batchSize - 1) / batchSize;
        if (steps > batches) {
            throw new IllegalArgumentException(call + " steps " + steps + " but x holds only " + batches
                    + " batches of " + batchSize + "; expected at most " + batches);
        }
        return (int) Math.min(rows, (long) steps * batchSize);
    }

    /** Loss and metrics over every batch of a finite {@code source}, in inference mode; closes the source. */
    public Map<String, Double> evaluate(DataSource source) {
        return evaluate(source, new EvaluateOptions());
    }

    /** Loss and metrics over the first {@code steps} batches of {@code source}, which may be endless; closes it. */
    public Map<String, Double> evaluate(DataSource source, int steps) {
        requireSourceSteps(source, steps, "evaluate");
        return evaluate(source, new EvaluateOptions().steps(steps));
    }

    /**
     * Loss and metrics over {@code source}'s batches as {@code options} say (its steps, verbose and callbacks; the
     * source gives its own batches and weights, so a batch size or sample weights given are refused); closes it.
     */
    public Map<String, Double> evaluate(DataSource source, EvaluateOptions options) {
        Objects.requireNonNull(options, "options");
        return guard.run(name, "evaluate", () -> new SourceFit(this).evaluate(source, options.steps(), () -> {
            checkOpen();
            requireCompiled("evaluate");
            options.requireNoBatchSize("evaluate(source, options)");
            if (options.sampleWeight() != null) {
                throw new IllegalArgumentException("evaluate(source, options) reads each batch's own sample weights "
                        + "(DataSource.Batch.sampleWeight); sampleWeight applies to arrays only");
            }
        }, options.callbackList(this, sourceSteps(source, options.steps()))));
    }

    /** Refuses {@code steps} below 1, closing {@code source} first (the calls that take a source close it). */
    private static void requireSourceSteps(DataSource source, int steps, String call) {
        if (steps >= 1) {
            return;
        }
        IllegalArgumentException e = new IllegalArgumentException(call + " steps " + steps
                + "; expected the number of batches to read, >= 1");
        try {
            source.close();
        } catch (RuntimeException closing) {
            e.addSuppressed(closing);
        }
        throw e;
    }

    /** The batches a source is read for, for a progress bar: {@code steps}, else its count (1 if unknown). */
    private static int sourceSteps(DataSource source, int steps) {
        return steps != InferenceOptions.ALL ? steps : Math.max(1, source.batchesPerEpoch());
    }

    /** The model's outputs (class probabilities for a softmax model), shape {@code [rows, outputs]}. */
    public Tensor predict(Inputs x) {
        return predict(x, DEFAULT_INFERENCE_BATCH);
    }

    public Tensor predict(Inputs x, int batchSize) {
        return predict(x, new PredictOptions().batchSize(batchSize));
    }

    /**
     * The outputs as {@code options} say (Keras's {@code predict(x, batch_size=..., verbose=..., steps=...,
     * callbacks=[...])}): the callbacks' {@code onPredict...} hooks run around the pass, verbose 1 prints Keras's
     * progress bar; with steps, the outputs of the first steps batches' rows.
     */
    public Tensor predict(Inputs x, PredictOptions options) {
        Objects.requireNonNull(options, "options");
        return guard.run(name, "predict", () -> outputs("predict", x, options, false));
    }

    /** The outputs of predict ({@code training} false) and call, {@code what} named in errors. */
    private Tensor outputs(String what, Inputs x, PredictOptions options, boolean training) {
        checkOpen();
        requireSamples(what, x);
        buildFor(x);
        checkInputs(x, "x");
        int batchSize = Math.min(options.batchSize(), x.rows());
        int rows = stepRows(what, x.rows(), batchSize, options.steps());
        Inputs used = rows < x.rows() ? x.rows(0, rows) : x;
        long drawSeed = training ? new SplittableRandom(seed + ++trainingCalls * 0x9E3779B97F4A7C15L).nextLong() : 0L;
        CallbackList events = options.callbackList(this, (rows + batchSize - 1) / batchSize);
        return new ArrayFit(this).predict(used, batchSize, training, drawSeed, events);
    }

    /**
     * The model applied to all of {@code x} as one batch, as Keras's {@code model(x, training=...)}. With
     * {@code training} false, predict's outputs. With true, every layer runs its training forward pass: Dropout, the
     * noise layers and the augmentation layers draw anew on every call (Monte Carlo dropout: average the outputs of
     * many calls, Géron's chapter 11), and a trainable BatchNormalization normalises with the batch's own statistics
     * and updates its moving statistics, as Keras 3 does; a frozen one ({@link Layer#setTrainable}, as compiled) keeps
     * its inference mode. The draws follow the model's seed and the number of such calls, so a run repeats; they leave
     * fit's draws as they were.
     *
     * @throws IllegalArgumentException for no samples, or samples of another shape than the model's input
     */
    public Tensor call(Inputs x, boolean training) {
        // one batch of all rows: ArrayFit#predict takes at most x's rows per batch
        return guard.run(name, "call", () -> outputs("call", x, new PredictOptions().batchSize(Integer.MAX_VALUE),
                training));
    }

    /** The outputs for every batch of a finite {@code source}, in its order; closes the source. */
    public Tensor predict(DataSource source) {
        return predict(source, new PredictOptions());
    }

    /** The outputs for the first {@code steps} batches of {@code source}, which may be endless; closes it. */
    public Tensor predict(DataSource source, int steps) {
        requireSourceSteps(source, steps, "predict");
        return predict(source, new PredictOptions().steps(steps));
    }

    /**
     * The outputs for {@code source}'s batches as {@code options} say (its steps, verbose and callbacks; the source
     * gives its own batches, so a batch size given is refused), in its order; closes it.
     */
    public Tensor predict(DataSource source, PredictOptions options) {
        Objects.requireNonNull(options, "options");
        return guard.run(name, "predict", () -> new SourceFit(this).predict(source, options.steps(), () -> {
            checkOpen();
            options.requireNoBatchSize("predict(source, options)");
        }, options.callbackList(this, sourceSteps(source, options.steps()))));
    }

    /** The index of the largest output of each sample: the predicted class. */
    public int[] predictClasses(Inputs x) {
        return predict(x).argMax();
    }

    // ------------------------------------------------------------------ weights

    /** Copies of every weight, by layer in Keras's order (kernel, bias; gamma, beta, moving mean, variance). */
    @Override
    public List<float[]> getWeights() {
        return guard.run(name, "getWeights", () -> {
            buildIfNeeded();
            return engine.getWeights();
        });
    }

    /**
     * Replaces every weight; the list must match {@link #getWeights()} in count and sizes.
     *
     * @throws IllegalArgumentException naming the first mismatch
     */
    @Override
    public void setWeights(List<float[]> weights) {
        guard.run(name, "setWeights", () -> {
            buildIfNeeded();
            engine.setWeights(weights);
            return null;
        });
    }

    /**
     * Keras's {@code model.get_layer(name)}: the layer named {@code layerName} ({@code "dense"}, {@code "dense_1"},
     * ..., as {@link #summary()} lists them).
     *
     * @throws IllegalArgumentException naming the layers there are
     */
    public Layer getLayer(String layerName) {
        return guard.run(name, "getLayer", () -> {
            buildIfNeeded(); // names are given at build
            return layers.get(layerIndex(layerName));
        });
    }

    /**
     * Keras's {@code model.get_layer(name).get_weights()}: copies of that layer's weights, in its order (a Dense:
     * the kernel {@code [in, out]} row-major as Keras holds it, then the bias), e.g. to picture what the first layer's
     * units respond to.
     *
     * @throws IllegalArgumentException naming the layers there are, for an unknown name
     */
    public List<float[]> getWeights(String layerName) {
        return guard.run(name, "getWeights", () -> {
            buildIfNeeded();
            return engine.getWeights(layerIndex(layerName));
        });
    }

    /**
     * Keras's {@code model.get_layer(name).set_weights(weights)}: replaces that layer's weights; the list must match
     * {@link #getWeights(String)} in count and sizes.
     *
     * @throws IllegalArgumentException naming the first mismatch, or the layers there are for an unknown name
     */
    public void setWeights(String layerName, List<float[]> weights) {
        guard.run(name, "setWeights", () -> {
            buildIfNeeded();
            engine.setWeights(layerIndex(layerName), weights);
            return null;
        });
    }

    private int layerIndex(String layerName) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).name().equals(layerName)) {
                return i;
            }
            names.add(layers.get(i).name());
        }
        throw new IllegalArgumentException("no layer named '" + layerName + "'; the model has " + names);
    }

    /** Number of trainable parameters. */
    public long trainableParams() {
        return countParams(true);
    }

    /** Number of non-trainable parameters (batch-norm statistics). */
    public long nonTrainableParams() {
        return countParams(false);
    }

    private long countParams(boolean trainable) {
        buildIfNeeded();
        return ModelSummary.countParams(layers, trainable);
    }

    /**
     * Prints the Keras summary table to standard output, as Keras's {@code model.summary()} does: layer (type),
     * output shape, parameter count, and the totals. {@link #summaryText()} returns the same text.
     */
    public void summary() {
        System.out.print(summaryText());
        System.out.flush();
    }

    /**
     * The Keras summary table that {@link #summary()} prints. The columns are Keras's (29, 26 and 10 characters
     * wide) and grow to fit a longer layer name or shape, so that columns never run together, e.g. for
     * {@code batch_normalization_1 (BatchNormalization)}.
     */
    public String summaryText() {
        buildIfNeeded();
        return ModelSummary.text(name, layers, trainableParams(), nonTrainableParams());
    }

    /**
     * Prints the summary table.
     *
     * @deprecated use {@link #summary()}, which prints as Keras's does
     */
    @Deprecated
    public void printSummary() {
        summary();
    }

    // ------------------------------------------------------------------ files

    /**
     * Saves the architecture, the compile configuration and every weight to one file, atomically. The file
     * is a valid safetensors file (weights named {@code layer/kernel} etc., kernels {@code [in, out]}). A compiled
     * model's optimizer state (every slot and the step count) is saved too, so that fitting a loaded model
     * continues as the uninterrupted fit would, as from a {@code .keras} file.
     *
     * <p>A name ending in {@code .keras} writes Keras 3's own file instead, which {@code keras.saving.load_model}
     * opens (the optimizer's state in Keras's layout where it is known; Dendrite's seed and metadata kept where
     * Keras does not look); what Keras cannot express is refused with an {@link IllegalArgumentException} naming
     * the layer, before anything is written.
     */
    @Override
    public void save(Path file) throws IOException {
        guard.run(name, "save", () -> {
            buildIfNeeded();
            ModelFiles.save(this, file, true);
            return null;
        });
    }

    /**
     * Saves only the weights (a safetensors file), atomically; a name ending in {@code .weights.h5} writes Keras 3's
     * weights file (with the optimizer's variables, as Keras's {@code save_weights} does), for
     * {@code model.load_weights} in Keras.
     */
    @Override
    public void saveWeights(Path file) throws IOException {
        guard.run(name, "saveWeights", () -> {
            buildIfNeeded();
            ModelFiles.save(this, file, false);
            return null;
        });
    }

    /**
     * Loads weights saved by {@link #saveWeights} or {@link #save} into this (built) model, or those of a Keras 3
     * {@code .weights.h5} file (Keras's {@code model.save_weights}) of a model with the same layers, or of a legacy
     * Keras {@code .h5} file (a model file, or Keras 2's {@code save_weights}), matched by layer order.
     */
    public void loadWeights(Path file) throws IOException {
        guard.run(name, "loadWeights", () -> {
            buildIfNeeded();
            ModelFiles.loadWeights(this, file);
            return null;
        });
    }

    /**
     * Loads the weights and the optimizer's state (slots and step count) that {@link #save} wrote into this
     * compiled model, so that training continues as if never stopped (used by {@code BackupAndRestore}).
     */
    public void loadState(Path file) throws IOException {
        guard.run(name, "loadState", () -> {
            requireCompiled("loadState");
            buildIfNeeded();
            ModelFiles.loadState(this, file);
            return null;
        });
    }

    /**
     * Loads a model saved by {@link #save}, a Keras 3 {@code .keras} file (Keras's {@code model.save}: a
     * Sequential of layers Dendrite has, compiled as it was, with the optimizer's state where its layout in Keras is
     * known), or a legacy Keras {@code .h5} model file (Keras 2's and Keras 3's {@code model.save("m.h5")}; a fresh
     * optimizer), on {@link Backends#auto()}.
     */
    public static Sequential load(Path file) throws IOException {
        return ModelFiles.load(file, null);
    }

    /**
     * The architecture as Keras's {@code model.to_json()} writes it: the layers' configs and, once compiled, the
     * compile configuration, in Keras 3's form, for {@code keras.models.model_from_json} or {@link #fromJson}; no
     * weights (save them with {@link #saveWeights}, e.g. as Keras's {@code .weights.h5}) and no seed or metadata.
     *
     * @throws IllegalArgumentException naming a layer or setting Keras cannot express (as saving a {@code .keras}
     *                                  file does)
     */
    public String toJson() {
        return guard.run(name, "toJson", () -> {
            buildIfNeeded();
            return KerasFileWriter.toJson(this);
        });
    }

    /**
     * The model a Keras {@code model.to_json()} string describes (Keras 3's, or Keras 2's for the layers both
     * know), as {@code keras.models.model_from_json} makes it: the layers with fresh weights (load trained ones with
     * {@link #loadWeights}), compiled when the JSON holds a compile configuration.
     *
     * @throws IllegalArgumentException when the string is not JSON, not a model, or not a Sequential of layers
     *                                  Dendrite has, naming what
     */
    public static Sequential fromJson(String json) {
        return KerasFiles.fromJson(json, null);
    }

    /** {@link #fromJson(String)} onto the given backend (which the caller keeps owning). */
    public static Sequential fromJson(String json, Backend backend) {
        return KerasFiles.fromJson(json, backend);
    }

    /** {@link #load(Path)} onto the given backend (which the caller keeps owning). */
    public static Sequential load(Path file, Backend backend) throws IOException {
        return ModelFiles.load(file, backend);
    }

    /** Gradients of every trainable weight on one batch (see {@link Engine#gradients}); for tests. */
    float[] gradients(Inputs x, int[] labels, Tensor targets, long trainingSeed) {
        requireCompiled("computing gradients");
        buildFor(x);
        checkData(x, labels, targets, "x");
        try (DeviceData d = DeviceData.upload(backend, x, labels, targets)) {
            return engine.gradients(d, x.rows(), trainingSeed);
        }
    }

    int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    Engine engine() {
        return engine;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Frees the model's backend memory, and the backend itself when the model created it. Idempotent. */
    @Override
    public void close() {
        guard.run(name, "close", () -> {
            closeGuarded();
            return null;
        });
    }

    private void closeGuarded() {
        if (closed) {
            return;
        }
        closed = true;
        if (engine != null) {
            engine.close();
            engine = null;
        }
        if (ownsBackend && backend != null) {
            backend.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the model '" + name + "' is closed");
        }
    }

    @Override
    public String toString() {
        return "Sequential(" + name + ", " + layers + ")";
    }
}
