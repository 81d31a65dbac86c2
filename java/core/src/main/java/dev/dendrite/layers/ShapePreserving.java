package dev.dendrite.layers;

/**
 * A layer whose output has its input's shape (the activation and preprocessing layers), and which applies
 * Keras's rule that it works on the flat rows the engine stores, whatever the sample shape.
 */
abstract class ShapePreserving extends Layer {
    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        return inputShape;
    }

    /** {@code "LeakyReLU negative_slope -1.0; expected a value >= 0"}: the message of a bad argument. */
    static IllegalArgumentException badArgument(String layer, String argument, Object value, String expected) {
        return new IllegalArgumentException(layer + " " + argument + " " + value + "; expected " + expected);
    }

    static float finite(String layer, String argument, double value) {
        if (!Double.isFinite(value)) {
            throw badArgument(layer, argument, value, "a finite number");
        }
        return (float) value;
    }

    static float nonNegative(String layer, String argument, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw badArgument(layer, argument, value, "a finite value >= 0");
        }
        return (float) value;
    }
}
