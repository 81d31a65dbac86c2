package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.constraints.Constraint;

/**
 * Rebuilds the activation layers ({@code LeakyReLU, ReLU, ELU, PReLU, Softmax}), {@code Reshape} and the
 * preprocessing layers ({@code Rescaling, Normalization}) from their Keras configs, for {@link Layers#fromConfig}.
 * Keys a file from Keras may hold and Dendrite cannot honour ({@code shared_axes}, {@code invert=true}) are
 * refused, naming the value.
 */
final class LayerConfigs {
    static final String NAMES = "LeakyReLU, ReLU, ELU, PReLU, Softmax, Reshape, Rescaling, Normalization, "
            + "ActivityRegularization";

    private LayerConfigs() {
    }

    @SuppressWarnings("unchecked")
    static Layer fromConfig(String className, Map<String, Object> c) {
        switch (className) {
            case "LeakyReLU":
                return new LeakyReLU(Layers.num(c, "negative_slope").doubleValue());
            case "ReLU": {
                Object max = c.get("max_value");
                return new ReLU().maxValue(max == null ? null : Layers.num(c, "max_value").doubleValue())
                        .negativeSlope(Layers.num(c, "negative_slope").doubleValue())
                        .threshold(Layers.num(c, "threshold").doubleValue());
            }
            case "ELU":
                return new ELU(Layers.num(c, "alpha").doubleValue());
            case "PReLU": {
                if (c.get("shared_axes") != null) {
                    throw new IllegalArgumentException("PReLU shared_axes " + c.get("shared_axes")
                            + "; expected null (one alpha per input value)");
                }
                return new PReLU().alphaInitializer(Layers.initializer(c.get("alpha_initializer")))
                        .alphaRegularizer(Layers.regularizer(c.get("alpha_regularizer")))
                        .alphaConstraint(Constraint.get(c.get("alpha_constraint")));
            }
            case "Softmax":
                return new Softmax(c.get("axis") == null ? -1 : Layers.num(c, "axis").intValue());
            case "Reshape":
                return new Reshape(Layers.ints((List<Object>) c.get("target_shape")));
            case "Rescaling":
                return new Rescaling(Layers.num(c, "scale").doubleValue(), Layers.num(c, "offset").doubleValue());
            case "ActivityRegularization": // Keras writes both, 0.0 for one not given
                return new ActivityRegularization(Layers.num(c, "l1").doubleValue(), Layers.num(c, "l2").doubleValue());
            case "Normalization": {
                if (Boolean.TRUE.equals(c.get("invert"))) {
                    throw new IllegalArgumentException("Normalization invert true; expected false");
                }
                Integer axis = axis(c.get("axis"));
                return new Normalization(axis, doubles(c.get("mean")), doubles(c.get("variance")));
            }
            default:
                return null;
        }
    }

    /** Keras writes Normalization's axis as a list: {@code [-1]}, or {@code []} for None; a bare number is read too. */
    @SuppressWarnings("unchecked")
    private static Integer axis(Object v) {
        if (v instanceof List && ((List<Object>) v).size() <= 1) {
            List<Object> list = (List<Object>) v;
            return list.isEmpty() ? null : ((Number) list.get(0)).intValue();
        }
        if (v == null || v instanceof Number) {
            return v == null ? null : ((Number) v).intValue();
        }
        throw new IllegalArgumentException("Normalization axis " + v + "; expected [-1] or [] (None)");
    }

    /** A list of numbers, or one number (Keras's scalar statistic), or null. */
    @SuppressWarnings("unchecked")
    private static double[] doubles(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Number) {
            return new double[] {((Number) v).doubleValue()};
        }
        List<Object> list = (List<Object>) v;
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).doubleValue();
        }
        return out;
    }
}
