package dev.dendrite.optimizers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * The options every Keras 3 optimizer has that act on the gradients and the weights before its update, applied
 * in Keras's order by {@link Optimizer#apply}:
 * <ol>
 *   <li>at most one clipping: {@code clipnorm} (each variable's gradient scaled to an L2 norm of at most
 *       {@code clipnorm}: {@code g * clipnorm / max(||g||, clipnorm)}, per weight tensor as in Keras 3),
 *       {@code global_clipnorm} (the same with the norm of all gradients together) or {@code clipvalue}
 *       ({@code clip(g, -clipvalue, clipvalue)});</li>
 *   <li>{@code weight_decay}, Keras 3's decoupled form: {@code w -= w * weight_decay * lr} on every trainable
 *       weight, biases included (Keras's default, where no variable is excluded), before the update.</li>
 * </ol>
 * Each is one backend op (norms are summed on the device), so a recorded step replays them. Immutable; unset
 * options are null, as in Keras's config.
 */
public final class GradientOptions {
    /** No clipping, no weight decay. */
    public static final GradientOptions NONE = new GradientOptions(null, null, null, null);

    private final Double clipnorm;
    private final Double clipvalue;
    private final Double globalClipnorm;
    private final Double weightDecay;

    private GradientOptions(Double clipnorm, Double clipvalue, Double globalClipnorm, Double weightDecay) {
        positive("clipnorm", clipnorm);
        positive("clipvalue", clipvalue);
        positive("global_clipnorm", globalClipnorm);
        if (weightDecay != null && !(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException("weight_decay " + weightDecay + "; expected a finite value >= 0");
        }
        int clips = (clipnorm != null ? 1 : 0) + (clipvalue != null ? 1 : 0) + (globalClipnorm != null ? 1 : 0);
        if (clips > 1) {
            throw new IllegalArgumentException("Only one of clipnorm, clipvalue and global_clipnorm can be set. "
                    + "Received: clipnorm=" + clipnorm + ", clipvalue=" + clipvalue + ", global_clipnorm="
                    + globalClipnorm);
        }
        this.clipnorm = clipnorm;
        this.clipvalue = clipvalue;
        this.globalClipnorm = globalClipnorm;
        this.weightDecay = weightDecay;
    }

    private static void positive(String name, Double v) {
        if (v != null && !(v > 0 && Double.isFinite(v))) {
            throw new IllegalArgumentException(name + " " + v + "; expected a finite value > 0, or none");
        }
    }

    /** Each variable's gradient scaled to an L2 norm of at most {@code clipnorm}; null removes it. */
    public GradientOptions withClipnorm(Double clipnorm) {
        return new GradientOptions(clipnorm, clipvalue, globalClipnorm, weightDecay);
    }

    /** Every gradient element clipped to {@code [-clipvalue, clipvalue]}; null removes it. */
    public GradientOptions withClipvalue(Double clipvalue) {
        return new GradientOptions(clipnorm, clipvalue, globalClipnorm, weightDecay);
    }

    /** All gradients together scaled to an L2 norm of at most {@code globalClipnorm}; null removes it. */
    public GradientOptions withGlobalClipnorm(Double globalClipnorm) {
        return new GradientOptions(clipnorm, clipvalue, globalClipnorm, weightDecay);
    }

    /** Decoupled weight decay, {@code w -= w * weightDecay * lr} before each update; null removes it. */
    public GradientOptions withWeightDecay(Double weightDecay) {
        return new GradientOptions(clipnorm, clipvalue, globalClipnorm, weightDecay);
    }

    public Double clipnorm() {
        return clipnorm;
    }

    public Double clipvalue() {
        return clipvalue;
    }

    public Double globalClipnorm() {
        return globalClipnorm;
    }

    public Double weightDecay() {
        return weightDecay;
    }

    /**
     * True when every option acts on each parameter alone (clipvalue, weight decay, or none): false with clipnorm
     * or global_clipnorm, whose norms span a weight tensor or all of them.
     */
    public boolean actsOnEachParameterAlone() {
        return clipnorm == null && globalClipnorm == null;
    }

    /**
     * Issues the clipping (on {@code grads}) and the weight decay (on {@code params}) for the {@code n} elements
     * that {@code layout} describes.
     *
     * @throws IllegalStateException when clipnorm is set and the layout is unknown
     */
    void apply(Backend backend, Slice params, Slice grads, int n, Slice hyper, ParameterLayout layout) {
        if (clipnorm != null) {
            if (layout == null) {
                throw new IllegalStateException("clipnorm clips each weight tensor on its own and needs the "
                        + "parameter layout: call Optimizer.build(ParameterLayout) first (compile does)");
            }
            for (ParameterLayout.Variable v : layout.variables()) {
                backend.clipByNorm(grads.slice(v.offset(), v.size()), v.size(), clipnorm.floatValue());
            }
        } else if (globalClipnorm != null) {
            backend.clipByNorm(grads, n, globalClipnorm.floatValue());
        } else if (clipvalue != null) {
            backend.clipByValue(grads, n, clipvalue.floatValue());
        }
        if (weightDecay != null && weightDecay > 0) {
            backend.weightDecay(params, n, hyper, weightDecay.floatValue());
        }
    }

    /** The set options under Keras's names (for the model file). */
    Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "weight_decay", weightDecay);
        put(m, "clipnorm", clipnorm);
        put(m, "global_clipnorm", globalClipnorm);
        put(m, "clipvalue", clipvalue);
        return m;
    }

    private static void put(Map<String, Object> m, String key, Double v) {
        if (v != null) {
            m.put(key, v);
        }
    }

    /** These options with those that {@code config} names (Keras's keys) replaced; a null value unsets one. */
    GradientOptions withConfig(Map<String, Object> config) {
        return new GradientOptions(value(config, "clipnorm", clipnorm), value(config, "clipvalue", clipvalue),
                value(config, "global_clipnorm", globalClipnorm), value(config, "weight_decay", weightDecay));
    }

    private static Double value(Map<String, Object> config, String key, Double fallback) {
        if (!config.containsKey(key)) {
            return fallback;
        }
        Object v = config.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException(key + " " + v + "; expected a number or null");
        }
        return ((Number) v).doubleValue();
    }

    @Override
    public String toString() {
        return config().toString();
    }
}
