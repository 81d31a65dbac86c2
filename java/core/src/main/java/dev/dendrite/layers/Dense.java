package dev.dendrite.layers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.initializers.Constant;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.initializers.VarianceScaling;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.regularizers.Regularizer;

/**
 * A fully connected layer: {@code y = activation(x . kernel + bias)} with the kernel stored
 * {@code [inputs, units]} as in Keras. Defaults as Keras: no activation (linear), {@code glorot_uniform}
 * kernel, zero bias, no regularisation.
 *
 * <pre>{@code
 * new Dense(512, "relu")
 * new Dense(10, "softmax").kernelInitializer("he_normal").kernelRegularizer(Regularizer.l2(1e-4))
 * }</pre>
 */
public final class Dense extends Layer implements OutputActivation {
    private final int units;
    private ActivationFunction activation;
    private float alpha;
    private Initializer kernelInitializer = VarianceScaling.glorotUniform();
    private Initializer biasInitializer = Constant.zeros();
    private Regularizer kernelRegularizer;
    private Regularizer biasRegularizer;
    private Constraint kernelConstraint;
    private Constraint biasConstraint;
    private boolean useBias = true;

    /** A linear layer of {@code units} outputs. */
    public Dense(int units) {
        this(units, ActivationFunction.LINEAR);
    }

    /** A layer with an activation by Keras name ({@code "relu"}, {@code "softmax"} ...). */
    public Dense(int units, String activation) {
        this(units, ActivationFunction.fromName(activation));
    }

    public Dense(int units, ActivationFunction activation) {
        if (units <= 0) {
            throw new IllegalArgumentException("Dense units " + units + "; expected > 0");
        }
        this.units = units;
        this.activation = activation == null ? ActivationFunction.LINEAR : activation;
        this.alpha = this.activation.defaultAlpha();
    }

    /** The activation's parameter: negative slope of leaky_relu (default 0.2), alpha of elu (default 1). */
    public Dense activationAlpha(double alpha) {
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("activation alpha " + alpha + "; expected a finite number");
        }
        this.alpha = (float) alpha;
        return this;
    }

    public Dense kernelInitializer(String name) {
        return kernelInitializer(Initializer.fromName(name));
    }

    public Dense kernelInitializer(Initializer initializer) {
        this.kernelInitializer = requireNonNull(initializer, "kernel initializer");
        return this;
    }

    public Dense biasInitializer(String name) {
        return biasInitializer(Initializer.fromName(name));
    }

    public Dense biasInitializer(Initializer initializer) {
        this.biasInitializer = requireNonNull(initializer, "bias initializer");
        return this;
    }

    /** Penalty on the kernel: {@code Regularizer.l2(0.01)}, or null for none. */
    public Dense kernelRegularizer(Regularizer regularizer) {
        this.kernelRegularizer = regularizer;
        return this;
    }

    /** Penalty on the kernel by Keras name: {@code "l1"}, {@code "l2"}, {@code "l1_l2"} (factor 0.01). */
    public Dense kernelRegularizer(String name) {
        return kernelRegularizer(Regularizer.fromName(name));
    }

    public Dense biasRegularizer(Regularizer regularizer) {
        this.biasRegularizer = regularizer;
        return this;
    }

    /**
     * A constraint applied to the kernel after each update: {@code new MaxNorm(3)} (Keras's
     * {@code kernel_constraint=max_norm(3)}; axis 0 bounds each unit's incoming weights), or null for none.
     *
     * @throws IllegalArgumentException where the constraint's axis does not fit a kernel (at build)
     */
    public Dense kernelConstraint(Constraint constraint) {
        this.kernelConstraint = constraint;
        return this;
    }

    /** A constraint on the kernel by Keras name with Keras's defaults: {@code "max_norm"}, {@code "non_neg"}, ... */
    public Dense kernelConstraint(String name) {
        return kernelConstraint(Constraint.get(name));
    }

    /** A constraint applied to the bias after each update (a norm constraint's axis 0: the whole vector). */
    public Dense biasConstraint(Constraint constraint) {
        this.biasConstraint = constraint;
        return this;
    }

    /** A constraint on the bias by Keras name. */
    public Dense biasConstraint(String name) {
        return biasConstraint(Constraint.get(name));
    }

    /** The kernel's constraint, or null. */
    public Constraint kernelConstraint() {
        return kernelConstraint;
    }

    /** The bias's constraint, or null. */
    public Constraint biasConstraint() {
        return biasConstraint;
    }

    public Dense useBias(boolean useBias) {
        this.useBias = useBias;
        return this;
    }

    public int units() {
        return units;
    }

    @Override
    public ActivationFunction activation() {
        return activation;
    }

    public float activationAlpha() {
        return alpha;
    }

    @Override
    public String className() {
        return "Dense";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        if (inputShape.length != 1) {
            throw new IllegalArgumentException("Dense layer '" + name() + "' expects flat samples but got shape "
                    + formatShape(inputShape) + "; put a Flatten layer before it");
        }
        return new int[] {units};
    }

    @Override
    public List<WeightSpec> weights() {
        List<WeightSpec> w = new ArrayList<>(2);
        w.add(new WeightSpec("kernel", new int[] {inputSize(), units}, kernelInitializer, kernelRegularizer,
                kernelConstraint, true));
        if (useBias) {
            w.add(new WeightSpec("bias", new int[] {units}, biasInitializer, biasRegularizer, biasConstraint, true));
        }
        return w;
    }

    /** One scratch buffer: the pre-activation {@code z}. */
    @Override
    public int[] scratchSizes(int maxRows) {
        return new int[] {Math.multiplyExact(maxRows, units)};
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        forward(ctx, x, y, activation, alpha);
    }

    /** The forward pass with activation {@code f} (this layer's, or that of an activation layer after it). */
    void forward(LayerContext ctx, Slice x, Slice y, ActivationFunction f, float fAlpha) {
        if (ctx.handsOffForward()) { // the batch norm after this layer runs it with its own
            ctx.handOffForward(new DenseBefore(x, ctx.weight(0), useBias ? ctx.weight(1) : null, inputSize(), f,
                    fAlpha, ctx.scratch(0), y));
            return;
        }
        ctx.backend().denseForward(x, ctx.weight(0), useBias ? ctx.weight(1) : null, ctx.rows(), inputSize(), units,
                f, fAlpha, ctx.scratch(0), y);
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        backward(ctx, x, y, dy, dx, activation, alpha);
    }

    /**
     * The forward pass into {@code y}, and while training {@code dropout} (context {@code dropoutCtx}) of it into
     * {@code yDropped}: DenseDropoutPair's, one op for both layers.
     */
    void forward(LayerContext ctx, Slice x, Slice y, Slice yDropped, boolean training, Dropout dropout,
                 LayerContext dropoutCtx) {
        if (!training) {
            forward(ctx, x, yDropped, activation, alpha); // the dropout passes its input through
            return;
        }
        ctx.backend().denseDropoutForward(x, ctx.weight(0), useBias ? ctx.weight(1) : null, ctx.rows(), inputSize(),
                units, activation, alpha, ctx.scratch(0), y, yDropped, dropout.rate(), dropoutCtx.seed(),
                dropoutCtx.layerIndex(), dropoutCtx.counters());
    }

    /**
     * The backward pass of {@link #forward(LayerContext, Slice, Slice, Slice, boolean, Dropout, LayerContext)} from
     * the gradient of the dropped output {@code dyDropped} (overwritten with the layer's dz).
     */
    void backward(LayerContext ctx, Slice x, Slice y, Slice dyDropped, Slice dx, Dropout dropout,
                  LayerContext dropoutCtx) {
        InputGradient above = ctx.inputGradientFromAbove();
        if (above == null) {
            ctx.backend().activationDropoutBackward(derivativeInput(ctx, y, activation), y, dyDropped, ctx.rows(),
                    units, activation, alpha, dyDropped, biasGradient(ctx), dropout.rate(),
                    dropoutCtx.seed(), dropoutCtx.layerIndex(), dropoutCtx.counters());
        } else {
            ctx.backend().inputGradientActivationBackward(above.dz(), above.w(), above.dw(), above.units(),
                    derivativeInput(ctx, y, activation), y, ctx.rows(), units, activation, alpha, dyDropped,
                    biasGradient(ctx), dropout.rate(), dropoutCtx.seed(), dropoutCtx.layerIndex(),
                    dropoutCtx.counters());
            ctx.inputGradientTaken();
        }
        backwardLinear(ctx, x, dyDropped, dx, false);
    }

    /** The backward pass of {@link #forward(LayerContext, Slice, Slice, ActivationFunction, float)}. */
    void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx, ActivationFunction f, float fAlpha) {
        // dz overwrites dy: the upstream gradient is not needed once the activation's derivative is applied.
        InputGradient above = ctx.inputGradientFromAbove();
        if (ctx.activationBackwardDoneAbove()) {
            backwardLinear(ctx, x, dy, dx, false); // the batch norm above left dz in dy, and the bias gradient
            return;
        }
        if (above == null) {
            ctx.backend().activationBackward(derivativeInput(ctx, y, f), y, dy, ctx.rows(), units, f, fAlpha, dy,
                    biasGradient(ctx));
        } else { // dy is the layer above's input gradient, computed by the same op
            ctx.backend().inputGradientActivationBackward(above.dz(), above.w(), above.dw(), above.units(),
                    derivativeInput(ctx, y, f), y, ctx.rows(), units, f, fAlpha, dy, biasGradient(ctx),
                    0f, 0L, 0, null);
            ctx.inputGradientTaken();
        }
        backwardLinear(ctx, x, dy, dx, false);
    }

    /** Where the backward ops write the bias gradient: null without a bias, and for a frozen layer. */
    private Slice biasGradient(LayerContext ctx) {
        return useBias && ctx.trainable() ? ctx.grad(1) : null;
    }

    /**
     * Where the backward ops read {@code f}'s derivative: the output {@code y} where it is a function of y alone
     * ({@link ActivationFunction#derivativeFromOutput}: relu, linear; then {@link Backend#denseForward} may leave the
     * pre-activation unwritten), else the pre-activation z this layer's forward pass kept.
     */
    private static Slice derivativeInput(LayerContext ctx, Slice y, ActivationFunction f) {
        return f.derivativeFromOutput() ? y : ctx.scratch(0);
    }

    /**
     * This layer's activation ({@code f}: its own, or that of the activation layer it runs with) as the batch norm
     * above sees it: what Backend.batchNormBackwardBetween needs to run its backward pass; {@code y} is the output
     * of this layer (or of the pair), the batch norm's input.
     */
    ActivationBelow activationBelow(LayerContext ctx, Slice y, ActivationFunction f, float fAlpha) {
        return new ActivationBelow(derivativeInput(ctx, y, f), f, fAlpha, biasGradient(ctx));
    }

    /** {@link #activationBelow(LayerContext, Slice, ActivationFunction, float)} with this layer's own activation. */
    public ActivationBelow activationBelow(LayerContext ctx, Slice y) {
        return activationBelow(ctx, y, activation, alpha);
    }

    @Override
    public boolean forwardWithSoftmaxCrossEntropy(LayerContext ctx, Slice x, Slice y, Slice labels,
                                                  boolean sparseLabels, Slice probs, Slice dlogits, float gradScale,
                                                  Slice stats) {
        if (activation != ActivationFunction.SOFTMAX) {
            return false;
        }
        // The bias gradient with the loss where the backend computes it there (a launch less), else in backward.
        boolean withLoss = biasGradient(ctx) != null && dlogits != null
                && ctx.backend().biasGradientWithLoss(ctx.rows(), units);
        ctx.backend().denseSoftmaxCrossEntropy(x, ctx.weight(0), useBias ? ctx.weight(1) : null, ctx.rows(),
                inputSize(), units, ctx.scratch(0), y, labels, sparseLabels, probs, dlogits, gradScale, stats,
                withLoss ? ctx.grad(1) : null);
        ctx.biasGradientWrittenByLoss(withLoss);
        return true;
    }

    @Override
    public Slice preActivation(LayerContext ctx, Slice x) {
        return ctx.scratch(0);
    }

    @Override
    public void backwardFromPreActivation(LayerContext ctx, Slice x, Slice dz, Slice dx) {
        backwardLinear(ctx, x, dz, dx, !ctx.biasGradientWrittenByLoss());
    }

    private void backwardLinear(LayerContext ctx, Slice x, Slice dz, Slice dx, boolean needBiasGrad) {
        Backend be = ctx.backend();
        int rows = ctx.rows();
        // Only the optimizer waits for the weight gradients; the layer before waits for dx. As a branch they run
        // beside dx's product and the rest of the backward pass (the engine joins before the update). Without dx
        // there is nothing to run beside, and a branch would only add its fork and join to the step.
        // Where the layer below computes dx and the weight gradient (x is its output) in its first op, this layer
        // issues only its bias gradient (if any), in place.
        // A frozen layer computes no weight gradients (Keras computes none for its weights): only dx, if anything.
        boolean frozen = !ctx.trainable();
        boolean weightsBelow = !frozen && dx != null && ctx.handsOffInputGradient() && ctx.handsOffWeightGradient();
        Runnable weightGradients = () -> {
            if (useBias && needBiasGrad) {
                be.columnSums(dz, rows, units, ctx.grad(1));
            }
            if (!weightsBelow) {
                be.gemm(true, false, inputSize(), units, rows, 1f, x, dz, 0f, ctx.grad(0));
            }
        };
        if (!frozen && (dx == null || weightsBelow)) {
            weightGradients.run();
        } else if (!frozen) {
            be.branch(weightGradients);
        }
        if (dx == null) {
            return;
        }
        if (ctx.handsOffInputGradient()) { // the layer below computes dx (and with weightsBelow dW) in its first op
            ctx.handOff(new InputGradient(dz, ctx.weight(0), units, weightsBelow ? ctx.grad(0) : null));
            return;
        }
        be.gemm(false, true, rows, inputSize(), units, 1f, dz, ctx.weight(0), 0f, dx);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("units", units);
        m.put("activation", activation.kerasName());
        if (activation == ActivationFunction.LEAKY_RELU || activation == ActivationFunction.ELU) {
            m.put("activation_alpha", (double) alpha);
        }
        m.put("use_bias", useBias);
        m.put("kernel_initializer", initializerConfig(kernelInitializer));
        m.put("bias_initializer", initializerConfig(biasInitializer));
        m.put("kernel_regularizer", kernelRegularizer == null ? null : kernelRegularizer.config());
        m.put("bias_regularizer", biasRegularizer == null ? null : biasRegularizer.config());
        // Keras writes both always (null for none); left out when unset, so files without constraints stay as before.
        if (kernelConstraint != null) {
            m.put("kernel_constraint", kernelConstraint.serialize());
        }
        if (biasConstraint != null) {
            m.put("bias_constraint", biasConstraint.serialize());
        }
        return m;
    }

    static Map<String, Object> initializerConfig(Initializer init) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class_name", init.name());
        m.put("config", init.config());
        return m;
    }

    static <T> T requireNonNull(T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return value;
    }
}
