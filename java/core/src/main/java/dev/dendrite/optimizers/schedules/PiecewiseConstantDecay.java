package dev.dendrite.optimizers.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ScheduleMath;

/**
 * Keras's {@code PiecewiseConstantDecay}: {@code values[0]} while {@code step <= boundaries[0]},
 * {@code values[i + 1]} while {@code boundaries[i] < step <= boundaries[i + 1]}, and {@code values[k]} after the
 * last boundary. Boundaries are compared with the step in float, exact for steps below 2^24.
 */
public final class PiecewiseConstantDecay extends LearningRateSchedule {
    private final double[] boundaries;
    private final double[] values;

    public PiecewiseConstantDecay(double[] boundaries, double[] values) {
        if (boundaries.length == 0 || boundaries.length != values.length - 1) {
            throw new IllegalArgumentException("PiecewiseConstantDecay: " + boundaries.length + " boundaries and "
                    + values.length + " values; expected at least one boundary and one value more than boundaries");
        }
        for (int i = 0; i < boundaries.length; i++) {
            finite("PiecewiseConstantDecay boundary", boundaries[i]);
            if (i > 0 && !(boundaries[i] > boundaries[i - 1])) {
                throw new IllegalArgumentException("PiecewiseConstantDecay boundary " + boundaries[i] + " after "
                        + boundaries[i - 1] + "; expected increasing boundaries");
            }
        }
        for (double v : values) {
            finite("PiecewiseConstantDecay value", v);
        }
        this.boundaries = boundaries.clone();
        this.values = values.clone();
    }

    @Override
    public String className() {
        return "PiecewiseConstantDecay";
    }

    @Override
    public int kind() {
        return ScheduleMath.PIECEWISE;
    }

    @Override
    public float[] parameters() {
        int k = boundaries.length;
        float[] p = new float[2 * k + 2];
        p[0] = k;
        for (int i = 0; i < k; i++) {
            p[1 + i] = (float) boundaries[i];
        }
        for (int i = 0; i <= k; i++) {
            p[1 + k + i] = (float) values[i];
        }
        return p;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("boundaries", boxed(boundaries));
        m.put("values", boxed(values));
        m.put("name", "PiecewiseConstant");
        return m;
    }
}
