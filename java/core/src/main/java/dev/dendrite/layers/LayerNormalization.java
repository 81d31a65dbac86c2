package dev.dendrite.layers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Slice;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/**
 * Layer normalisation (Ba et al., 2016) as Keras's {@code LayerNormalization} with {@code axis=-1}: each sample's
 * values along the last axis are normalised with their own mean and biased variance,
 * {@code y = gamma * (x - mean) / sqrt(var + epsilon) + beta}, the same in training and at inference (no moving
 * statistics). {@code gamma} and {@code beta} have one value per feature of the last axis and are trained. Keras
 * defaults: epsilon 0.001, center and scale on, {@code gamma} from ones and {@code beta} from zeros without penalty
 * or constraint (each settable as Keras's {@code gamma_initializer}, {@code beta_regularizer}, ...). Only
 * {@code axis=-1} is supported.
 */
public final class LayerNormalization extends Layer {
    private float epsilon = 1e-3f;
    private boolean center = true;
    private boolean scale = true;
    private final GammaBeta gammaBeta = new GammaBeta();

    /**
     * @throws IllegalArgumentException unless epsilon is finite and {@code > 0}
     */
    public LayerNormalization epsilon(double epsilon) {
        if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("LayerNormalization epsilon " + epsilon + "; expected a value > 0");
        }
        this.epsilon = (float) epsilon;
        return this;
    }

    /** Whether to learn an offset {@code beta}. */
    public LayerNormalization center(boolean center) {
        this.center = center;
        return this;
    }

    /** Whether to learn a scale {@code gamma}. */
    public LayerNormalization scale(boolean scale) {
        this.scale = scale;
        return this;
    }

    /** How {@code gamma} starts (Keras's {@code gamma_initializer}, default ones). */
    public LayerNormalization gammaInitializer(Initializer initializer) {
        gammaBeta.gammaInitializer(initializer, "LayerNormalization");
        return this;
    }

    /** {@link #gammaInitializer(Initializer)} by Keras name ({@code "ones"}, {@code "random_normal"}, ...). */
    public LayerNormalization gammaInitializer(String name) {
        return gammaInitializer(Initializer.fromName(name));
    }

    /** How {@code beta} starts (Keras's {@code beta_initializer}, default zeros). */
    public LayerNormalization betaInitializer(Initializer initializer) {
        gammaBeta.betaInitializer(initializer, "LayerNormalization");
        return this;
    }

    /** {@link #betaInitializer(Initializer)} by Keras name. */
    public LayerNormalization betaInitializer(String name) {
        return betaInitializer(Initializer.fromName(name));
    }

    /** Penalty on {@code gamma} (Keras's {@code gamma_regularizer}), or null for none. */
    public LayerNormalization gammaRegularizer(Regularizer regularizer) {
        gammaBeta.gammaRegularizer(regularizer);
        return this;
    }

    /** Penalty on {@code beta} (Keras's {@code beta_regularizer}), or null for none. */
    public LayerNormalization betaRegularizer(Regularizer regularizer) {
        gammaBeta.betaRegularizer(regularizer);
        return this;
    }

    /** A constraint applied to {@code gamma} after each update (Keras's {@code gamma_constraint}), or null. */
    public LayerNormalization gammaConstraint(Constraint constraint) {
        gammaBeta.gammaConstraint(constraint);
        return this;
    }

    /** A constraint applied to {@code beta} after each update (Keras's {@code beta_constraint}), or null. */
    public LayerNormalization betaConstraint(Constraint constraint) {
        gammaBeta.betaConstraint(constraint);
        return this;
    }

    /**
     * The axis to normalise: only {@code -1} (or its positive spelling, the last axis, which is only known once
     * built) is supported.
     *
     * @throws IllegalArgumentException for any other axis
     */
    public LayerNormalization axis(int axis) {
        if (axis != -1) {
            throw new IllegalArgumentException("LayerNormalization axis " + axis
                    + "; only axis=-1 (the last axis) is supported");
        }
        return this;
    }

    @Override
    public String className() {
        return "LayerNormalization";
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        if (inputShape.length == 0) {
            throw new IllegalArgumentException("LayerNormalization '" + name() + "' needs an input with at least one"
                    + " axis but got " + formatShape(inputShape));
        }
        return inputShape;
    }

    /** Values per sample along the last axis: the length of gamma and beta, and of each normalised group. */
    private int features() {
        int[] shape = inputShape();
        return shape[shape.length - 1];
    }

    /** Normalised groups per sample: one for flat samples, more when the last axis is one of several. */
    private int groups() {
        return inputSize() / features();
    }

    @Override
    public List<WeightSpec> weights() {
        List<WeightSpec> w = new ArrayList<>(2);
        gammaBeta.addSpecs(w, new int[] {features()}, scale, center);
        return w;
    }

    /** Scratch: each group's mean and inverse standard deviation, kept for the backward pass. */
    @Override
    public int[] scratchSizes(int maxRows) {
        int groups = Math.multiplyExact(maxRows, groups());
        return new int[] {groups, groups};
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        Slice gamma = scale ? ctx.weight(0) : null;
        Slice beta = center ? ctx.weight(scale ? 1 : 0) : null;
        ctx.backend().layerNormForward(x, ctx.rows() * groups(), features(), gamma, beta, epsilon, y, ctx.scratch(0),
                ctx.scratch(1));
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        Slice gamma = scale ? ctx.weight(0) : null;
        Slice dgamma = scale && ctx.trainable() ? ctx.grad(0) : null; // frozen: no weight gradients, as in Keras
        Slice dbeta = center && ctx.trainable() ? ctx.grad(scale ? 1 : 0) : null;
        ctx.backend().layerNormBackward(x, dy, ctx.rows() * groups(), features(), gamma, ctx.scratch(0),
                ctx.scratch(1), dx, dgamma, dbeta);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("axis", List.of(-1)); // as a built Keras layer writes it
        m.put("epsilon", (double) epsilon);
        m.put("center", center);
        m.put("scale", scale);
        gammaBeta.writeConfig(m);
        return m;
    }

    /** Reads what {@link #config()} writes beyond axis, epsilon, center and scale (from Keras's config too). */
    void readWeightConfig(Map<String, Object> c) {
        gammaBeta.readConfig(c, "LayerNormalization");
    }
}
