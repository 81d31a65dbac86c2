package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * FTRL-proximal (McMahan et al., 2013) exactly as Keras 3 computes it, with {@code e = -learning_rate_power},
 * {@code l2 = l2_regularization_strength + beta / (2 lr)} and the accumulator starting at
 * {@code initial_accumulator_value}, the linear term at 0:
 * <pre>
 * acc'    = acc + g^2
 * linear += g + 2 * l2_shrinkage * w - (acc'^e - acc^e) / lr * w
 * w       = (clip(linear, -l1, l1) - linear) / (acc'^e / lr + 2 * l2)
 * acc     = acc'
 * </pre>
 * Keras defaults: learning rate 0.001, learning_rate_power -0.5, initial_accumulator_value 0.1, the three
 * regularisation strengths and beta 0.
 */
public final class Ftrl extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float learningRatePower;
    private final float initialAccumulatorValue;
    private final float l1;
    private final float l2;
    private final float l2Shrinkage;
    private final float beta;

    public Ftrl() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Ftrl(double learningRate) {
        this(learningRate, -0.5, 0.1, 0, 0, 0, 0);
    }

    /**
     * @param l1          Keras's {@code l1_regularization_strength}
     * @param l2          Keras's {@code l2_regularization_strength}
     * @param l2Shrinkage Keras's {@code l2_shrinkage_regularization_strength}
     */
    public Ftrl(double learningRate, double learningRatePower, double initialAccumulatorValue, double l1, double l2,
                double l2Shrinkage, double beta) {
        super(learningRate);
        checkRange("Ftrl learning_rate_power", learningRatePower, -Double.MAX_VALUE, 0, true);
        checkRange("Ftrl initial_accumulator_value", initialAccumulatorValue, 0, Double.MAX_VALUE, true);
        checkRange("Ftrl l1_regularization_strength", l1, 0, Double.MAX_VALUE, true);
        checkRange("Ftrl l2_regularization_strength", l2, 0, Double.MAX_VALUE, true);
        checkRange("Ftrl l2_shrinkage_regularization_strength", l2Shrinkage, 0, Double.MAX_VALUE, true);
        checkRange("Ftrl beta", beta, 0, Double.MAX_VALUE, true);
        this.learningRatePower = (float) learningRatePower;
        this.initialAccumulatorValue = (float) initialAccumulatorValue;
        this.l1 = (float) l1;
        this.l2 = (float) l2;
        this.l2Shrinkage = (float) l2Shrinkage;
        this.beta = (float) beta;
    }

    @Override
    public String name() {
        return "ftrl";
    }

    /** The accumulator (from {@code initial_accumulator_value}) and the linear term (from 0). */
    @Override
    public float[] slotInitialValues() {
        return new float[] {initialAccumulatorValue, 0f};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        backend.ftrlUpdate(params, grads, slots[0], slots[1], n, hyper, learningRatePower, l1, l2, l2Shrinkage, beta);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("learning_rate_power", (double) learningRatePower);
        m.put("initial_accumulator_value", (double) initialAccumulatorValue);
        m.put("l1_regularization_strength", (double) l1);
        m.put("l2_regularization_strength", (double) l2);
        m.put("l2_shrinkage_regularization_strength", (double) l2Shrinkage);
        m.put("beta", (double) beta);
        return m;
    }
}
