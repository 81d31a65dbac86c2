package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/** Rebuilds layers from the {@code class_name} and {@link Layer#config()} stored in a model file. */
public final class Layers {
    private Layers() {
    }

    /**
     * The layer a model file describes.
     *
     * @throws IllegalArgumentException naming an unknown class or a malformed config
     */
    @SuppressWarnings("unchecked")
    public static Layer fromConfig(String className, String name, Map<String, Object> c) {
        Layer layer;
        try {
            switch (className) {
                case "InputLayer":
                    layer = new Input(ints((List<Object>) c.get("shape")));
                    break;
                case "Flatten":
                    layer = new Flatten();
                    break;
                case "Dense": {
                    if (c.get("activity_regularizer") != null) { // else Keras's penalty would be dropped unseen
                        throw new IllegalArgumentException("Dense activity_regularizer " + c.get("activity_regularizer")
                                + "; expected null: put ActivityRegularization(l1, l2) after the layer instead");
                    }
                    Dense d = new Dense(num(c, "units").intValue(),
                            ActivationFunction.fromName((String) c.get("activation")));
                    if (c.get("activation_alpha") != null) {
                        d.activationAlpha(num(c, "activation_alpha").doubleValue());
                    }
                    d.useBias(!Boolean.FALSE.equals(c.get("use_bias")));
                    d.kernelInitializer(initializer(c.get("kernel_initializer")));
                    d.biasInitializer(initializer(c.get("bias_initializer")));
                    d.kernelRegularizer(regularizer(c.get("kernel_regularizer")));
                    d.biasRegularizer(regularizer(c.get("bias_regularizer")));
                    d.kernelConstraint(Constraint.get(c.get("kernel_constraint")));
                    d.biasConstraint(Constraint.get(c.get("bias_constraint")));
                    layer = d;
                    break;
                }
                case "Activation": { // Keras's config has no alpha: the function's Keras default
                    ActivationFunction f = ActivationFunction.fromName((String) c.get("activation"));
                    layer = c.get("alpha") == null ? new Activation(f)
                            : new Activation(f, num(c, "alpha").doubleValue());
                    break;
                }
                case "Dropout":
                    layer = new Dropout(num(c, "rate").doubleValue());
                    break;
                case "BatchNormalization": {
                    if (Boolean.TRUE.equals(c.get("renorm"))) {
                        throw new IllegalArgumentException("BatchNormalization renorm true: batch renormalisation is"
                                + " not supported; expected renorm false");
                    }
                    BatchNormalization bn = new BatchNormalization().momentum(num(c, "momentum").doubleValue())
                            .epsilon(num(c, "epsilon").doubleValue())
                            .center(!Boolean.FALSE.equals(c.get("center")))
                            .scale(!Boolean.FALSE.equals(c.get("scale")));
                    bn.readWeightConfig(c);
                    layer = bn;
                    break;
                }
                case "GaussianNoise":
                case "GaussianDropout":
                case "AlphaDropout":
                case "LayerNormalization":
                    layer = NoiseAndNormalizationLayers.fromConfig(className, c);
                    break;
                case "LeakyReLU":
                case "ReLU":
                case "ELU":
                case "PReLU":
                case "Softmax":
                case "Reshape":
                case "Rescaling":
                case "Normalization":
                case "ActivityRegularization":
                    layer = LayerConfigs.fromConfig(className, c);
                    break;
                default:
                    layer = Augmentations.fromConfig(className, c);
                    if (layer == null) {
                        throw new IllegalArgumentException("unknown layer class '" + className + "'; expected one of: "
                                + "InputLayer, Flatten, Dense, Activation, Dropout, BatchNormalization, "
                                + NoiseAndNormalizationLayers.CLASS_NAMES + ", " + LayerConfigs.NAMES + ", "
                                + Augmentations.NAMES);
                    }
            }
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("malformed config for layer '" + name + "' (" + className + "): "
                    + c, e);
        }
        if (name != null) {
            layer.named(name);
        }
        if (Boolean.FALSE.equals(c.get("trainable"))) { // Keras writes it in every layer's config
            layer.setTrainable(false);
        }
        return layer;
    }

    static Number num(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("layer config key '" + key + "' is " + v + "; expected a number");
        }
        return (Number) v;
    }

    static int[] ints(List<Object> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).intValue();
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Initializer initializer(Object config) {
        if (config == null) {
            throw new IllegalArgumentException("missing initializer config");
        }
        Map<String, Object> m = (Map<String, Object>) config;
        Object inner = m.get("config");
        return Initializer.fromConfig((String) m.get("class_name"),
                inner == null ? Map.of() : (Map<String, Object>) inner);
    }

    @SuppressWarnings("unchecked")
    static Regularizer regularizer(Object config) {
        if (config instanceof String name) { // Keras accepts a name too: "l2"
            return Regularizer.fromName(name);
        }
        return config == null ? null : Regularizer.fromConfig((Map<String, Object>) config);
    }
}
