package dev.dendrite.losses;

import java.util.Locale;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * A training objective: the mean over the batch of a per-sample loss. A loss maps onto the backend's loss ops;
 * where the model's output activation allows it (softmax before cross-entropy, sigmoid before binary
 * cross-entropy) the activation and the loss run as one fused, numerically stable op whose gradient is taken
 * with respect to the pre-activation, which is both faster and more accurate than differentiating through
 * the probabilities.
 */
public abstract class Loss {

    /** Keras's name, e.g. {@code "sparse_categorical_crossentropy"}. */
    public abstract String name();

    /** True if targets are class indices ({@code int[]}) rather than dense rows. */
    public boolean sparseLabels() {
        return false;
    }

    /** True if the model's output is logits (no softmax/sigmoid applied by the model). */
    public boolean fromLogits() {
        return false;
    }

    /**
     * Checks that this loss can follow a model whose last layer applies {@code outputActivation} and has
     * {@code outputWidth} units, and says whether the two are fused.
     *
     * @return true if {@link #compute} will write the gradient with respect to the pre-activation
     * @throws IllegalArgumentException when the combination makes no sense, saying what to change
     */
    public abstract boolean fusesWith(ActivationFunction outputActivation, int outputWidth);

    /**
     * True when {@link #compute} with {@code fused} is {@code Backend.softmaxCrossEntropy} of the pre-activation with
     * these targets ({@link #sparseLabels}), so that a model may run the output layer's softmax and this loss as one
     * op. False by default.
     */
    public boolean fusedIsSoftmaxCrossEntropy() {
        return false;
    }

    /**
     * Issues the ops that add this batch's summed loss and accuracy to {@code stats} and, when
     * {@code grad} is non-null, write the gradient of the batch mean ({@code gradScale = 1 / rows}).
     *
     * @param output       the model's output {@code y} ({@code rows x cols})
     * @param preActivation the last layer's pre-activation {@code z}, used when fused (may be null otherwise)
     * @param targets      I32 class indices (sparse) or F32 rows
     * @param scratch      an F32 {@code rows x cols} workspace
     * @param grad         gradient output: w.r.t. {@code z} when fused, else w.r.t. {@code y}; null to skip
     */
    public abstract void compute(Backend backend, boolean fused, Slice output, Slice preActivation,
                                 Slice targets, int rows, int cols, Slice scratch, Slice grad,
                                 float gradScale, Slice stats);

    /**
     * {@link #compute} with Keras's {@code class_weight} and {@code sample_weight}: a row's loss and gradient times
     * the weight of its class ({@code classWeights}, F32, {@link #classWeightClasses} long) and its own weight
     * ({@code rowWeights}, F32, one per row); null for none. The built-in losses take both (the regression losses no
     * class weights); a loss that overrides only {@link #compute} refuses them.
     */
    public void compute(Backend backend, boolean fused, Slice output, Slice preActivation, Slice targets, int rows,
                        int cols, Slice classWeights, Slice rowWeights, Slice scratch, Slice grad, float gradScale,
                        Slice stats) {
        if (classWeights != null) {
            throw new IllegalArgumentException(classWeightClassesRefusal());
        }
        if (rowWeights != null) {
            throw new IllegalArgumentException("sample weights: the loss " + name() + " does not take them");
        }
        compute(backend, fused, output, preActivation, targets, rows, cols, scratch, grad, gradScale, stats);
    }

    /**
     * The number of classes that Keras's {@code class_weight} weighs for a model of {@code outputWidth} outputs with
     * this loss: the outputs for a softmax cross-entropy, 2 for a binary classifier.
     *
     * @throws IllegalArgumentException for a loss that is not a classification loss, saying which ones are
     */
    public int classWeightClasses(int outputWidth) {
        throw new IllegalArgumentException(classWeightClassesRefusal());
    }

    /** Why this loss takes no class weights (the classification losses override {@link #classWeightClasses}). */
    final String classWeightClassesRefusal() {
        return "class weights weigh the samples of a classifier: the loss must be sparse_categorical_crossentropy, "
                + "categorical_crossentropy or binary_crossentropy with one output, not " + name();
    }

    /**
     * Keras's {@code label_smoothing} (0 by default: none): the loss and its gradient take each target as
     * {@code t (1 - s) + s / k}, {@code k} being {@link #labelSmoothingClasses}, in training and in evaluation alike,
     * as Keras's loss does; the accuracy and the other metrics see the targets as given.
     */
    public double labelSmoothing() {
        return 0;
    }

    /** The {@code k} of {@link #labelSmoothing}: the classes for a softmax output, 2 for a sigmoid one. */
    public int labelSmoothingClasses(int outputWidth) {
        return outputWidth;
    }

    /**
     * Checks Keras's {@code label_smoothing} argument.
     *
     * @throws IllegalArgumentException for a value outside [0, 1] or NaN
     */
    static double checkLabelSmoothing(String loss, double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException(loss + " label_smoothing " + labelSmoothing
                    + "; expected a value in [0, 1] (0: none; 0.1 is common)");
        }
        return labelSmoothing;
    }

    /** {@code {"label_smoothing": s}} for a smoothing loss's {@link #config()}; empty for none, as files were. */
    static Map<String, Object> labelSmoothingConfig(double labelSmoothing) {
        return labelSmoothing == 0 ? Map.of() : Map.of("label_smoothing", labelSmoothing);
    }

    /** The loss's arguments besides {@code from_logits}, Keras's names (Huber's {@code delta}); none by default. */
    public Map<String, Object> config() {
        return Map.of();
    }

    /**
     * Parses Keras's loss strings: {@code sparse_categorical_crossentropy, categorical_crossentropy,
     * binary_crossentropy, mean_squared_error} (also {@code mse}), {@code mean_absolute_error} ({@code mae}),
     * {@code huber} (delta 1.0) and {@code log_cosh} (also Keras 2's {@code logcosh}).
     *
     * @throws IllegalArgumentException naming the unknown value and the accepted ones
     */
    public static Loss fromName(String name) {
        switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "sparse_categorical_crossentropy":
                return new SparseCategoricalCrossentropy();
            case "categorical_crossentropy":
                return new CategoricalCrossentropy();
            case "binary_crossentropy":
                return new BinaryCrossentropy();
            case "mean_squared_error":
            case "mse":
                return new MeanSquaredError();
            case "mean_absolute_error":
            case "mae":
                return new MeanAbsoluteError();
            case "huber":
                return new Huber();
            case "log_cosh":
            case "logcosh":
                return new LogCosh();
            default:
                throw new IllegalArgumentException("unknown loss '" + name + "'; expected one of: "
                        + "sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, "
                        + "mean_squared_error (mse), mean_absolute_error (mae), huber, log_cosh");
        }
    }

    /** Rebuilds a loss from its name and from-logits flag (the model file). */
    public static Loss fromConfig(String name, boolean fromLogits) {
        return fromConfig(name, fromLogits, Map.of());
    }

    /** Rebuilds a loss from its name, from-logits flag and {@link #config()} (the model file). */
    public static Loss fromConfig(String name, boolean fromLogits, Map<String, Object> config) {
        switch (name) {
            case "huber":
                return new Huber(config.get("delta") instanceof Number d ? d.doubleValue() : Huber.DEFAULT_DELTA);
            case "sparse_categorical_crossentropy":
                return new SparseCategoricalCrossentropy(fromLogits);
            case "categorical_crossentropy":
                return new CategoricalCrossentropy(fromLogits, smoothing(config));
            case "binary_crossentropy":
                return new BinaryCrossentropy(fromLogits, smoothing(config));
            default:
                return fromName(name);
        }
    }

    private static double smoothing(Map<String, Object> config) {
        return config.get("label_smoothing") instanceof Number n ? n.doubleValue() : 0;
    }

    /** Shared check of the cross-entropies: a probability output, or logits with fromLogits. */
    static boolean requireActivation(String loss, boolean fromLogits, ActivationFunction expected,
                                     ActivationFunction actual) {
        if (fromLogits) {
            if (actual == expected) {
                throw new IllegalArgumentException(loss + " with fromLogits=true expects raw logits, but the "
                        + "last layer applies '" + actual.kerasName() + "'; use a linear last layer or "
                        + "fromLogits=false");
            }
            return false;
        }
        if (actual != expected) {
            throw new IllegalArgumentException(loss + " expects the last layer to apply '"
                    + expected.kerasName() + "' but it applies '" + (actual == null ? "none" : actual.kerasName())
                    + "'; change the output activation to '" + expected.kerasName()
                    + "', or use a linear output with fromLogits=true");
        }
        return true;
    }

    @Override
    public String toString() {
        return name() + (fromLogits() ? "(from_logits)" : "");
    }
}
