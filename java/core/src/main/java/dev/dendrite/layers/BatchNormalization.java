package dev.dendrite.layers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Slice;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Constant;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/**
 * Batch normalisation (Ioffe and Szegedy, 2015) of each feature over the batch, as Keras's
 * {@code BatchNormalization}: while training it normalises with the batch's mean and variance and updates
 * the moving statistics ({@code moving = momentum * moving + (1 - momentum) * batch}); at inference it uses
 * the moving statistics. Keras defaults: momentum 0.99, epsilon 0.001, center and scale on, {@code gamma} from ones
 * and {@code beta} from zeros without penalty or constraint, the moving mean from zeros and the moving variance from
 * ones:
 * <pre>
 * Keras:    BatchNormalization(gamma_regularizer=regularizers.L2(1e-4), beta_constraint=constraints.MaxNorm(2))
 * Dendrite: new BatchNormalization().gammaRegularizer(Regularizer.l2(1e-4)).betaConstraint(new MaxNorm(2))
 * </pre>
 */
public final class BatchNormalization extends Layer {
    private float momentum = 0.99f;
    private float epsilon = 1e-3f;
    private boolean center = true;
    private boolean scale = true;
    private final GammaBeta gammaBeta = new GammaBeta();
    private Initializer movingMeanInitializer;
    private Initializer movingVarianceInitializer;

    public BatchNormalization momentum(double momentum) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("BatchNormalization momentum " + momentum
                    + "; expected a value in [0, 1)");
        }
        this.momentum = (float) momentum;
        return this;
    }

    public BatchNormalization epsilon(double epsilon) {
        if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("BatchNormalization epsilon " + epsilon + "; expected a value > 0");
        }
        this.epsilon = (float) epsilon;
        return this;
    }

    /** Whether to learn an offset {@code beta}. */
    public BatchNormalization center(boolean center) {
        this.center = center;
        return this;
    }

    /** Whether to learn a scale {@code gamma}. */
    public BatchNormalization scale(boolean scale) {
        this.scale = scale;
        return this;
    }

    /** How {@code gamma} starts (Keras's {@code gamma_initializer}, default ones). */
    public BatchNormalization gammaInitializer(Initializer initializer) {
        gammaBeta.gammaInitializer(initializer, "BatchNormalization");
        return this;
    }

    /** {@link #gammaInitializer(Initializer)} by Keras name ({@code "ones"}, {@code "random_normal"}, ...). */
    public BatchNormalization gammaInitializer(String name) {
        return gammaInitializer(Initializer.fromName(name));
    }

    /** How {@code beta} starts (Keras's {@code beta_initializer}, default zeros). */
    public BatchNormalization betaInitializer(Initializer initializer) {
        gammaBeta.betaInitializer(initializer, "BatchNormalization");
        return this;
    }

    /** {@link #betaInitializer(Initializer)} by Keras name. */
    public BatchNormalization betaInitializer(String name) {
        return betaInitializer(Initializer.fromName(name));
    }

    /** How the moving mean starts (Keras's {@code moving_mean_initializer}, default zeros). */
    public BatchNormalization movingMeanInitializer(Initializer initializer) {
        this.movingMeanInitializer = Dense.requireNonNull(initializer, "BatchNormalization moving mean initializer");
        return this;
    }

    /** How the moving variance starts (Keras's {@code moving_variance_initializer}, default ones). */
    public BatchNormalization movingVarianceInitializer(Initializer initializer) {
        this.movingVarianceInitializer = Dense.requireNonNull(initializer,
                "BatchNormalization moving variance initializer");
        return this;
    }

    /** Penalty on {@code gamma} (Keras's {@code gamma_regularizer}), or null for none. */
    public BatchNormalization gammaRegularizer(Regularizer regularizer) {
        gammaBeta.gammaRegularizer(regularizer);
        return this;
    }

    /** Penalty on {@code beta} (Keras's {@code beta_regularizer}), or null for none. */
    public BatchNormalization betaRegularizer(Regularizer regularizer) {
        gammaBeta.betaRegularizer(regularizer);
        return this;
    }

    /** A constraint applied to {@code gamma} after each update (Keras's {@code gamma_constraint}), or null. */
    public BatchNormalization gammaConstraint(Constraint constraint) {
        gammaBeta.gammaConstraint(constraint);
        return this;
    }

    /** A constraint applied to {@code beta} after each update (Keras's {@code beta_constraint}), or null. */
    public BatchNormalization betaConstraint(Constraint constraint) {
        gammaBeta.betaConstraint(constraint);
        return this;
    }

    /** The constraint on {@code gamma}, or null. */
    public Constraint gammaConstraint() {
        return gammaBeta.gammaConstraint();
    }

    /** The constraint on {@code beta}, or null. */
    public Constraint betaConstraint() {
        return gammaBeta.betaConstraint();
    }

    @Override
    public String className() {
        return "BatchNormalization";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        if (inputShape.length != 1) {
            throw new IllegalArgumentException("BatchNormalization '" + name() + "' expects flat samples but got "
                    + formatShape(inputShape) + "; put a Flatten layer before it");
        }
        return inputShape;
    }

    @Override
    public List<WeightSpec> weights() {
        int n = outputSize();
        List<WeightSpec> w = new ArrayList<>(4);
        gammaBeta.addSpecs(w, new int[] {n}, scale, center);
        w.add(new WeightSpec("moving_mean", new int[] {n},
                movingMeanInitializer == null ? Constant.zeros() : movingMeanInitializer, null, false));
        w.add(new WeightSpec("moving_variance", new int[] {n},
                movingVarianceInitializer == null ? Constant.ones() : movingVarianceInitializer, null, false));
        return w;
    }

    /** Scratch: the batch mean and inverse standard deviation, kept for the backward pass. */
    @Override
    public int[] scratchSizes(int maxRows) {
        return new int[] {outputSize(), outputSize()};
    }

    private int movingIndex() {
        return (scale ? 1 : 0) + (center ? 1 : 0);
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        forward(ctx, x, y, training, null, null);
    }

    /**
     * The forward pass, followed while training by {@code dropout} (null: none) with its layer's context
     * {@code dropoutCtx}: BatchNormDropoutPair's, one op for both layers.
     */
    void forward(LayerContext ctx, Slice x, Slice y, boolean training, Dropout dropout, LayerContext dropoutCtx) {
        Slice gamma = scale ? ctx.weight(0) : null;
        Slice beta = center ? ctx.weight(scale ? 1 : 0) : null;
        int m = movingIndex();
        DenseBefore before = training ? ctx.denseBefore() : null;
        DropoutArgs d = DropoutArgs.of(dropout, dropoutCtx);
        if (!training || !ctx.trainable()) { // frozen: Keras 3 normalises with the moving statistics, kept as they are
            ctx.backend().batchNormForwardInference(x, ctx.rows(), outputSize(), gamma, beta, epsilon,
                    ctx.weight(m), ctx.weight(m + 1), y);
        } else if (before != null) { // x is the dense layer's output, computed by the same op
            ctx.backend().denseBatchNormForward(before.x(), before.w(), before.bias(), ctx.rows(), before.k(),
                    outputSize(), before.f(), before.alpha(), before.z(), before.y(), gamma, beta, epsilon, momentum,
                    ctx.weight(m), ctx.weight(m + 1), y, ctx.scratch(0), ctx.scratch(1), d.rate(), d.seed(),
                    d.stream(), d.counters());
        } else if (dropout == null) {
            ctx.backend().batchNormForwardTraining(x, ctx.rows(), outputSize(), gamma, beta, epsilon, momentum,
                    ctx.weight(m), ctx.weight(m + 1), y, ctx.scratch(0), ctx.scratch(1));
        } else {
            ctx.backend().batchNormDropoutForward(x, ctx.rows(), outputSize(), gamma, beta, epsilon, momentum,
                    ctx.weight(m), ctx.weight(m + 1), y, ctx.scratch(0), ctx.scratch(1), d.rate(), d.seed(),
                    d.stream(), d.counters());
        }
    }

    /** A Dropout's arguments to the ops that run it with the batch norm: none (rate 0, no counters) without one. */
    private record DropoutArgs(float rate, long seed, int stream, Slice counters) {
        static DropoutArgs of(Dropout dropout, LayerContext dropoutCtx) {
            return dropout == null ? new DropoutArgs(0f, 0L, 0, null) : new DropoutArgs(dropout.rate(),
                    dropoutCtx.seed(), dropoutCtx.layerIndex(), dropoutCtx.counters());
        }
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        backward(ctx, x, dy, dx, null, null);
    }

    /** The backward pass of {@link #forward(LayerContext, Slice, Slice, boolean, Dropout, LayerContext)}. */
    void backward(LayerContext ctx, Slice x, Slice dy, Slice dx, Dropout dropout, LayerContext dropoutCtx) {
        Slice gamma = scale ? ctx.weight(0) : null;
        Slice dgamma = scale ? ctx.grad(0) : null;
        Slice dbeta = center ? ctx.grad(scale ? 1 : 0) : null;
        if (!ctx.trainable()) {
            frozenBackward(ctx, dy, dx, gamma);
            return;
        }
        InputGradient above = ctx.inputGradientFromAbove();
        ActivationBelow below = ctx.activationBelow();
        DropoutArgs d = DropoutArgs.of(dropout, dropoutCtx);
        if (above != null || below != null) {
            // dy is the dense layer above's input gradient, and dx goes through the activation below: both in one op
            ctx.backend().batchNormBackwardBetween(above == null ? null : above.dz(), above == null ? null : above.w(),
                    above == null ? 0 : above.units(), x, dy, ctx.rows(), outputSize(), gamma, ctx.scratch(0),
                    ctx.scratch(1), dx, dgamma, dbeta, d.rate(), d.seed(), d.stream(), d.counters(),
                    below == null ? null : below.z(), below == null ? null : below.f(),
                    below == null ? 0f : below.alpha(), below == null ? null : below.dbias());
        } else if (dropout == null) {
            ctx.backend().batchNormBackward(x, dy, ctx.rows(), outputSize(), gamma, ctx.scratch(0), ctx.scratch(1),
                    dx, dgamma, dbeta);
        } else {
            ctx.backend().batchNormDropoutBackward(x, dy, ctx.rows(), outputSize(), gamma, ctx.scratch(0),
                    ctx.scratch(1), dx, dgamma, dbeta, d.rate(), d.seed(), d.stream(), d.counters());
        }
    }

    /**
     * The backward pass of the inference-mode forward pass a frozen batch norm runs while training:
     * {@code dx = dy * gamma / sqrt(moving_variance + epsilon)}, the inference map with a mean of 0 and no offset
     * (the batch's statistics play no part); no weight gradients (nothing trains them; the engine keeps them 0). The
     * mean of 0 is the first scratch buffer, which the inference forward pass leaves unused. The engine fuses nothing
     * with a frozen batch norm (no dense layer's forward or input gradient, no activation below, no Dropout pair).
     */
    private void frozenBackward(LayerContext ctx, Slice dy, Slice dx, Slice gamma) {
        if (dx != null) {
            int m = movingIndex();
            ctx.backend().fill(ctx.scratch(0), 0f);
            ctx.backend().batchNormForwardInference(dy, ctx.rows(), outputSize(), gamma, null, epsilon, ctx.scratch(0),
                    ctx.weight(m + 1), dx);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("momentum", (double) momentum);
        m.put("epsilon", (double) epsilon);
        m.put("center", center);
        m.put("scale", scale);
        gammaBeta.writeConfig(m);
        if (movingMeanInitializer != null) {
            m.put("moving_mean_initializer", Dense.initializerConfig(movingMeanInitializer));
        }
        if (movingVarianceInitializer != null) {
            m.put("moving_variance_initializer", Dense.initializerConfig(movingVarianceInitializer));
        }
        return m;
    }

    /** Reads what {@link #config()} writes beyond momentum, epsilon, center and scale (from Keras's config too). */
    void readWeightConfig(Map<String, Object> c) {
        gammaBeta.readConfig(c, "BatchNormalization");
        if (c.get("moving_mean_initializer") != null) {
            movingMeanInitializer(Layers.initializer(c.get("moving_mean_initializer")));
        }
        if (c.get("moving_variance_initializer") != null) {
            movingVarianceInitializer(Layers.initializer(c.get("moving_variance_initializer")));
        }
    }
}
