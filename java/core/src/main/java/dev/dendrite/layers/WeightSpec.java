package dev.dendrite.layers;

import java.util.Arrays;

import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/**
 * One weight of a layer: its Keras name ({@code kernel}, {@code bias}, {@code gamma}, {@code moving_mean} ...),
 * shape, how it starts, its penalty, its constraint, and whether the optimizer trains it. Non-trainable weights (batch
 * normalisation's running statistics) are updated by the forward pass instead.
 */
public final class WeightSpec {
    private final String name;
    private final int[] shape;
    private final Initializer initializer;
    private final Regularizer regularizer;
    private final Constraint constraint;
    private final boolean trainable;
    private final int fanIn;
    private final int fanOut;

    public WeightSpec(String name, int[] shape, Initializer initializer, Regularizer regularizer,
                      boolean trainable) {
        this(name, shape, initializer, regularizer, null, trainable);
    }

    /** A weight with a {@link Constraint} applied after each update ({@code constraint} null: none). */
    public WeightSpec(String name, int[] shape, Initializer initializer, Regularizer regularizer,
                      Constraint constraint, boolean trainable) {
        this.name = name;
        this.shape = shape.clone();
        this.initializer = initializer;
        this.regularizer = regularizer;
        this.constraint = constraint;
        this.trainable = trainable;
        this.fanIn = shape.length >= 2 ? shape[0] : shape[0];
        this.fanOut = shape.length >= 2 ? shape[shape.length - 1] : shape[0];
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return Layer.product(shape);
    }

    public Initializer initializer() {
        return initializer;
    }

    /** The penalty on this weight, or null. */
    public Regularizer regularizer() {
        return regularizer;
    }

    /** The constraint applied to this weight after each update, or null. */
    public Constraint constraint() {
        return constraint;
    }

    public boolean trainable() {
        return trainable;
    }

    public int fanIn() {
        return fanIn;
    }

    public int fanOut() {
        return fanOut;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
