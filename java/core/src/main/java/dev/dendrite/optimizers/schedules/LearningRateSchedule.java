package dev.dendrite.optimizers.schedules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * A learning rate that is a function of the optimizer's step, as {@code keras.optimizers.schedules}: pass one
 * wherever a learning rate goes ({@code new Adam(new CosineDecay(1e-3, 1000))}). The rate is computed on the device
 * inside each training step from the step counter ({@code Backend.learningRateSchedule}), so a recorded step
 * replays with the right rate; {@link #valueAt} is the same formula on the host ({@link ScheduleMath}).
 */
public abstract class LearningRateSchedule {
    LearningRateSchedule() {
    }

    /** Keras's class name, e.g. {@code "CosineDecay"}. */
    public abstract String className();

    /** The kind, one of {@link ScheduleMath}'s constants. */
    public abstract int kind();

    /** The parameters in {@link ScheduleMath}'s layout for {@link #kind()}. */
    public abstract float[] parameters();

    /** Keras's {@code get_config()}. */
    public abstract Map<String, Object> config();

    /** The rate at {@code step} (Keras's {@code schedule(step)}), computed in float as on the device. */
    public double valueAt(long step) {
        return ScheduleMath.learningRate(kind(), parameters(), 0, (float) step, 0f);
    }

    /** Keras's {@code keras.optimizers.schedules.serialize(schedule)}: module, class_name, config, registered_name. */
    public Map<String, Object> serialize() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("module", "keras.optimizers.schedules");
        m.put("class_name", className());
        m.put("config", config());
        m.put("registered_name", null);
        return m;
    }

    /**
     * Rebuilds a schedule from {@link #serialize()}'s form (Keras's).
     *
     * @throws IllegalArgumentException naming an unknown class name
     */
    @SuppressWarnings("unchecked")
    public static LearningRateSchedule deserialize(Map<String, Object> serialized) {
        String name = String.valueOf(serialized.get("class_name"));
        Object c = serialized.get("config");
        Map<String, Object> config = c instanceof Map ? (Map<String, Object>) c : Map.of();
        switch (name) {
            case "ExponentialDecay":
                return new ExponentialDecay(num(config, "initial_learning_rate"), num(config, "decay_steps"),
                        num(config, "decay_rate"), Boolean.TRUE.equals(config.get("staircase")));
            case "InverseTimeDecay":
                return new InverseTimeDecay(num(config, "initial_learning_rate"), num(config, "decay_steps"),
                        num(config, "decay_rate"), Boolean.TRUE.equals(config.get("staircase")));
            case "PiecewiseConstantDecay":
                return new PiecewiseConstantDecay(list(config, "boundaries"), list(config, "values"));
            case "PolynomialDecay":
                return new PolynomialDecay(num(config, "initial_learning_rate"), num(config, "decay_steps"),
                        num(config, "end_learning_rate"), num(config, "power"),
                        Boolean.TRUE.equals(config.get("cycle")));
            case "CosineDecay": {
                Object target = config.get("warmup_target");
                return new CosineDecay(num(config, "initial_learning_rate"), num(config, "decay_steps"),
                        num(config, "alpha"), target == null ? null : ((Number) target).doubleValue(),
                        num(config, "warmup_steps"));
            }
            case "CosineDecayRestarts":
                return new CosineDecayRestarts(num(config, "initial_learning_rate"), num(config, "first_decay_steps"),
                        num(config, "t_mul"), num(config, "m_mul"), num(config, "alpha"));
            default:
                throw new IllegalArgumentException("unknown learning-rate schedule '" + name + "'; expected one of: "
                        + "ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, "
                        + "CosineDecayRestarts");
        }
    }

    private static double num(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("schedule config has " + key + " = " + v + "; expected a number");
        }
        return ((Number) v).doubleValue();
    }

    private static double[] list(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (!(v instanceof List)) {
            throw new IllegalArgumentException("schedule config has " + key + " = " + v + "; expected a list");
        }
        List<?> l = (List<?>) v;
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).doubleValue();
        }
        return out;
    }

    static double positive(String what, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " " + value + "; expected a finite value > 0");
        }
        return value;
    }

    static double finite(String what, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " " + value + "; expected a finite value");
        }
        return value;
    }

    static List<Double> boxed(double[] values) {
        List<Double> l = new ArrayList<>();
        for (double v : values) {
            l.add(v);
        }
        return l;
    }

    @Override
    public String toString() {
        return className() + config();
    }
}
