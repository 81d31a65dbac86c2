package dev.dendrite.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.layers.ActivationBelow;
import dev.dendrite.layers.BatchNormDropoutPair;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.DenseActivationPair;
import dev.dendrite.layers.DenseBefore;
import dev.dendrite.layers.DenseDropoutPair;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.InputGradient;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.LayerPair;
import dev.dendrite.layers.LayerContext;
import dev.dendrite.layers.OutputActivation;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.losses.Loss;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.UpdatePlan;
import dev.dendrite.regularizers.Regularizer;

/**
 * The compiled plan of a {@link Sequential} model on one backend: every buffer allocated up front and a fixed
 * list of ops per step. All trainable weights live in one contiguous buffer and their gradients in another,
 * so the optimizer is one fused op over both, or one per layer right after the layer's backward pass where the
 * rule allows (UpdatePlan.updatesInParts); non-trainable weights (batch-norm statistics) live in a third.
 * Adjacent layers that can run as one do ({@link LayerPair}). Activation buffers are sized for {@link #capacity()}
 * rows and reused by every batch.
 *
 * <p>A training step is recorded once per shape ({@link Backend#capture}) and replayed ({@link RecordedSteps});
 * the recordings are dropped when what they froze and their key cannot see (the workspace, the optimizer, mixup)
 * is replaced. Evaluation batches are recorded the same way, in recordings that last one {@link #evaluate} call.
 */
final class Engine implements AutoCloseable {
    private final Backend backend;
    private final List<Layer> layers;
    private final int inputSize;
    private final int outputSize;

    private final Buffer params;
    private final Buffer grads;
    private final Buffer state;
    private final int paramCount;
    private final int stateCount;
    private final Ctx[] contexts;
    /** weights[li][wi]: weight wi of layer li, a slice of params (trainable) or of state. */
    private final Slice[][] weights;
    /** A regularised trainable weight of layer {@code layer}: its values, its gradient and its penalty. */
    private record Penalized(int layer, Slice weight, Slice grad, Regularizer regularizer) {
    }

    private final List<Penalized> regularized = new ArrayList<>();

    /** A weight of layer {@code layer} with a Keras constraint, applied after each update of that layer. */
    private record Constrained(int layer, Slice weight, int[] shape, Constraint constraint) {
    }

    private final List<Constrained> constrained = new ArrayList<>();
    /** Where each layer's trainable weights start in params (and grads and the slots), and how many there are. */
    private final int[] layerParamOffset;
    private final int[] layerParamCount;
    /**
     * pairs[i]: layers i and i + 1 run as one (LayerPair: a linear Dense and its activation, a Dense or a batch norm
     * and its dropout), outside the debug mode of checkNumerics, which checks each layer's output; null where they
     * do not.
     */
    private final LayerPair[] pairs;

    private final Buffer hyper;
    private final Buffer counters;
    private final Buffer evalCounters;
    private final Buffer trainStats;
    private final Buffer evalStats;

    private Optimizer optimizer;
    private Buffer[] slots = new Buffer[0];
    private UpdatePlan updatePlan; // the optimizer's options around its rule (schedule, EMA, accumulation)
    private Loss loss;
    private boolean fused;
    /**
     * The layer whose activation the loss may fuse with: the last one that computes its outputs, below any trailing
     * Reshape or Flatten, which share its buffers (Géron's autoencoders end in {@code Dense(784, sigmoid)} and
     * {@code Reshape(28, 28)}).
     */
    private final int outputLayer;
    /** Each layer's update is issued as soon as its gradients are ready, on a branch where it has a layer before. */
    private boolean updatesByLayer;
    /**
     * By layer: a one-layer update waiting for the unit below takes that unit's own along, one op over both
     * (-Ddendrite.updates.carry=false keeps them apart, for A/B timing).
     */
    private boolean carriesUpdates;
    /** By layer: this step's learning rate slice (UpdatePlan#stepRate), for the updates the layers' hooks issue. */
    private Slice stepRate;
    /** The last layer's forward pass and the loss run as one op (OutputActivation.forwardWithSoftmaxCrossEntropy). */
    private boolean outputWithLoss;
    /** Whether a Dense may hand its input gradient to the Dense below (handOffTo). */
    private final boolean handOffs;
    /** Whether a batch norm may run the activation backward of the Dense below (activationBackwardBelow). */
    private final boolean activationBackwards;
    /** Whether a batch norm may run the forward pass of the Dense before it (batchNormAfter). */
    private final boolean denseBatchNorms;
    /**
     * Whether a step's last update also advances the counters (Backend.updateThenAdvanceCounters), and an evaluation
     * batch's gather its counters (Backend.gatherBatchThenAdvanceCounters).
     */
    private final boolean countersInUpdate = on("dendrite.fuseCounters");
    private long stepsDone;

    private int capacity;
    /** The batch buffers the step being issued uses: one of {@link #batches}' pairs. */
    private Buffer xBatch;
    private Buffer yBatch;
    /** Two pairs of batch buffers: the next batch gathered beside the step before (-Ddendrite.prefetchBatches). */
    private final BatchBuffers batches = new BatchBuffers(on("dendrite.prefetchBatches"));
    private Buffer lossScratch;
    /** The targets as the loss takes them under label smoothing (null without): the metrics read yBatch's. */
    private Buffer smoothedTargets;
    /** True while {@link #inferenceBatches} runs: its host hooks may call back into the model. */
    private boolean inferencePass;
    /** Keras's {@code stop_evaluating} and {@code stop_predicting}: set by a callback, read after each batch. */
    private volatile boolean stopEvaluating;
    private volatile boolean stopPredicting;
    /** The loss statistics of the pass under way, for the layers that add to the loss (LayerContext#lossStats). */
    private Slice lossStats;
    private Slice[] outs;
    private Slice[] douts;
    private final List<Buffer> workspace = new ArrayList<>();
    private long seed;
    /**
     * The counters the layers' random draws (dropout, noise, augmentation) read: the training counters, or the
     * evaluation counters during a pass in training mode outside fit (#predict with training).
     */
    private Buffer drawCounters;

    private final RecordedSteps recorded;
    /** Debug mode: steps run op by op, never recorded, and every output is checked for NaN and Inf. */
    private final NumericsCheck numerics;
    /** FitOptions.mixup while a fit with it runs, else null. */
    private MixupStep mixup;
    /** FitOptions.classWeight's table (one F32 weight per class) while a fit with it runs, else null. */
    private Buffer classWeights;
    /** The batch's sample weights, gathered with it from data that has them (FitOptions.sampleWeight); else null. */
    private Buffer rowWeights;
    /** The metrics counted on the device inside each training step, while a fit has them; else null. */
    private BatchMetrics stepMetrics;
    /** Evaluation batches are recorded and replayed like training steps ({@code -Ddendrite.recordEvaluation}). */
    private final boolean recordEvaluation = on("dendrite.recordEvaluation");
    /**
     * The layers frozen when the model was compiled (Layer#isTrainable false, Keras's {@code trainable = False}):
     * their weights get no update, penalty or constraint, and a frozen batch norm runs in inference mode.
     */
    private boolean[] frozen;
    /**
     * The lowest layer with trainable parameters as compiled (layers.size() when none): the backward pass ends there,
     * as no layer below needs a gradient (Keras differentiates with respect to trainable variables only).
     */
    private int lowestTrainable;
    /** With frozen layers, the whole-model update's copies of their parameters and slots (#holdFrozen), else null. */
    private Buffer frozenCopies;

    Engine(Backend backend, List<Layer> layers, long initSeed) {
        this.backend = backend;
        this.recorded = new RecordedSteps(backend);
        this.layers = List.copyOf(layers);
        this.numerics = new NumericsCheck(backend, this.layers);
        this.inputSize = layers.get(0).inputSize();
        this.outputSize = layers.get(layers.size() - 1).outputSize();
        int out = layers.size() - 1;
        while (out > 0 && layers.get(out).isPassThrough()) { // a Reshape or Flatten after it keeps the values
            out--;
        }
        this.outputLayer = out;
        int p = 0;
        int s = 0;
        for (Layer layer : layers) {
            for (WeightSpec w : layer.weights()) {
                if (w.trainable()) {
                    p = Math.addExact(p, w.size());
                } else {
                    s = Math.addExact(s, w.size());
                }
            }
        }
        this.paramCount = p;
        this.stateCount = s;
        List<Buffer> made = new ArrayList<>();
        try {
            params = keep(made, backend.allocate(DType.F32, Math.max(1, p)));
            grads = keep(made, backend.allocate(DType.F32, Math.max(1, p)));
            state = keep(made, backend.allocate(DType.F32, Math.max(1, s)));
            hyper = keep(made, backend.allocate(DType.F32, 4));
            counters = keep(made, backend.allocate(DType.I32, Backend.COUNTERS_LENGTH));
            evalCounters = keep(made, backend.allocate(DType.I32, Backend.COUNTERS_LENGTH));
            drawCounters = counters;
            trainStats = keep(made, backend.allocate(DType.F32, Backend.STATS_LENGTH));
            evalStats = keep(made, backend.allocate(DType.F32, Backend.STATS_LENGTH));
        } catch (RuntimeException e) {
            made.forEach(Buffer::close);
            throw e;
        }
        contexts = new Ctx[layers.size()];
        frozen = new boolean[layers.size()];
        weights = new Slice[layers.size()][];
        layerParamOffset = new int[layers.size()];
        layerParamCount = new int[layers.size()];
        int po = 0;
        int so = 0;
        for (int li = 0; li < layers.size(); li++) {
            Layer layer = layers.get(li);
            List<WeightSpec> specs = layer.weights();
            Slice[] w = new Slice[specs.size()];
            Slice[] g = new Slice[specs.size()];
            layerParamOffset[li] = po;
            for (int wi = 0; wi < specs.size(); wi++) {
                WeightSpec spec = specs.get(wi);
                if (spec.trainable()) {
                    w[wi] = params.slice(po, spec.size());
                    g[wi] = grads.slice(po, spec.size());
                    po += spec.size();
                    Regularizer r = spec.regularizer();
                    if (r != null && (r.l1() > 0 || r.l2() > 0)) {
                        regularized.add(new Penalized(li, w[wi], g[wi], r));
                    }
                    Constraint c = spec.constraint();
                    if (c != null) {
                        c.check(spec.shape(), "the " + spec.name() + " of layer '" + layer.name() + "'");
                        constrained.add(new Constrained(li, w[wi], spec.shape(), c));
                    }
                } else {
                    w[wi] = state.slice(so, spec.size());
                    so += spec.size();
                }
            }
            layerParamCount[li] = po - layerParamOffset[li];
            weights[li] = w;
            contexts[li] = new Ctx(li, w, g);
        }
        pairs = new LayerPair[layers.size()];
        // -Ddendrite.fuseLayers=false runs each layer on its own, -Ddendrite.fuseDropout=false each Dropout (for A/B
        // timing). The last layer is left alone: the loss may read its input as the pre-activation.
        boolean dropoutPairs = dropoutPairs(backend);
        boolean fuseLayers = on("dendrite.fuseLayers");
        handOffs = fuseLayers && on("dendrite.fuseInputGradient");
        activationBackwards = fuseLayers && on("dendrite.fuseActivationBackward");
        denseBatchNorms = fuseLayers && on("dendrite.fuseDenseBatchNorm");
        if (fuseLayers) {
            for (int li = 0; li + 2 < layers.size(); li++) {
                LayerPair pair = LayerPair.of(layers.get(li), layers.get(li + 1));
                if (pair != null && (dropoutPairs || !(layers.get(li + 1) instanceof Dropout))) {
                    pairs[li] = pair;
                    li++; // a layer belongs to one pair at most
                }
            }
        }
        initializeWeights(initSeed);
    }

    /**
     * Whether each layer's update may follow its own backward pass ({@code -Ddendrite.updates.byLayer}: true or false
     * decides). Unset, where that pays: where the backend runs branches beside the ops after them (the CUDA graph's
     * second stream: the updates leave the critical path) or runs on the host's processor (a layer's update while its
     * gradients are in cache). A GPU queue that runs every op in issue order (OpenCL on a GPU) gains nothing from
     * it and pays a launch per update: there the whole update follows the backward pass, with the same bits.
     *
     * @throws IllegalArgumentException for any other value, naming it
     */
    static boolean updatesByLayer(Backend backend) {
        String v = System.getProperty("dendrite.updates.byLayer");
        if (v == null) {
            return backend.runsBranchesBeside() || backend.runsOnHostCpu();
        }
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("-Ddendrite.updates.byLayer=" + v + ": expected true or false");
        }
        return v.equals("true");
    }

    /** A switch for A/B timing: on unless the system property is "false". */
    private static boolean on(String property) {
        return !"false".equals(System.getProperty(property));
    }

    /**
     * Whether a Dropout runs inside the layer before it: {@code -Ddendrite.fuseDropout=true} or {@code false} decides;
     * unset, only where the ops run on a GPU. A kernel that drops its own output draws a Philox block per element,
     * four times the dropout kernel's generator work, which a GPU runs on idle lanes for one launch less, while a CPU
     * device runs it serially: PoCL trained bn256 and drop512 12-25% slower with these pairs (bench/RESULTS.md), and
     * the cpu backend issues the two ops anyway.
     */
    static boolean dropoutPairs(Backend backend) {
        String choice = System.getProperty("dendrite.fuseDropout");
        if (choice == null) {
            return !backend.runsOnHostCpu();
        }
        if (!choice.equals("true") && !choice.equals("false")) {
            throw new IllegalArgumentException("-Ddendrite.fuseDropout=" + choice + ": expected true or false");
        }
        return choice.equals("true");
    }

    private static Buffer keep(List<Buffer> made, Buffer b) {
        made.add(b);
        return b;
    }

    Backend backend() {
        return backend;
    }

    int paramCount() {
        return paramCount;
    }

    int stateCount() {
        return stateCount;
    }

    int capacity() {
        return capacity;
    }

    /** Fills every weight from its initializer; the same seed gives the same weights. */
    void initializeWeights(long initSeed) {
        LayerWeights.initialize(backend, layers, weights, initSeed);
    }

    /** Every weight, in Keras's order (by layer, then as each layer lists them). */
    List<float[]> getWeights() {
        return LayerWeights.download(backend, weights);
    }

    void setWeights(List<float[]> values) {
        LayerWeights.upload(backend, layers, weights, values);
    }

    /** Layer {@code li}'s weights. */
    List<float[]> getWeights(int li) {
        return LayerWeights.download(backend, weights[li]);
    }

    void setWeights(int li, List<float[]> values) {
        LayerWeights.upload(backend, layers, weights, li, values);
    }

    // ------------------------------------------------------------------ compile

    /** Sets (or replaces) the optimizer and loss; a new optimizer starts from fresh state, as in Keras. */
    void compile(Optimizer optimizer, Loss loss) {
        Layer last = layers.get(outputLayer);
        ActivationFunction act = last instanceof OutputActivation
                ? ((OutputActivation) last).activation() : ActivationFunction.LINEAR;
        boolean fuse = loss.fusesWith(act, outputSize);
        if (fuse && !(last instanceof OutputActivation)) {
            throw new IllegalArgumentException(loss.name() + " needs the last layer to apply the output activation");
        }
        releaseRecordedSteps(); // they froze the old optimizer's slots and loss
        for (Buffer b : slots) {
            b.close();
        }

        float[] init = optimizer.slotInitialValues();
        slots = new Buffer[init.length];
        for (int i = 0; i < init.length; i++) {
            slots[i] = backend.allocate(DType.F32, Math.max(1, paramCount));
            backend.fill(slots[i].all(), init[i]);
        }
        int frozenCount = 0;
        lowestTrainable = layers.size();
        for (int li = layers.size() - 1; li >= 0; li--) { // Keras: a change of trainable takes effect at compile
            frozen[li] = !layers.get(li).isTrainable();
            frozenCount += frozen[li] ? layerParamCount[li] : 0;
            if (frozen[li] && layerParamCount[li] > 0) {
                // Never written while frozen (no layer computes a frozen weight's gradient): 0 for gradients() and
                // checkNumerics, not what an earlier fit left.
                backend.fill(grads.slice(layerParamOffset[li], layerParamCount[li]), 0f);
            } else if (layerParamCount[li] > 0) {
                lowestTrainable = li;
            }
        }
        if (frozenCopies != null) {
            frozenCopies.close();
            frozenCopies = null;
        }
        if (frozenCount > 0) { // made here, never inside a recorded step
            frozenCopies = backend.allocate(DType.F32, Math.multiplyExact(frozenCount, 1 + slots.length));
        }
        if (updatePlan != null) {
            updatePlan.close();
        }
        updatePlan = new UpdatePlan(backend, optimizer, paramCount, slots.length);
        optimizer.build(dev.dendrite.optimizers.ParameterLayout.of(layers)); // what clipnorm clips per variable
        this.optimizer = optimizer;
        this.loss = loss;
        this.fused = fuse;
        this.updatesByLayer = updatePlan.updatesInParts() && updatesByLayer(backend);
        this.carriesUpdates = on("dendrite.updates.carry");
        // -Ddendrite.fuseLayers=false keeps them apart too.
        this.outputWithLoss = fuse && loss.fusedIsSoftmaxCrossEntropy() && last instanceof OutputActivation
                && outputLayer == layers.size() - 1
                && on("dendrite.fuseLayers");
        this.stepsDone = 0;
        syncLearningRate();
        if (yBatch != null) {
            // The target buffer's type depends on the loss: rebuild the workspace.
            int cap = capacity;
            capacity = 0;
            ensureCapacity(cap);
        }
    }

    /** Copies the optimizer's learning rate to the device; call after it changes. */
    void syncLearningRate() {
        backend.upload(new float[] {(float) optimizer.learningRate()}, 0, hyper.slice(Backend.HYPER_LR, 1));
    }

    Optimizer optimizer() {
        return optimizer;
    }

    /** Keras's {@code finalize_variable_values} at the end of fit: with {@code use_ema} the weights become the EMA. */
    void finalizeVariableValues() {
        if (updatePlan != null && paramCount > 0) {
            updatePlan.finish(params.all(), stepsDone);
        }
    }

    Loss loss() {
        return loss;
    }

    long stepsDone() {
        return stepsDone;
    }

    /** The optimizer's slot buffers (each at least {@link #paramCount()} long), for the model file. */
    Buffer[] slots() {
        return slots.clone();
    }

    /** Sets the number of steps taken (restored from a model file with the slots' values). */
    void restoreStepsDone(long steps) {
        stepsDone = steps;
    }

    /** The optimizer's options around its rule (EMA, accumulation), whose state the model file also carries. */
    UpdatePlan updatePlan() {
        return updatePlan;
    }

    /** The trainable parameters, {@link #paramCount()} of them: what an EMA restored from an older file starts at. */
    Slice parameters() {
        return params.slice(0, paramCount);
    }

    // ------------------------------------------------------------------ workspace

    /** Makes sure batches of up to {@code rows} rows fit; reallocates the workspace when they don't. */
    void ensureCapacity(int rows) {
        if (rows <= capacity) {
            return;
        }
        releaseRecordedSteps(); // they froze the workspace's slices
        workspace.forEach(Buffer::close);
        workspace.clear();
        capacity = rows;
        int n = layers.size();
        boolean sparse = loss != null && loss.sparseLabels();
        DType yType = sparse ? DType.I32 : DType.F32;
        int yLength = sparse ? rows : rows * outputSize;
        boolean two = batches.twoOfEach();
        batches.set(work(DType.F32, rows * inputSize), work(yType, yLength),
                two ? work(DType.F32, rows * inputSize) : null, two ? work(yType, yLength) : null);
        xBatch = batches.x(0);
        yBatch = batches.y(0);
        lossScratch = work(DType.F32, rows * outputSize);
        smoothedTargets = loss != null && loss.labelSmoothing() > 0 ? work(DType.F32, rows * outputSize) : null;
        outs = new Slice[n];
        douts = new Slice[n];
        Slice in = xBatch.all();
        for (int i = 0; i < n; i++) {
            Layer layer = layers.get(i);
            outs[i] = layer.isPassThrough() ? in : work(DType.F32, rows * layer.outputSize()).all();
            int[] sizes = layer.scratchSizes(rows);
            contexts[i].scratch = new Slice[sizes.length];
            for (int k = 0; k < sizes.length; k++) {
                contexts[i].scratch[k] = work(DType.F32, Math.max(1, sizes[k])).all();
            }
            in = outs[i];
        }
        // Gradient buffers, from the output back: a layer needs the gradient of its input only if some layer
        // before it has trainable weights. Pass-through layers share their neighbour's gradient buffer.
        boolean[] trainsBefore = new boolean[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            trainsBefore[i] = any;
            any |= hasTrainable(i);
        }
        Slice d = work(DType.F32, rows * outputSize).all();
        for (int i = n - 1; i >= 0; i--) {
            douts[i] = d;
            Layer layer = layers.get(i);
            if (layer.isPassThrough()) {
                continue;
            }
            d = trainsBefore[i] ? work(DType.F32, rows * layer.inputSize()).all() : null;
        }
        if (mixup != null) {
            mixup.ensureCapacity(rows);
        }
    }

    private boolean hasTrainable(int li) {
        for (WeightSpec w : layers.get(li).weights()) {
            if (w.trainable()) {
                return true;
            }
        }
        return false;
    }

    private Buffer work(DType type, int length) {
        Buffer b = backend.allocate(type, Math.max(1, length));
        workspace.add(b);
        return b;
    }

    // ------------------------------------------------------------------ steps

    /** Resets the training statistics and points the counters at the first batch of a new epoch. */
    void beginEpoch(long trainingSeed) {
        beginEpoch(trainingSeed, 0);
    }

    /** {@link #beginEpoch(long)} for an epoch that BackupAndRestore resumes at batch {@code firstBatch}. */
    void beginEpoch(long trainingSeed, int firstBatch) {
        this.seed = trainingSeed;
        batches.reset();
        backend.upload(new int[] {(int) stepsDone, firstBatch}, 0, counters.all());
        backend.fill(trainStats.all(), 0f);
    }

    /**
     * One training step on rows {@code [batch * batchSize, batch * batchSize + rows)} of the epoch's order
     * ({@code permutation}, or the stored order when null), where {@code batch} is the device's batch counter.
     * {@code nextIsFull}: the caller's next step is the next full batch of the same order, which this step may then
     * gather beside itself ({@link BatchBuffers}).
     */
    void trainStep(DeviceData data, Slice permutation, int batchSize, int rows, boolean nextIsFull) {
        execute(data, permutation, batchSize, rows, 1, nextIsFull);
    }

    /**
     * {@code count} training steps on full batches from the device's batch counter on, as one execution
     * ({@link FitOptions#stepsPerExecution}): recorded together and replayed as one, so a backend that records
     * replays them with one launch. Each step reads its batch and learning rate from the device counters, which
     * the step before advanced, so the steps are the same ops as {@code count} calls of {@link #trainStep}.
     */
    void trainSteps(DeviceData data, Slice permutation, int batchSize, int count, boolean nextIsFull) {
        execute(data, permutation, batchSize, batchSize, count, nextIsFull);
    }

    /** {@code count} steps of {@code rows} rows each, recorded as one execution unless checkNumerics is on. */
    private void execute(DeviceData data, Slice permutation, int batchSize, int rows, int count, boolean nextIsFull) {
        requireNoInferencePass("a training step");
        // Prefetching needs the next batch's rows in the order (a permutation shifted by one batch) and a batch
        // that nothing rewrites in place (mixup); checkNumerics's debug mode checks each op as issued, gathers too.
        boolean prefetch = permutation != null && rows == batchSize && mixup == null && data.w() == null
                && !numerics.on();
        roomForRowWeights(data);
        BatchBuffers.Plan plan = batches.plan(prefetch, stepsDone, nextIsFull);
        if (numerics.on()) { // each op is checked as it is issued: nothing is recorded
            for (int i = 0; i < count; i++) {
                step(data, permutation, batchSize, rows, true, plan, i, count);
                stepsDone++;
            }
            batches.executed(plan, count, stepsDone);
            return;
        }
        // One lambda per execution (not per op); the recording, when made, keeps it.
        recorded.run(data, permutation, batchSize, rows, count, seed, plan.key(), () -> {
            for (int i = 0; i < count; i++) {
                step(data, permutation, batchSize, rows, true, plan, i, count);
            }
        });
        stepsDone += count;
        batches.executed(plan, count, stepsDone);
        useBatch(plan.buffer(count - 1)); // what a replay did not set: the last step's batch, for lastBatch()
    }

    /** Points the step's batch buffers (and the pass-through layers at the input, which share them) at pair b. */
    private void useBatch(int b) {
        xBatch = batches.x(b);
        yBatch = batches.y(b);
        Slice in = xBatch.all();
        for (int i = 0; i < layers.size() && layers.get(i).isPassThrough(); i++) {
            outs[i] = in;
        }
    }

    /**
     * Turns the debug mode of {@link FitOptions#checkNumerics} on or off: while on, {@link #trainStep} issues each
     * op directly and reads back its output, throwing a {@link NumericalFaultException} (without epoch and batch,
     * which the caller adds) that names the first op whose output held NaN or Inf.
     */
    void checkNumerics(boolean on) {
        numerics.set(on);
    }

    /**
     * Frees the recorded training steps. Called when what they froze is replaced, and by {@link Sequential}
     * at the end of a fit, whose data buffers they point into.
     */
    void releaseRecordedSteps() {
        recorded.release();
    }

    /**
     * The gradients of every trainable weight on the first {@code rows} rows of {@code data} (one batch, as
     * training computes them, dropout and batch statistics included) without updating anything but the
     * batch-norm statistics; for gradient checks.
     *
     * @return the flat gradient buffer and, last, the batch's mean loss
     */
    float[] gradients(DeviceData data, int rows, long trainingSeed) {
        ensureCapacity(rows);
        roomForRowWeights(data);
        beginEpoch(trainingSeed);
        step(data, null, rows, rows, false, batches.plan(false, stepsDone, false), 0, 1);
        float[] out = new float[paramCount + 1];
        backend.download(grads.slice(0, paramCount), out, 0);
        out[paramCount] = (float) ((double) trainStats()[Backend.STAT_LOSS] / rows);
        return out;
    }

    /**
     * Step {@code index} of an execution of {@code count} planned by {@code plan}: its batch from the plan's buffer
     * (gathered there first unless the step before did), the next step's batch gathered beside it where the plan
     * says, then forward, backward and (with {@code update}) the update.
     */
    private void step(DeviceData data, Slice permutation, int batchSize, int rows, boolean update,
            BatchBuffers.Plan plan, int index, int count) {
        int n = layers.size();
        int b = plan.buffer(index);
        useBatch(b);
        if (plan.prefetches(index, count)) {
            // The next batch is batch counter + 1: the same gather over the order shifted by one batch. It joins
            // before the counters advance (the step's last update, or advanceCounters after the final join).
            Slice next = permutation.slice(batchSize, permutation.length() - batchSize);
            Buffer x = batches.x(b ^ 1);
            Buffer y = batches.y(b ^ 1);
            backend.branch(() -> backend.gatherBatch(data.x(), inputSize, data.scale(), data.shift(), x.all(),
                    data.y(), data.yWidth(), y.all(), next, counters.all(), batchSize, rows));
        }
        forwardAndLoss(data, permutation, counters.all(), batchSize, rows, true, trainStats.all(),
                !plan.gathered(index), false);
        // By layer, each layer's regularizers and update follow its backward pass: as a branch where a layer before
        // it still has its backward pass to run (so that a GPU runs the update beside it), else in place. The
        // update rule then reads only its own layer (UpdatePlan.updatesInParts), so the bits are the same.
        boolean byLayer = update && updatesByLayer && paramCount > 0 && !numerics.on();
        Slice rate = byLayer ? updatePlan.stepRate(hyper.all(), counters.all()) : null;
        stepRate = rate;
        for (Ctx c : contexts) { // each backward pass starts without hand-offs (a pass that threw may have left some)
            c.handsOff = false;
            c.handsOffWeights = false;
            c.handedOff = null;
            c.fromAbove = null;
            c.activationBelow = null;
            c.activationDone = false;
            c.updateAbove = null;
        }
        Updates deferred = null; // layers whose update waits until the unit below has read the lowest one's weights
        boolean countersAdvanced = false;
        for (int i = lowestTrainable < n ? n - 1 : -1; i >= 0; i--) { // with nothing to train, no backward pass
            Layer layer = layers.get(i);
            if (layer.isPassThrough()) {
                continue;
            }
            int first = i > 0 && pairRuns(i - 1) ? i - 1 : i; // a pair runs from its first layer's input
            Slice x = first == 0 ? xBatch.all() : outs[first - 1];
            // No input gradient at or below the lowest trainable layer: nothing below would read it.
            Slice dx = first <= lowestTrainable ? null : douts[first - 1];
            int below = dx == null ? -1 : handOffTo(first);
            contexts[first].handsOff = below >= 0;
            contexts[first].handsOffWeights = below >= 0 && weightGradientBelow(first, below, rows);
            int activationUnit = dx == null ? -1 : activationBackwardBelow(first);
            if (activationUnit >= 0) {
                contexts[first].activationBelow = pairRuns(activationUnit)
                        ? ((DenseActivationPair) pairs[activationUnit]).activationBelow(contexts[activationUnit], x)
                        : ((Dense) layers.get(activationUnit)).activationBelow(contexts[activationUnit], x);
                contexts[activationUnit].activationDone = true;
            }
            boolean ownUpdate = byLayer && layerParamCount[first] > 0 && !frozen[first];
            int carried = -1; // the layer above whose update this unit's own takes along (below)
            if (deferred != null && ownUpdate && below >= 0 && deferred.lo() == deferred.hi()
                    && carriesUpdates && noParamsBetween(first, deferred.lo())) {
                // This unit's own update waits for the unit below too, and the parameters lie side by side: the
                // update above joins it, one op over both (updateLayers), issued when the unit below has read this
                // unit's weights. On the branches the update above would otherwise sit between this unit's weight
                // gradient and the one before it (the output layer's small update between the last two layers' weight
                // gradients: the step's longest path on the H200's choices, native/emulator's graph report).
                carried = deferred.lo();
            } else if (deferred != null) {
                // The layer above's update waits for this unit's read of its weights: its first op, where the unit
                // says so (LayerContext#inputGradientTaken) and has more to issue, so that the update runs beside
                // the rest (for the first layer, beside its weight gradient, which would otherwise put the update on
                // the step's critical path before the last update); else its whole backward pass (below), where it
                // may share one op with the unit's own update.
                contexts[first].updateAbove = deferred;
            }
            deferred = null;
            if (first < i) {
                pairs[first].backward(contexts[first], contexts[i], x, outs[first], outs[i], douts[i], dx);
            } else if (i == outputLayer && fused) {
                ((OutputActivation) layer).backwardFromPreActivation(contexts[i], x, douts[i], dx);
            } else {
                layer.backward(contexts[i], x, outs[i], douts[i], dx);
            }
            if (below >= 0) {
                contexts[below].fromAbove = contexts[first].handedOff;
                if (contexts[below].fromAbove == null) {
                    throw new IllegalStateException("layer '" + layers.get(first).name()
                            + "' did not hand off its input gradient");
                }
            }
            numerics.weights(i, contexts[i].gradients, true, "the backward pass of layer '" + layer.name()
                    + "': the gradient of");
            if (dx != null) {
                numerics.finite(dx, rows * layer.inputSize(), "the backward pass of layer '" + layer.name()
                        + "': the gradient of its input");
            }
            Updates waiting = contexts[first].takeUpdateAbove(); // the unit's first op was its last, or it did not say
            if (waiting != null && ownUpdate && below < 0 && dx != null && noParamsBetween(first, waiting.lo())) {
                // Both updates now, one after the other on the branches: one op over both layers' parameters, which
                // lie side by side (a batch norm's and the dense layer's above it), is one launch less on that path.
                int lo = first;
                backend.branch(() -> updateLayers(lo, waiting.hi(), rate));
                ownUpdate = false;
            } else if (waiting != null) {
                backend.branch(() -> updateLayers(waiting.lo(), waiting.hi(), rate));
            }
            if (ownUpdate) {
                int li = first;
                if (below >= 0) {
                    deferred = new Updates(li, carried >= 0 ? carried : li);
                } else if (dx == null && countersInLastUpdate()) {
                    // The step's last op: the branches join first (their updates read the counters), then the
                    // update's rule kernel may advance the counters itself.
                    backend.joinBranches();
                    backend.updateThenAdvanceCounters(counters.all(), () -> updateLayer(li, rate));
                    countersAdvanced = true;
                } else if (dx == null) {
                    updateLayer(li, rate);
                } else {
                    backend.branch(() -> updateLayer(li, rate));
                }
            }
            if (dx == null) {
                break; // nothing before this unit trains
            }
            i = first;
        }
        backend.joinBranches(); // the layers' weight gradients (Backend.branch), which all that follows reads
        if (byLayer) {
            finishStep(rows, countersAdvanced);
            return;
        }
        for (Penalized p : regularized) {
            if (!frozen[p.layer()]) {
                addRegularizerGradient(p);
            }
        }
        if (!update) {
            return;
        }
        if (paramCount > 0) {
            boolean holds = holdFrozen();
            Runnable all = () -> {
                updatePlan.update(params.all(), grads.all(), slotSlices(), hyper.all(), counters.all());
                if (holds) {
                    releaseFrozen();
                }
            };
            if (countersInLastUpdate() && updatePlan.endsWithRule() && !holds) {
                backend.updateThenAdvanceCounters(counters.all(), all);
                countersAdvanced = true;
            } else {
                all.run();
            }
            constrain(0, layers.size() - 1);
            for (int li = 0; li < layers.size(); li++) {
                numerics.weights(li, contexts[li].weights, true, "the " + optimizer.name() + " update of weight");
            }
        }
        finishStep(rows, countersAdvanced);
    }

    /**
     * Before the whole model's update (the path taken where the update cannot go layer by layer: gradient
     * accumulation, a moving average, a rule or clipping over all parameters, checkNumerics): zeroes the frozen layers'
     * gradients (so that a global norm or an accumulator counts only the trained ones, as Keras's optimizer, which
     * holds only trainable variables) and copies their parameters and optimizer slots. False without frozen layers.
     */
    private boolean holdFrozen() {
        if (frozenCopies == null) {
            return false;
        }
        moveFrozen(true);
        return true;
    }

    /**
     * After the whole model's update: puts the frozen layers' parameters and slots back (#holdFrozen), and their
     * moving average (use_ema) at their parameters, so that the average written over the weights when fit ends
     * leaves them as they were.
     */
    private void releaseFrozen() {
        moveFrozen(false);
    }

    /** Each frozen layer's parameters and slots into {@link #frozenCopies} ({@code hold}), or back from there. */
    private void moveFrozen(boolean hold) {
        Slice[] slotSlices = slotSlices();
        Buffer ema = hold ? null : updatePlan.stateBuffers().get("ema");
        int at = 0;
        for (int li = 0; li < layers.size(); li++) {
            if (frozen[li] && layerParamCount[li] > 0) {
                int off = layerParamOffset[li];
                int len = layerParamCount[li];
                if (hold) {
                    backend.fill(grads.slice(off, len), 0f);
                }
                Slice[] live = new Slice[1 + slotSlices.length];
                live[0] = params.slice(off, len);
                for (int i = 0; i < slotSlices.length; i++) {
                    live[i + 1] = slotSlices[i].slice(off, len);
                }
                for (Slice l : live) {
                    Slice saved = frozenCopies.slice(at, len);
                    backend.copy(hold ? l : saved, hold ? saved : l);
                    at += len;
                }
                if (ema != null) {
                    backend.copy(live[0], ema.slice(off, len));
                }
            }
        }
    }

    /**
     * Refuses to train when a layer's {@code trainable} changed since compile, which Keras would silently ignore
     * until the next compile.
     */
    void checkTrainableUnchanged() {
        for (int li = 0; li < layers.size(); li++) {
            if (frozen[li] == layers.get(li).isTrainable()) {
                throw new IllegalStateException("layer '" + layers.get(li).name() + "' was made trainable="
                        + layers.get(li).isTrainable() + " after compile; call compile again for the change to take"
                        + " effect (as in Keras)");
            }
        }
    }

    private void addRegularizerGradient(Penalized p) {
        Regularizer r = p.regularizer();
        backend.regularizerGradient(p.weight(), p.grad(), p.weight().length(), r.l1(), r.l2());
        numerics.finite(p.grad(), p.grad().length(), "a gradient after adding its regularizer's");
    }

    /**
     * Where the unit of layers starting at {@code first} (a Dense, or a pair led by one) hands its input gradient's
     * product to the unit below it, which computes it inside its first op (Backend.inputGradientActivationBackward,
     * batchNormBackwardBetween): the first layer of that unit, when it is right below and led by a Dense (a
     * Dense, a Dense and its activation layer, a Dense and its Dropout) or a batch norm (alone, or with its Dropout);
     * else -1. Not in checkNumerics's debug mode, which checks each input gradient, nor with
     * {@code -Ddendrite.fuseInputGradient=false} or {@code -Ddendrite.fuseLayers=false}.
     */
    private int handOffTo(int first) {
        int end = first - 1;
        if (!handOffs || numerics.on() || end < 0 || !(layers.get(first) instanceof Dense)
                || layers.get(end).isPassThrough()) {
            return -1;
        }
        int below = end > 0 && pairRuns(end - 1) ? end - 1 : end;
        Layer lead = layers.get(below);
        boolean takes = below == end ? lead instanceof Dense || lead instanceof BatchNormalization && !frozen[below]
                : lead instanceof Dense && (pairs[below] instanceof DenseActivationPair
                        || pairs[below] instanceof DenseDropoutPair)
                        || lead instanceof BatchNormalization && pairs[below] instanceof BatchNormDropoutPair;
        return takes ? below : -1;
    }

    /**
     * Whether the unit at {@code first}, handing its input gradient to the unit at {@code below} (handOffTo), leaves
     * its weight gradient there too (LayerContext#handsOffWeightGradient): where both are a Dense, the one below
     * alone (so its output is the upper one's input: no Dropout or activation layer between) and element-wise, and
     * the backend computes it there for this step's shape (Backend.weightGradientWithInputGradient). Never for a
     * frozen unit, which has no weight gradient.
     */
    private boolean weightGradientBelow(int first, int below, int rows) {
        return below == first - 1 && !frozen[first] && layers.get(first) instanceof Dense up
                && layers.get(below) instanceof Dense d && d.activation() != ActivationFunction.SOFTMAX
                && backend.weightGradientWithInputGradient(rows, d.units(), up.units());
    }

    /**
     * Where the unit of layers starting at {@code first}, a batch norm (alone or with its Dropout), runs the backward
     * pass of the activation of the dense unit right below it inside its own (Backend.batchNormBackwardBetween): the
     * first layer of that unit, a Dense with an element-wise activation or a Dense and its activation layer; else -1.
     * Not in checkNumerics's debug mode, nor with {@code -Ddendrite.fuseActivationBackward=false} or
     * {@code -Ddendrite.fuseLayers=false}.
     */
    private int activationBackwardBelow(int first) {
        int end = first - 1;
        if (!activationBackwards || numerics.on() || end < 0 || !(layers.get(first) instanceof BatchNormalization)
                || frozen[first] || layers.get(end).isPassThrough()) {
            return -1;
        }
        int below = end > 0 && pairRuns(end - 1) ? end - 1 : end;
        if (below < end) {
            return pairs[below] instanceof DenseActivationPair ? below : -1;
        }
        return layers.get(below) instanceof Dense d && d.activation() != ActivationFunction.SOFTMAX ? below : -1;
    }

    /** Layer {@code li}'s regularizer gradients and update, with the step's rate {@code rate}. */
    private void updateLayer(int li, Slice rate) {
        updateLayers(li, li, rate);
    }

    /**
     * The regularizers and the update of layers {@code lo} to {@code hi}, whose parameters lie side by side in
     * {@link #params}, as one update op: the rule reads only each parameter's own elements (UpdatePlan#updatesInParts),
     * so the bits are those of one op per layer.
     */
    private void updateLayers(int lo, int hi, Slice rate) {
        for (Penalized p : regularized) {
            if (p.layer() >= lo && p.layer() <= hi) {
                addRegularizerGradient(p);
            }
        }
        int end = layerParamOffset[hi] + layerParamCount[hi];
        updatePlan.updatePart(params.all(), grads.all(), slotSlices(), layerParamOffset[lo],
                end - layerParamOffset[lo], rate, counters.all());
        constrain(lo, hi);
    }

    /**
     * The constraints of layers {@code lo} to {@code hi}, after their update, as Keras 3's optimizer applies them
     * (after the update and the moving average of use_ema; on every step, gradient accumulation's too).
     */
    private void constrain(int lo, int hi) {
        for (Constrained c : constrained) {
            if (c.layer() >= lo && c.layer() <= hi && !frozen[c.layer()]) {
                c.constraint().apply(backend, c.weight(), c.shape());
                numerics.finite(c.weight(), c.weight().length(), "a weight after its " + c.constraint().className()
                        + " constraint");
            }
        }
    }

    /**
     * Whether the step's last update advances the counters inside its rule kernel: not where a constraint follows an
     * update, since no kernel may follow the one that advanced them (CountersInUpdate); finishStep advances them then.
     */
    private boolean countersInLastUpdate() {
        return countersInUpdate && constrained.isEmpty();
    }

    /** Layers {@code lo} to {@code hi}, whose parameters lie side by side, updated by one op (updateLayers). */
    private record Updates(int lo, int hi) {
    }

    /** Whether no layer strictly between {@code lo} and {@code hi} has parameters (a Dropout, an activation). */
    private boolean noParamsBetween(int lo, int hi) {
        for (int li = lo + 1; li < hi; li++) {
            if (layerParamCount[li] > 0) {
                return false;
            }
        }
        return lo < hi;
    }

    /**
     * What every training step ends with, after the update: the device-side metrics (which do not read the counters)
     * and the counters, unless the update advanced them already.
     */
    private void finishStep(int rows, boolean countersAdvanced) {
        if (stepMetrics != null) {
            // The outputs and targets the host metrics read after the step, counted on the device instead.
            stepMetrics.add(outs[layers.size() - 1], yBatch.all(), rows);
        }
        if (!countersAdvanced) {
            backend.advanceCounters(counters.all());
        }
    }

    /**
     * Sets the metrics each training step counts on the device (null: none); a change drops the recorded steps,
     * which froze the old ones.
     */
    void stepMetrics(BatchMetrics metrics) {
        if (metrics != stepMetrics) {
            releaseRecordedSteps();
            stepMetrics = metrics;
        }
    }

    /**
     * The sequence every batch starts with, in training and in inference alike: gathers the batch's inputs and
     * targets (rows of {@code data} in {@code order}, or stored order when null, at the batch that
     * {@code batchCounters} points to; not with {@code gather} false, where the step before did; with
     * {@code advance}, the gather then advances {@code batchCounters}, which nothing after it reads), runs the
     * forward pass and adds the batch's loss sums, weight penalties included, to {@code stats}. In training the loss
     * also writes the gradient of the output, and the debug mode of {@link #checkNumerics} checks each result.
     */
    private void forwardAndLoss(DeviceData data, Slice order, Slice batchCounters, int batchSize, int rows,
            boolean training, Slice stats, boolean gather, boolean advance) {
        int n = layers.size();
        setRows(rows);
        Slice sampleWeights = null;
        if (data.w() != null) { // gathered before the counters may advance below (and never prefetched)
            sampleWeights = rowWeights.slice(0, rows);
            backend.gather(data.w(), 1, order, batchCounters, batchSize, rows, null, null, sampleWeights);
        }
        if (gather && advance) { // an evaluation batch: its gather's launch may advance the counters too
            backend.gatherBatchThenAdvanceCounters(data.x(), inputSize, data.scale(), data.shift(), xBatch.all(),
                    data.y(), data.yWidth(), yBatch.all(), order, batchCounters, batchSize, rows);
        } else if (gather) { // else the step before gathered it (BatchBuffers)
            backend.gatherBatch(data.x(), inputSize, data.scale(), data.shift(), xBatch.all(), data.y(),
                    data.yWidth(), yBatch.all(), order, batchCounters, batchSize, rows);
        }
        MixupStep mix = training ? mixup : null;
        Slice targets = mix == null ? yBatch.all()
                : mix.mix(xBatch.all(), yBatch.all(), loss.sparseLabels(), rows, seed, batchCounters);
        if (smoothedTargets != null) { // Keras's label_smoothing: t (1 - s) + s / k, in float as Keras rounds it
            double s = loss.labelSmoothing();
            backend.featureAffine(targets, rows, outputSize, null, null, 1, (float) (1 - s),
                    (float) (s / loss.labelSmoothingClasses(outputSize)), smoothedTargets.slice(0, rows * outputSize));
            targets = smoothedTargets.slice(0, rows * outputSize);
        }
        Slice weights = training && classWeights != null ? classWeights.all() : null; // Keras weighs training only
        // The output layer's softmax and the loss as one op where they can be (outputWithLoss), else one by one.
        boolean withLoss = outputWithLoss && mix == null && weights == null && sampleWeights == null
                && !numerics.on();
        lossStats = stats;
        try {
            forward(training, withLoss ? n - 1 : n);
        } finally {
            lossStats = null;
        }
        Slice lastIn = n == 1 ? xBatch.all() : outs[n - 2];
        contexts[n - 1].biasFromLoss = false; // set by this pass where the output layer runs with the loss
        if (!(withLoss && ((OutputActivation) layers.get(n - 1)).forwardWithSoftmaxCrossEntropy(contexts[n - 1], lastIn,
                outs[n - 1], targets, loss.sparseLabels(), lossScratch.all(), training ? douts[n - 1] : null,
                1f / rows, stats))) {
            if (withLoss) {
                layers.get(n - 1).forward(contexts[n - 1], lastIn, outs[n - 1], training);
            }
            MixupStep.loss(mix, backend, loss, fused, outs[n - 1], fusedPreActivation(), targets, rows, outputSize,
                    weights, sampleWeights, lossScratch.all(), training ? douts[n - 1] : null, 1f / rows, stats);
        }
        if (training) {
            numerics.finite(stats, Backend.STATS_LENGTH, "the loss (" + loss.name() + ")");
            numerics.finite(douts[n - 1], rows * outputSize, "the loss gradient (" + loss.name() + ")");
        }
        addPenalty(rows, stats);
        if (training) {
            numerics.finite(stats, Backend.STATS_LENGTH, "the loss after adding the weight penalties");
        }
    }

    /** Sizes the layers for a batch of {@code rows} and gathers its inputs, scaled as {@code data} says. */
    private void gatherInputs(DeviceData data, Slice order, Slice batchCounters, int batchSize, int rows) {
        setRows(rows);
        backend.gather(data.x(), inputSize, order, batchCounters, batchSize, rows, data.scale(), data.shift(),
                xBatch.all());
    }

    private Slice[] slotSlices() {
        Slice[] s = new Slice[slots.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = slots[i].all();
        }
        return s;
    }

    private void addPenalty(int rows, Slice stats) {
        // Keras adds the weight penalties to each batch's mean loss; the stats hold per-sample sums, so the
        // penalty counts once per row.
        for (Penalized p : regularized) {
            if (!frozen[p.layer()]) { // Keras penalises trainable weights only
                Regularizer r = p.regularizer();
                backend.regularizerPenalty(p.weight(), p.weight().length(), r.l1(), r.l2(), rows, stats);
            }
        }
    }

    /** The last layer's pre-activation when the loss is fused with its activation, else null. */
    private Slice fusedPreActivation() {
        if (!fused) {
            return null;
        }
        Slice lastIn = outputLayer == 0 ? xBatch.all() : outs[outputLayer - 1];
        return ((OutputActivation) layers.get(outputLayer)).preActivation(contexts[outputLayer], lastIn);
    }

    /** Whether layers {@code i} and {@code i + 1} run as one pair now. */
    private boolean pairRuns(int i) {
        return pairs[i] != null && !numerics.on() && !frozenNorm(i);
    }

    /** Whether layer {@code li} is a batch norm frozen at compile: it runs alone, in inference mode, and fuses none. */
    private boolean frozenNorm(int li) {
        return frozen[li] && layers.get(li) instanceof BatchNormalization;
    }

    private void forward(boolean training) {
        forward(training, layers.size());
    }

    /** The forward pass of layers {@code [0, end)}. */
    private void forward(boolean training, int end) {
        for (Ctx c : contexts) { // each pass starts without hand-offs (a pass that threw may have left some)
            c.handsOffForward = false;
            c.handedForward = null;
            c.denseBefore = null;
        }
        for (int i = 0; i < end; i++) {
            Layer layer = layers.get(i);
            int norm = training ? batchNormAfter(i, end) : -1;
            contexts[i].handsOffForward = norm >= 0;
            int first = i;
            if (pairRuns(i)) {
                pairs[i].forward(contexts[i], contexts[i + 1], i == 0 ? xBatch.all() : outs[i - 1], outs[i],
                        outs[i + 1], training);
                i++; // the activation layer ran with it
            } else if (!layer.isPassThrough()) {
                layer.forward(contexts[i], i == 0 ? xBatch.all() : outs[i - 1], outs[i], training);
                if (training) {
                    numerics.finite(outs[i], contexts[i].rows * layer.outputSize(), "the output of layer '"
                            + layer.name() + "' (" + layer.className() + ")");
                    numerics.weights(i, contexts[i].weights, false, "the moving statistics of layer '" + layer.name()
                            + "':");
                }
            }
            if (norm >= 0) {
                contexts[norm].denseBefore = contexts[first].handedForward;
                if (contexts[norm].denseBefore == null) {
                    throw new IllegalStateException("layer '" + layer.name() + "' did not hand off its forward pass");
                }
            }
        }
    }

    /**
     * While training, where the unit of layers starting at {@code first} (a Dense with an element-wise activation, or
     * a Dense and its activation layer) leaves its forward pass to the batch norm right after it, which runs it with
     * its own (Backend.denseBatchNormForward): that batch norm's index (alone, or with its Dropout), below
     * {@code end}; else -1. Not in checkNumerics's debug mode, which checks each layer's output, nor with
     * {@code -Ddendrite.fuseDenseBatchNorm=false} or {@code -Ddendrite.fuseLayers=false}.
     */
    private int batchNormAfter(int first, int end) {
        if (!denseBatchNorms || numerics.on() || !(layers.get(first) instanceof Dense d)) {
            return -1;
        }
        boolean paired = pairRuns(first);
        if (paired ? !(pairs[first] instanceof DenseActivationPair) : d.activation() == ActivationFunction.SOFTMAX) {
            return -1;
        }
        int next = paired ? first + 2 : first + 1;
        return next < end && layers.get(next) instanceof BatchNormalization && !frozen[next] ? next : -1;
    }

    private void setRows(int rows) {
        if (rows > capacity) {
            throw new IllegalStateException("batch of " + rows + " rows exceeds the workspace of " + capacity);
        }
        for (Ctx c : contexts) {
            c.rows = rows;
        }
    }

    /** Reads the epoch's training statistics: {@code [sum of losses, sum of accuracies]}. */
    float[] trainStats() {
        float[] s = new float[Backend.STATS_LENGTH];
        backend.download(trainStats.all(), s, 0);
        return s;
    }

    /**
     * Mean loss and accuracy over a whole dataset, in batches of {@code batchSize}, in inference mode.
     *
     * @return {@code [loss, accuracy]}
     */
    double[] evaluate(DeviceData data, int batchSize) {
        return evaluate(data, batchSize, null, InferenceHooks.NONE);
    }

    /**
     * {@link #evaluate(DeviceData, int)}, adding each batch to {@code metrics} (null: none) on the device and calling
     * {@code hooks} on the host around each batch. The batches are recorded and replayed ({@link #inferenceBatches}).
     */
    double[] evaluate(DeviceData data, int batchSize, BatchMetrics metrics, InferenceHooks hooks) {
        requireNoInferencePass("evaluate");
        backend.fill(evalStats.all(), 0f);
        int done = inferenceBatches(data, batchSize, () -> stopEvaluating, rows -> {
            forwardAndLoss(data, null, evalCounters.all(), batchSize, rows, false, evalStats.all(), true,
                    countersInUpdate);
            if (metrics != null) {
                metrics.add(outs[layers.size() - 1], yBatch.all(), rows);
            }
            return countersInUpdate;
        }, hooks);
        float[] s = evalStats();
        return new double[] {(double) s[Backend.STAT_LOSS] / done, (double) s[Backend.STAT_ACCURACY] / done};
    }

    /** The sums of the evaluation so far ({@link #evaluate}'s batches up to the last one issued), read back. */
    float[] evalStats() {
        float[] s = new float[Backend.STATS_LENGTH];
        backend.download(evalStats.all(), s, 0);
        return s;
    }

    int outputSize() {
        return outputSize;
    }

    /** The last batch's outputs ({@code rows x outputSize}) and gathered targets, for metrics on the host. */
    Slice[] lastBatch() {
        return new Slice[] {outs[layers.size() - 1], yBatch.all()};
    }

    /** The model's outputs for every row of {@code data}, in inference mode, the batches recorded and replayed. */
    float[] predict(DeviceData data, int batchSize) {
        return predict(data, batchSize, false, 0L);
    }

    /**
     * {@link #predict(DeviceData, int)}, with {@code training} the layers' forward passes as in training (Keras's
     * {@code model(x, training=True)}): the random layers draw from {@code drawSeed} and the evaluation counters,
     * which advance per batch, so that a pass with another seed draws anew and training's draws stay as they were;
     * a batch norm normalises with the batch's statistics and updates its moving ones.
     */
    float[] predict(DeviceData data, int batchSize, boolean training, long drawSeed) {
        return predict(data, batchSize, training, drawSeed, InferenceHooks.NONE);
    }

    /** {@link #predict(DeviceData, int, boolean, long)}, calling {@code hooks} on the host around each batch. */
    float[] predict(DeviceData data, int batchSize, boolean training, long drawSeed, InferenceHooks hooks) {
        requireNoInferencePass("predict");
        float[] out = new float[Math.multiplyExact(data.rows(), outputSize)];
        long trainingSeed = seed;
        if (training) {
            seed = drawSeed;
            drawCounters = evalCounters;
        }
        int done;
        try {
            done = inferenceBatches(data, batchSize, () -> stopPredicting, rows -> {
                gatherInputs(data, null, evalCounters.all(), batchSize, rows);
                forward(training);
                return false;
            }, new InferenceHooks() {
                @Override
                public void before(int batch) {
                    hooks.before(batch);
                }

                @Override
                public void after(int batch, int start, int rows) {
                    backend.download(outs[layers.size() - 1].slice(0, rows * outputSize), out, start * outputSize);
                    hooks.after(batch, start, rows);
                }
            });
        } finally {
            seed = trainingSeed; // a pass from a callback inside fit leaves the epoch's draws as they were
            drawCounters = counters;
        }
        return done < data.rows() ? Arrays.copyOf(out, done * outputSize) : out;
    }

    /** An inference batch's device ops, told its rows: whether they advanced the evaluation counters themselves. */
    @FunctionalInterface
    private interface BatchOps {
        boolean issue(int rows);
    }

    /**
     * What the host does around each inference batch, by the batch's index from 0: before its device ops are issued,
     * and after them for rows {@code [start, start + rows)} of the data (whatever the host reads then has run).
     */
    interface InferenceHooks {
        /** Nothing before or after a batch. */
        InferenceHooks NONE = new InferenceHooks() { };

        default void before(int batch) {
        }

        default void after(int batch, int start, int rows) {
        }
    }

    /**
     * Runs {@code deviceOps} over {@code data} in stored order, in batches of {@code batchSize}, each batch gathered
     * at the evaluation counters, which it then advances on the device (unless the ops said they did, with their
     * gather); around each, {@code hooks} on the host. The device ops (told only the batch's rows, as anything else
     * they used would be frozen) are recorded as training steps are ({@link RecordedSteps}: the first full batch
     * issued directly, the second recorded, the rest replayed; a shorter last batch issued directly), so on a GPU
     * backend a batch costs one graph launch instead of a launch per op. The recordings last only this call, so
     * nothing they froze can be replayed stale. Not recorded: fewer than three full batches (the recording would run
     * once), checkNumerics's debug mode, {@code -Ddendrite.recordEvaluation=false}.
     */
    private int inferenceBatches(DeviceData data, int batchSize, BooleanSupplier stop, BatchOps deviceOps,
                                 InferenceHooks hooks) {
        inferencePass = true;
        try {
            return inferenceBatchesIn(data, batchSize, stop, deviceOps, hooks);
        } finally {
            inferencePass = false;
        }
    }

    /**
     * Keras's {@code model.stop_evaluating = True} ({@code evaluating}) or {@code stop_predicting}: the pass running
     * (or the next one to start, if none runs) ends after its current batch, with the batches done so far.
     */
    void stopInference(boolean evaluating) {
        if (evaluating) {
            stopEvaluating = true;
        } else {
            stopPredicting = true;
        }
    }

    /** Clears the evaluation's ({@code evaluating}) or the prediction's stop request as it starts, as Keras does. */
    void clearInferenceStop(boolean evaluating) {
        if (evaluating) {
            stopEvaluating = false;
        } else {
            stopPredicting = false;
        }
    }

    /** Whether {@link #stopInference} asked the evaluation ({@code evaluating}) or prediction to stop. */
    boolean inferenceStopped(boolean evaluating) {
        return evaluating ? stopEvaluating : stopPredicting;
    }

    /**
     * Refuses {@code what} while an inference pass runs its host hooks: the evaluation's sums, counters and
     * workspace are the pass's, which a nested pass (or a training step) would reset or overwrite midway.
     */
    private void requireNoInferencePass(String what) {
        if (inferencePass) {
            throw new IllegalStateException(what + " was called during an evaluation or prediction pass (from a "
                    + "callback's onTest... or onPredict... hook?); that pass's batches share the model's evaluation "
                    + "state. Call it from onTestEnd, onPredictEnd, onEpochEnd or after the pass instead");
        }
    }

    /** {@link #inferenceBatches}; returns the rows done: all of them, unless {@code stop} said to end early. */
    private int inferenceBatchesIn(DeviceData data, int batchSize, BooleanSupplier stop, BatchOps deviceOps,
                                   InferenceHooks hooks) {
        ensureCapacity(Math.min(batchSize, data.rows()));
        roomForRowWeights(data);
        batches.reset(); // a batch prefetched for a training step is not kept across an inference pass
        backend.upload(new int[] {0, 0}, 0, evalCounters.all());
        boolean record = recordEvaluation && !numerics.on() && data.rows() / batchSize >= 3;
        RecordedSteps recordings = new RecordedSteps(backend);
        int done = 0;
        try {
            for (int start = 0; start < data.rows() && !(start > 0 && stop.getAsBoolean()); start += batchSize) {
                int rows = Math.min(batchSize, data.rows() - start);
                int index = start / batchSize;
                hooks.before(index);
                Runnable batch = () -> {
                    if (!deviceOps.issue(rows)) {
                        backend.advanceCounters(evalCounters.all());
                    }
                };
                if (record) {
                    recordings.run(data, null, batchSize, rows, 1, 0L, 0, batch);
                } else {
                    batch.run();
                }
                done = start + rows;
                hooks.after(index, start, rows);
            }
        } catch (RuntimeException | Error e) {
            try {
                recordings.release(); // after a device fault this fails too: the first failure is the one to see
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        recordings.release();
        return done;
    }

    /**
     * Turns {@link FitOptions#mixup} on for the training steps that follow ({@code alpha > 0}) or off
     * ({@code alpha == 0}); the recorded steps are dropped either way.
     */
    void mixup(double alpha) {
        releaseRecordedSteps();
        mixup = MixupStep.replace(mixup, backend, alpha, inputSize, outputSize, capacity);
    }

    /**
     * Room for a batch's sample weights where {@code data} has them, made before a step is recorded (its gather writes
     * there); a new buffer drops the recorded steps, which froze the old one.
     */
    private void roomForRowWeights(DeviceData data) {
        if (data.w() == null || rowWeights != null && rowWeights.all().length() >= capacity) {
            return;
        }
        releaseRecordedSteps();
        if (rowWeights != null) {
            rowWeights.close();
            rowWeights = null;
        }
        rowWeights = backend.allocate(DType.F32, Math.max(1, capacity));
    }

    /**
     * Weighs the training steps that follow by {@link FitOptions#classWeight} (a class not in the map weighs 1), or
     * by nothing where the map is empty; the recorded steps are dropped either way.
     *
     * @throws IllegalArgumentException for a loss that takes no class weights, or a class outside the model's
     */
    void classWeights(Map<Integer, Double> weights) {
        float[] table = null;
        if (!weights.isEmpty()) {
            int classes = loss.classWeightClasses(outputSize);
            table = new float[classes];
            Arrays.fill(table, 1f);
            for (Map.Entry<Integer, Double> e : weights.entrySet()) {
                if (e.getKey() >= classes) {
                    throw new IllegalArgumentException("classWeight names class " + e.getKey() + ", but the model "
                            + "has classes 0 to " + (classes - 1) + " (" + loss.name() + ", " + outputSize
                            + " output" + (outputSize == 1 ? "" : "s") + ")");
                }
                table[e.getKey()] = e.getValue().floatValue();
            }
        }
        releaseRecordedSteps();
        if (classWeights != null) {
            classWeights.close();
            classWeights = null;
        }
        if (table != null) {
            classWeights = backend.allocate(DType.F32, table.length);
            backend.upload(table, 0, classWeights.all());
        }
    }

    @Override
    public void close() {
        try {
            releaseRecordedSteps();
            mixup(0);
            classWeights(Map.of());
            if (rowWeights != null) {
                rowWeights.close();
                rowWeights = null;
            }
        } finally {
            workspace.forEach(Buffer::close);
            workspace.clear();
            for (Buffer b : slots) {
                b.close();
            }
            if (updatePlan != null) {
                updatePlan.close();
            }
            if (frozenCopies != null) {
                frozenCopies.close();
                frozenCopies = null;
            }
            for (Buffer b : new Buffer[] {params, grads, state, hyper, counters, evalCounters, trainStats, evalStats}) {
                b.close();
            }
            capacity = 0;
        }
    }

    /** The slices one layer works on. */
    private final class Ctx implements LayerContext {
        final int index;
        final Slice[] weights;
        final Slice[] gradients;
        Slice[] scratch = new Slice[0];
        int rows;
        /** This step's hand-off of the input gradient (LayerContext#handsOffInputGradient), set by the engine. */
        boolean handsOff;
        /** Whether the weight gradient goes with it (LayerContext#handsOffWeightGradient), set by the engine. */
        boolean handsOffWeights;
        InputGradient handedOff;
        InputGradient fromAbove;
        /** The layers above whose update waits until this layer has read their weights (#inputGradientTaken). */
        Updates updateAbove;
        /** This step's batch-norm-over-activation fusion (LayerContext#activationBelow), set by the engine. */
        ActivationBelow activationBelow;
        boolean activationDone;
        /** This step's dense-and-batch-norm forward pass (LayerContext#handsOffForward), set by the engine. */
        boolean handsOffForward;
        DenseBefore handedForward;
        DenseBefore denseBefore;
        /** Whether this step's forward pass with the loss wrote the bias gradient (#biasGradientWrittenByLoss). */
        boolean biasFromLoss;

        Ctx(int index, Slice[] weights, Slice[] gradients) {
            this.index = index;
            this.weights = weights;
            this.gradients = gradients;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public void biasGradientWrittenByLoss(boolean written) {
            biasFromLoss = written;
        }

        @Override
        public boolean biasGradientWrittenByLoss() {
            return biasFromLoss;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public Slice weight(int i) {
            return weights[i];
        }

        @Override
        public Slice grad(int i) {
            return gradients[i];
        }

        @Override
        public Slice scratch(int i) {
            return scratch[i];
        }

        @Override
        public Slice lossStats() {
            return lossStats;
        }

        @Override
        public Slice counters() {
            return drawCounters.all();
        }

        @Override
        public long seed() {
            return seed;
        }

        @Override
        public int layerIndex() {
            return index;
        }

        @Override
        public boolean trainable() {
            return !frozen[index];
        }

        @Override
        public boolean handsOffInputGradient() {
            return handsOff;
        }

        @Override
        public boolean handsOffWeightGradient() {
            return handsOffWeights;
        }

        @Override
        public void handOff(InputGradient g) {
            if (!handsOff) {
                throw new IllegalStateException("layer " + index + " handed off its input gradient unasked");
            }
            if (g.dw() != null && !handsOffWeights) {
                throw new IllegalStateException("layer " + index + " handed off its weight gradient unasked");
            }
            handedOff = g;
        }

        @Override
        public InputGradient inputGradientFromAbove() {
            return fromAbove;
        }

        @Override
        public void inputGradientTaken() {
            Updates u = takeUpdateAbove();
            if (u != null) {
                Slice rate = stepRate;
                backend.branch(() -> updateLayers(u.lo(), u.hi(), rate));
            }
        }

        /** The update waiting for this layer to read its weights, now no longer waiting; null for none. */
        Updates takeUpdateAbove() {
            Updates u = updateAbove;
            updateAbove = null;
            return u;
        }

        @Override
        public ActivationBelow activationBelow() {
            return activationBelow;
        }

        @Override
        public boolean activationBackwardDoneAbove() {
            return activationDone;
        }

        @Override
        public boolean handsOffForward() {
            return handsOffForward;
        }

        @Override
        public void handOffForward(DenseBefore d) {
            if (!handsOffForward) {
                throw new IllegalStateException("layer " + index + " handed off its forward pass unasked");
            }
            handedForward = d;
        }

        @Override
        public DenseBefore denseBefore() {
            return denseBefore;
        }
    }
}
