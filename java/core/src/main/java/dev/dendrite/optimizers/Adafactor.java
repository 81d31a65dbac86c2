package dev.dendrite.optimizers;

import java.util.Arrays;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * Adafactor (Shazeer and Stern, 2018) exactly as Keras 3 computes it, per weight tensor, with {@code t} the 1-based
 * step:
 * <pre>
 * rho    = min(lr, 1 / sqrt(t))
 * alpha  = max(epsilon_2, RMS(w)) * rho               (RMS(w) of the tensor before the step)
 * beta   = 1 - t^beta_2_decay
 * a      = g^2 + epsilon_1
 * rank 2 (a Dense kernel, rows x cols): factored
 *   r    = beta * r + (1 - beta) * mean(a, over each row)        (one value per row)
 *   c    = beta * c + (1 - beta) * mean(a, over each column)     (one value per column)
 *   v    = (r / mean(r)) outer c
 * rank 0 or 1 (biases, BatchNormalization's gamma and beta): full
 *   v    = beta * v + (1 - beta) * a
 * u      = g / sqrt(v)
 * w     -= alpha * u / max(1, RMS(u) / clip_threshold)
 * </pre>
 * Keras defaults: learning rate 0.001, beta_2_decay -0.8, epsilon_1 1e-30, epsilon_2 1e-3, clip_threshold 1.0,
 * relative_step true. Keras takes the minimum with {@code 1 / sqrt(t)} in {@code rho} whether or not
 * {@code relative_step} is set (its own branch on it computes the same minimum again), so the flag changes
 * nothing there and nothing here; it is kept for the config.
 *
 * <p>Every reduction (the row and column means, {@code mean(r)}, both RMS) runs on the device, one backend op
 * ({@link Backend#adafactorUpdate}) per weight tensor of the layout given to {@link #build}; nothing is read back,
 * so the step can be recorded.
 *
 * <p><b>State.</b> One slot, as long as the parameters, as every optimizer's slots are; within each tensor's range of
 * it a factored tensor keeps {@code r} in its first {@code rows} places and {@code c} in the next {@code cols}
 * (the rest stays 0: {@code rows + cols <= rows * cols}), an unfactored one keeps {@code v} in all of it. A rank-2
 * tensor with one row or one column (the kernel of a one-unit Dense) is kept unfactored: there
 * {@code rows + cols} would not fit, and the factored {@code v} equals the full one up to rounding ({@code r / mean(r)}
 * is 1 with one row; with one column {@code c} is {@code mean(r)}). Keras also keeps a full-size {@code v} per
 * factored tensor; here it is recomputed from {@code r} and {@code c} where needed, so Adafactor's state is one
 * parameter-sized buffer where Keras has one plus the factors. Tensors of rank above 2, which no Dendrite layer has,
 * are refused.
 */
public final class Adafactor extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float beta2Decay;
    private final float epsilon1;
    private final float epsilon2;
    private final float clipThreshold;
    private final boolean relativeStep;

    public Adafactor() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adafactor(double learningRate) {
        this(learningRate, -0.8, 1e-30, 1e-3, 1.0, true);
    }

    /**
     * @throws IllegalArgumentException naming the value: {@code beta2Decay} must be {@code <= 0} (Keras's default
     *                                  -0.8; a positive one makes {@code beta} negative), the epsilons {@code >= 0},
     *                                  {@code clipThreshold > 0}, all finite
     */
    public Adafactor(double learningRate, double beta2Decay, double epsilon1, double epsilon2, double clipThreshold,
                     boolean relativeStep) {
        super(learningRate);
        checkRange("Adafactor beta_2_decay", beta2Decay, -Double.MAX_VALUE, 0, true);
        checkRange("Adafactor epsilon_1", epsilon1, 0, Double.MAX_VALUE, true);
        checkRange("Adafactor epsilon_2", epsilon2, 0, Double.MAX_VALUE, true);
        if (!(clipThreshold > 0) || !Double.isFinite(clipThreshold)) {
            throw new IllegalArgumentException("Adafactor clip_threshold " + clipThreshold
                    + "; expected a finite value > 0");
        }
        this.beta2Decay = (float) beta2Decay;
        this.epsilon1 = (float) epsilon1;
        this.epsilon2 = (float) epsilon2;
        this.clipThreshold = (float) clipThreshold;
        this.relativeStep = relativeStep;
    }

    @Override
    public String name() {
        return "adafactor";
    }

    /** The second-moment accumulators ({@code r} and {@code c}, or {@code v}; see the class comment), from 0. */
    @Override
    public float[] slotInitialValues() {
        return new float[] {0f};
    }

    /**
     * @throws IllegalStateException    when {@link #build} has not been given the layout of these parameters
     * @throws IllegalArgumentException for a tensor of rank above 2
     */
    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        ParameterLayout layout = layoutOf(n, "Adafactor factors each weight tensor by its shape");
        for (ParameterLayout.Variable v : layout.variables()) {
            int[] shape = v.shape();
            int rows;
            int cols;
            if (shape.length == 2) {
                rows = shape[0];
                cols = shape[1];
            } else if (shape.length < 2) {
                rows = 1;
                cols = v.size();
            } else {
                throw new IllegalArgumentException("Adafactor: variable " + v.name() + " has shape "
                        + Arrays.toString(shape) + "; expected rank 0, 1 or 2");
            }
            int o = v.offset();
            int size = v.size();
            backend.adafactorUpdate(params.slice(o, size), grads.slice(o, size), slots[0].slice(o, size), rows, cols,
                    hyper, counters, beta2Decay, epsilon1, epsilon2, clipThreshold);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("beta_2_decay", (double) beta2Decay);
        m.put("epsilon_1", (double) epsilon1);
        m.put("epsilon_2", (double) epsilon2);
        m.put("clip_threshold", (double) clipThreshold);
        m.put("relative_step", relativeStep);
        return m;
    }
}
