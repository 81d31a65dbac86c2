package dev.dendrite.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Tensor;

/**
 * The arguments of {@link Sequential#fit}, with Keras's defaults: batch size 32, 1 epoch, verbose 1, shuffle
 * on, no validation. Setters return {@code this}:
 * <pre>{@code
 * new FitOptions().batchSize(128).epochs(10).validationData(xVal, yVal).callbacks(new EarlyStopping())
 * }</pre>
 */
public final class FitOptions {
    private int batchSize = 32;
    private int epochs = 1;
    private int initialEpoch = 0;
    private int verbose = 1;
    private boolean shuffle = true;
    private Long seed;
    private double validationSplit = 0;
    private Inputs validationX;
    private int[] validationLabels;
    private Tensor validationTargets;
    private float[] validationSampleWeight;
    private final List<Callback> callbacks = new ArrayList<>();
    private boolean terminateOnNaN = true;
    private boolean checkNumerics = false;
    private int stepsPerEpoch = -1;
    private int validationSteps = -1;
    private DataSource validationSource;
    private int prefetch = DEFAULT_PREFETCH;
    private double mixupAlpha = 0;
    private Map<Integer, Double> classWeight = Map.of();
    private float[] sampleWeight;
    private int validationFreq = 1;
    private int validationBatchSize;
    private boolean finalizeAtEnd = true;
    private Set<Integer> validationEpochs;
    private int stepsPerExecution = 1;

    /** Batches a data source is read ahead by default (Keras's {@code max_queue_size}). */
    public static final int DEFAULT_PREFETCH = 10;

    /** Samples per gradient step (Keras default 32). */
    public FitOptions batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize + "; expected >= 1");
        }
        this.batchSize = batchSize;
        return this;
    }

    /** Number of passes over the training data. */
    public FitOptions epochs(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs " + epochs + "; expected >= 0");
        }
        this.epochs = epochs;
        return this;
    }

    /**
     * The epoch to start counting from, as in Keras: {@code fit} runs epochs {@code initialEpoch .. epochs-1}.
     */
    public FitOptions initialEpoch(int initialEpoch) {
        if (initialEpoch < 0) {
            throw new IllegalArgumentException("initialEpoch " + initialEpoch + "; expected >= 0");
        }
        this.initialEpoch = initialEpoch;
        return this;
    }

    /** 0 = silent, 1 = progress bar (plain per-epoch lines when output is not a terminal), 2 = one line per epoch. */
    public FitOptions verbose(int verbose) {
        if (verbose < 0 || verbose > 2) {
            throw new IllegalArgumentException("verbose " + verbose + "; expected 0, 1 or 2");
        }
        this.verbose = verbose;
        return this;
    }

    /** Shuffle the training samples before every epoch (default true). */
    public FitOptions shuffle(boolean shuffle) {
        this.shuffle = shuffle;
        return this;
    }

    /**
     * Seed for shuffling and dropout; without one, a fixed default is used so that runs are repeatable.
     */
    public FitOptions seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Holds out the last {@code fraction} of the samples (taken before any shuffling, as Keras does) for
     * validation.
     */
    public FitOptions validationSplit(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validationSplit " + fraction + "; expected a fraction in [0, 1)");
        }
        this.validationSplit = fraction;
        return this;
    }

    /** Validation samples with sparse (class index) labels; overrides {@link #validationSplit}. */
    public FitOptions validationData(Inputs x, int[] labels) {
        this.validationX = x;
        this.validationLabels = labels;
        this.validationTargets = null;
        this.validationSource = null;
        this.validationSampleWeight = null;
        return this;
    }

    /** Validation samples with dense (e.g. one-hot) targets; overrides {@link #validationSplit}. */
    public FitOptions validationData(Inputs x, Tensor targets) {
        this.validationX = x;
        this.validationTargets = targets;
        this.validationLabels = null;
        this.validationSource = null;
        this.validationSampleWeight = null;
        return this;
    }

    /**
     * Samples per batch of the validation pass over arrays, Keras's {@code validation_batch_size}. Not given, the
     * larger of {@link #batchSize} and 256: a batch's size changes no value in inference mode (beyond the order of a
     * float sum), and larger batches run faster, where Keras takes the training batch size; give it to have
     * {@code onTestBatch...} hooks see Keras's batches. A validation data source gives its own batches.
     *
     * @throws IllegalArgumentException unless {@code batchSize >= 1}
     */
    public FitOptions validationBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("validationBatchSize " + batchSize + "; expected >= 1");
        }
        this.validationBatchSize = batchSize;
        return this;
    }

    /**
     * Leaves the optimizer's variables as they are when the fit ends: {@code trainOnBatch}'s fits, since Keras's
     * {@code train_on_batch} does not finalize them (with {@code use_ema}, the average is not written over the
     * weights).
     */
    FitOptions withoutFinalizing() {
        this.finalizeAtEnd = false;
        return this;
    }

    /** Whether the fit ends by finalizing the optimizer's variables (Keras's {@code finalize_variable_values}). */
    boolean finalizesAtEnd() {
        return finalizeAtEnd;
    }

    /** The validation batch size given, or 0 when not given. */
    public int validationBatchSize() {
        return validationBatchSize;
    }

    /** The validation batch size over arrays for a training batch of {@code trainBatch}: as given, else the default. */
    int validationBatchFor(int trainBatch) {
        return validationBatchSize > 0 ? validationBatchSize : Math.max(trainBatch, Sequential.DEFAULT_INFERENCE_BATCH);
    }

    /**
     * Keras's {@code validation_freq} as a number: validates after every {@code every}-th epoch (epochs counted from
     * 1, so 2 validates after the 2nd, 4th, ...). The other epochs' logs, and so the history, lack the {@code val_}
     * keys; a callback that monitors one of them waits for the next epoch that has it (EarlyStopping and
     * ReduceLROnPlateau say so once). Default 1: every epoch.
     *
     * @throws IllegalArgumentException unless {@code every >= 1}
     */
    public FitOptions validationFreq(int every) {
        if (every < 1) {
            throw new IllegalArgumentException("validationFreq " + every + "; expected >= 1 (validate every n-th "
                    + "epoch)");
        }
        this.validationFreq = every;
        this.validationEpochs = null;
        return this;
    }

    /**
     * Keras's {@code validation_freq} as a list: validates after the epochs named, counted from 1 ({@code
     * List.of(1, 5, 10)}).
     *
     * @throws IllegalArgumentException for an empty list, or an epoch below 1 (naming it)
     */
    public FitOptions validationFreq(Collection<Integer> epochs) {
        Objects.requireNonNull(epochs, "validationFreq epochs is null");
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("validationFreq: no epochs; expected the epochs (from 1) to validate "
                    + "after");
        }
        Set<Integer> copy = new TreeSet<>();
        for (Integer e : epochs) {
            if (e == null || e < 1) {
                throw new IllegalArgumentException("validationFreq epoch " + e + "; expected epochs counted from 1");
            }
            copy.add(e);
        }
        this.validationEpochs = Collections.unmodifiableSet(copy);
        this.validationFreq = 1;
        return this;
    }

    /** Whether a fit with validation data validates after epoch {@code epoch} (0-based), by {@code validationFreq}. */
    public boolean validatesAfterEpoch(int epoch) {
        return validationEpochs != null ? validationEpochs.contains(epoch + 1) : (epoch + 1) % validationFreq == 0;
    }

    /**
     * Validation samples with sparse labels and a weight each, Keras's {@code validation_data=(x, y, sample_weight)}:
     * {@code val_loss} is the weighted one (the weighted sum over the samples divided by their number).
     *
     * @throws IllegalArgumentException naming the first weight that is negative, NaN or infinite, and its index
     */
    public FitOptions validationData(Inputs x, int[] labels, float[] sampleWeight) {
        validationData(x, labels);
        this.validationSampleWeight = checkedWeights("validation sampleWeight", sampleWeight);
        return this;
    }

    /** {@link #validationData(Inputs, int[], float[])} with dense targets. */
    public FitOptions validationData(Inputs x, Tensor targets, float[] sampleWeight) {
        validationData(x, targets);
        this.validationSampleWeight = checkedWeights("validation sampleWeight", sampleWeight);
        return this;
    }

    /** The validation samples' weights ({@link #validationData(Inputs, int[], float[])}, a copy), or null. */
    public float[] validationSampleWeight() {
        return validationSampleWeight == null ? null : validationSampleWeight.clone();
    }

    /**
     * Checks one weight per sample where there are weights (null passes).
     *
     * @throws IllegalArgumentException "{@code what} has n weights; expected one per {@code sample}, {@code samples}"
     */
    static void checkWeightCount(String what, float[] weights, int samples, String sample) {
        if (weights != null && weights.length != samples) {
            throw new IllegalArgumentException(what + " has " + weights.length + " weights; expected one per " + sample
                    + ", " + samples);
        }
    }

    /** Refuses class weights beside sample weights ({@code sampleWeighted}: the training data carries weights). */
    void checkOneKindOfWeight(boolean sampleWeighted) {
        if (sampleWeighted && !classWeight.isEmpty()) {
            throw new IllegalArgumentException("sampleWeight and classWeight cannot be used together (Keras refuses "
                    + "them too); multiply each sample's weight by its class's and give sampleWeight alone");
        }
    }

    /** A copy of {@code weights} (null passes), each checked finite and >= 0. */
    static float[] checkedWeights(String what, float[] weights) {
        if (weights == null) {
            return null;
        }
        Labels.requireSampleWeights(weights, what);
        return weights.clone();
    }

    /** Adds callbacks, called in the order given. */
    public FitOptions callbacks(Callback... callbacks) {
        this.callbacks.addAll(Arrays.asList(callbacks));
        return this;
    }

    /**
     * What to do when the training loss becomes NaN or infinite. True (the default) stops {@code fit} with a
     * {@link NumericalFaultException} naming the epoch and batch, as Keras's {@code TerminateOnNaN} callback
     * would stop it; false prints one warning and trains on (Keras's default without that callback).
     */
    public FitOptions terminateOnNaN(boolean terminateOnNaN) {
        this.terminateOnNaN = terminateOnNaN;
        return this;
    }

    /**
     * A debugging mode (after TensorFlow's {@code enable_check_numerics}): every training step runs op by op,
     * never recorded, and each output (layer outputs, the loss, every gradient, the optimizer's update of every
     * weight) is read back and checked, so that the first NaN or infinity stops {@code fit} with a
     * {@link NumericalFaultException} naming that op, the epoch and the batch. Much slower; off by default.
     */
    public FitOptions checkNumerics(boolean checkNumerics) {
        this.checkNumerics = checkNumerics;
        return this;
    }

    public boolean terminateOnNaN() {
        return terminateOnNaN;
    }

    public boolean checkNumerics() {
        return checkNumerics;
    }

    public int batchSize() {
        return batchSize;
    }

    public int epochs() {
        return epochs;
    }

    public int initialEpoch() {
        return initialEpoch;
    }

    public int verbose() {
        return verbose;
    }

    public boolean shuffle() {
        return shuffle;
    }

    /** The seed, or null when none was set. */
    public Long seed() {
        return seed;
    }

    public double validationSplit() {
        return validationSplit;
    }

    public Inputs validationX() {
        return validationX;
    }

    public int[] validationLabels() {
        return validationLabels;
    }

    public Tensor validationTargets() {
        return validationTargets;
    }

    public List<Callback> callbacks() {
        return Collections.unmodifiableList(callbacks);
    }

    /**
     * Training batches per epoch when fitting on a {@link DataSource} (Keras's {@code steps_per_epoch}); required
     * for an endless source, at most {@code batchesPerEpoch()} of a finite one. A finite source read in shorter
     * epochs carries on where the last epoch stopped, wrapping to its first batch at its end, as Keras does.
     */
    public FitOptions stepsPerEpoch(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("stepsPerEpoch " + steps + "; expected >= 1");
        }
        this.stepsPerEpoch = steps;
        return this;
    }

    /** Validation batches read from a validation {@link DataSource} per epoch (Keras's {@code validation_steps}). */
    public FitOptions validationSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("validationSteps " + steps + "; expected >= 1");
        }
        this.validationSteps = steps;
        return this;
    }

    /**
     * Validation batches from a source, evaluated after every epoch; overrides the other validation settings.
     * {@code fit} closes it when it ends.
     */
    public FitOptions validationData(DataSource source) {
        if (source == null) {
            throw new IllegalArgumentException("the validation source is null");
        }
        this.validationSource = source;
        this.validationX = null;
        this.validationLabels = null;
        this.validationTargets = null;
        this.validationSampleWeight = null;
        return this;
    }

    /**
     * Batches of a {@link DataSource} read ahead on a background thread into a queue of this size while the model
     * trains (Keras's {@code max_queue_size}, default {@value #DEFAULT_PREFETCH}); 0 reads each batch on the
     * calling thread when it is needed.
     */
    public FitOptions prefetch(int batches) {
        if (batches < 0) {
            throw new IllegalArgumentException("prefetch " + batches + "; expected >= 0");
        }
        this.prefetch = batches;
        return this;
    }

    /**
     * Training steps issued as one execution (Keras's {@code steps_per_execution}, which Keras sets in
     * {@code compile}; here it only changes how {@code fit} issues its steps, so it is a fit option). Default 1.
     * On a GPU that records its steps (CUDA graphs) the steps of an execution are one recording replayed with one
     * launch, so the device no longer waits between steps for the host; the weights come out the same, bit for
     * bit. As in Keras, callbacks see one {@code onTrainBatchBegin} (the execution's first batch) and one
     * {@code onTrainBatchEnd} (its last) per execution, and a stop asked for inside one takes effect at its end.
     * An epoch's last batch, when shorter than the others, runs on its own. Applies to arrays on the device;
     * batches read from a {@link DataSource}, and training with metrics computed on the host (which read every
     * batch's outputs) or with {@link #checkNumerics}, run one step per execution.
     */
    public FitOptions stepsPerExecution(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("stepsPerExecution " + steps + "; expected >= 1");
        }
        this.stepsPerExecution = steps;
        return this;
    }

    public int stepsPerExecution() {
        return stepsPerExecution;
    }

    /** Steps per epoch, or -1 when not set (a finite source's length is used). */
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Validation steps, or -1 when not set (the validation source's length is used). */
    public int validationSteps() {
        return validationSteps;
    }

    /** The validation source, or null. */
    public DataSource validationSource() {
        return validationSource;
    }

    public int prefetch() {
        return prefetch;
    }

    /**
     * Mixup (Zhang et al. 2018; the Keras example "MixUp augmentation for image classification"): every training
     * batch is mixed with a permutation of itself on the device, {@code x' = lam x + (1 - lam) x[perm]} and
     * {@code y' = lam y + (1 - lam) y[perm]}, with one {@code lam ~ Beta(alpha, alpha)} per sample, drawn from the
     * fit's seed and the step counter (a recorded step mixes anew every step; a seed repeats exactly). Class-index
     * labels become mixed one-hot targets, so sparse categorical cross-entropy is computed as the dense one, and the
     * training accuracy counts the arg-max of the mixed targets, as Keras reports it. Validation and evaluate see
     * clean data; metrics computed on the host (other than loss and accuracy) compare the outputs on mixed inputs
     * with the clean labels. Typical alpha: 0.1 to 0.4; 0 (the default) turns mixup off.
     *
     * @throws IllegalArgumentException unless alpha is 0 or finite and at least 1e-6
     */
    public FitOptions mixup(double alpha) {
        if (alpha != 0) {
            dev.dendrite.backend.OpChecks.checkMixupAlpha("FitOptions.mixup", alpha);
        }
        this.mixupAlpha = alpha;
        return this;
    }

    /** Mixup's alpha, or 0 when mixup is off. */
    public double mixup() {
        return mixupAlpha;
    }

    /**
     * Keras's {@code class_weight}: while training, each sample's loss (and so its gradient) is multiplied by the
     * weight of its class, so that rare classes count more in an imbalanced data set; a class not in the map weighs
     * 1. The class is the label (sparse categorical cross-entropy), the arg-max of the one-hot target (categorical;
     * with mixup, of the mixed target), or the rounded target of a binary classifier's one output (binary
     * cross-entropy, classes 0 and 1). As in Keras 3, the reported {@code loss} is the weighted one (the weighted sum
     * over the samples, divided by their number), while the accuracy and the other metrics, and the validation loss,
     * are not weighted. A common choice is {@code n / (classes * count[k])} ("balanced" in scikit-learn).
     * An empty map (the default) weights nothing.
     *
     * @throws IllegalArgumentException naming a class below 0, or a weight that is negative, NaN or infinite; a class
     *                                  outside the model's classes, or a loss that is not a classification loss, is
     *                                  reported by fit
     */
    public FitOptions classWeight(Map<Integer, ? extends Number> classWeight) {
        Objects.requireNonNull(classWeight, "classWeight is null; pass an empty map for no class weights");
        Map<Integer, Double> copy = new TreeMap<>();
        for (Map.Entry<Integer, ? extends Number> e : classWeight.entrySet()) {
            Integer k = Objects.requireNonNull(e.getKey(), "classWeight has a null class");
            if (k < 0) {
                throw new IllegalArgumentException("classWeight class " + k + "; expected a class index >= 0");
            }
            double w = Objects.requireNonNull(e.getValue(), "classWeight of class " + k + " is null").doubleValue();
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("classWeight of class " + k + " is " + w
                        + "; expected a finite weight >= 0");
            }
            copy.put(k, w);
        }
        this.classWeight = Collections.unmodifiableMap(copy);
        return this;
    }

    /**
     * The weights scikit-learn's {@code compute_class_weight("balanced", ...)} gives, the usual companion of Keras's
     * {@code class_weight}: {@code n / (k * count[c])} for each class c present among the {@code n} labels, k the
     * number of classes present, so that every class weighs as much in total. For {@link #classWeight(Map)}.
     *
     * @throws IllegalArgumentException for no labels, or a label below 0 (naming it and its index)
     */
    public static Map<Integer, Double> balancedClassWeight(int[] labels) {
        if (labels == null || labels.length == 0) {
            throw new IllegalArgumentException("balancedClassWeight: no labels; expected at least one class index");
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("balancedClassWeight: label " + labels[i] + " at index " + i
                        + "; expected a class index >= 0");
            }
            counts.merge(labels[i], 1, Integer::sum);
        }
        Map<Integer, Double> weights = new TreeMap<>();
        counts.forEach((c, count) -> weights.put(c, (double) labels.length / ((double) counts.size() * count)));
        return Collections.unmodifiableMap(weights);
    }

    /**
     * Keras's {@code sample_weight}: one weight per training sample (the arrays given to fit, in their order), by
     * which that sample's loss and gradient are multiplied while training. As in Keras 3, the logged {@code loss} is
     * the weighted one (the weighted sum over the samples divided by their number), the accuracy and the other
     * metrics are not weighted; with {@link #validationSplit} the held-out samples keep their weights, so
     * {@code val_loss} is weighted too, while validation data given apart is weighted only by its own weights
     * ({@link #validationData(Inputs, int[], float[])}). Any loss takes them. Not with
     * {@link #classWeight} (Keras refuses the two together: fold the class weights into the sample weights), nor
     * with a {@code DataSource}, whose batches carry their own ({@link DataSource.Batch#sampleWeight()}). Null (the
     * default) weights nothing.
     *
     * @throws IllegalArgumentException naming the first weight that is negative, NaN or infinite, and its index; a
     *                                  count other than the samples' is reported by fit
     */
    public FitOptions sampleWeight(float[] sampleWeight) {
        this.sampleWeight = checkedWeights("sampleWeight", sampleWeight);
        return this;
    }

    /** The sample weights ({@link #sampleWeight(float[])}, a copy), or null. */
    public float[] sampleWeight() {
        return sampleWeight == null ? null : sampleWeight.clone();
    }

    /** The class weights ({@link #classWeight(Map)}), sorted by class; empty when none are set. */
    public Map<Integer, Double> classWeight() {
        return classWeight;
    }
}
