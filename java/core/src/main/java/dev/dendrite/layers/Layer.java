package dev.dendrite.layers;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * A layer of a {@link dev.dendrite.model.Sequential} model. A layer knows its shapes, its weights and which
 * backend ops compute its forward and backward passes; it never touches memory itself. The model's engine
 * owns every buffer and hands each layer slices of them through a {@link LayerContext}.
 *
 * <p>Samples are flat rows: a layer with output shape {@code [28, 28]} produces 784 values per sample.
 */
public abstract class Layer {
    private String name;
    private int[] inputShape;
    private int[] outputShape;
    private boolean trainable = true;

    protected Layer() {
    }

    /**
     * Keras's {@code layer.trainable = False}: freezes the layer's weights, which the optimizer then leaves alone
     * (no update, penalty or constraint; gradients still flow through the layer to those below), and runs a
     * {@link BatchNormalization} in inference mode (its moving statistics, not updated) while training, as Keras 3
     * does. As in Keras, a change takes effect when the model is compiled: {@code fit} refuses a model whose layers
     * changed since. Saved in the model file; counted as non-trainable by {@code summary()}.
     */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
    }

    /** Whether the optimizer trains this layer's weights ({@link #setTrainable}). */
    public boolean isTrainable() {
        return trainable;
    }

    /** Keras's class name, e.g. {@code "Dense"}; also the prefix of automatic names ({@code dense_1}). */
    public abstract String className();

    /** The layer's name, unique within its model ({@code dense}, {@code dense_1} ...) once it is added. */
    public String name() {
        return name;
    }

    /**
     * Names the layer (before it is added to a model). Names appear in the summary and in the model file.
     *
     * @throws IllegalArgumentException if the name is empty or holds a '/'
     */
    public Layer named(String name) {
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new IllegalArgumentException("layer name '" + name + "'; expected a non-empty name without '/'");
        }
        this.name = name;
        return this;
    }

    /** Called by the model to give an unnamed layer its automatic name. */
    public void assignNameIfAbsent(String name) {
        if (this.name == null) {
            this.name = name;
        }
    }

    /**
     * Fixes the layer's input shape and returns its output shape; called once when the model is built.
     *
     * @throws IllegalArgumentException if the layer cannot take this input
     */
    public final int[] build(int[] inputShape) {
        if (this.inputShape != null && !Arrays.equals(this.inputShape, inputShape)) {
            throw new IllegalStateException("layer '" + name + "' was built for input " + Arrays.toString(this.inputShape)
                    + " and cannot be reused for " + Arrays.toString(inputShape));
        }
        int[] out = computeOutputShape(inputShape.clone());
        this.inputShape = inputShape.clone();
        this.outputShape = out.clone();
        return out;
    }

    /** The output shape for a given input shape; validates the input. */
    protected abstract int[] computeOutputShape(int[] inputShape);

    public boolean isBuilt() {
        return inputShape != null;
    }

    /** Shape of one input sample; null before {@link #build}. */
    public int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    /** Shape of one output sample; null before {@link #build}. */
    public int[] outputShape() {
        return outputShape == null ? null : outputShape.clone();
    }

    /** Values per input sample. */
    public int inputSize() {
        return product(inputShape);
    }

    /** Values per output sample. */
    public int outputSize() {
        return product(outputShape);
    }

    /** The layer's weights in Keras's order (e.g. kernel, bias); valid after {@link #build}. */
    public List<WeightSpec> weights() {
        return List.of();
    }

    /**
     * Sizes of the scratch buffers this layer needs for batches of up to {@code maxRows} rows (for example
     * the pre-activation of a Dense layer, the batch statistics of batch normalisation).
     */
    public int[] scratchSizes(int maxRows) {
        return new int[0];
    }

    /**
     * True if the output is the input itself (e.g. {@link Flatten}): the engine then aliases the two and
     * calls neither pass.
     */
    public boolean isPassThrough() {
        return false;
    }

    /** Issues the ops that compute {@code y} ({@code rows x outputSize}) from {@code x}. */
    public abstract void forward(LayerContext ctx, Slice x, Slice y, boolean training);

    /**
     * Issues the ops of the backward pass: overwrites the gradients of the trainable weights
     * ({@code ctx.grad(i)}) and, when {@code dx} is non-null, the gradient with respect to the input. May
     * overwrite {@code dy}.
     */
    public abstract void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx);

    /** The constructor arguments, Keras-style ({@code units}, {@code activation} ...), for the model file. */
    public abstract Map<String, Object> config();

    static int product(int[] shape) {
        if (shape == null) {
            throw new IllegalStateException("layer is not built yet");
        }
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Keras's shape notation: {@code (None, 512)}. */
    public static String formatShape(int[] shape) {
        if (shape == null) {
            return "?";
        }
        StringBuilder sb = new StringBuilder("(None");
        for (int d : shape) {
            sb.append(", ").append(d);
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return className() + "(" + (name == null ? "" : name) + ")";
    }
}
