package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;

/**
 * AdamW (Loshchilov and Hutter, 2019) as Keras 3 computes it: {@link Adam}'s update preceded, every step, by the
 * decoupled weight decay {@code w -= w * weight_decay * lr} (Keras 3's AdamW is Adam with a weight decay that must
 * be set; here it is {@link GradientOptions#weightDecay()}, the same option every optimizer has):
 * <pre>
 * w -= w * weight_decay * lr
 * m  = m + (g - m) * (1 - beta1)
 * v  = v + (g^2 - v) * (1 - beta2)
 * w -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * </pre>
 * Keras defaults: learning rate 0.001, weight decay 0.004, beta1 0.9, beta2 0.999, epsilon 1e-7, no AMSGrad.
 */
public final class AdamW extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;
    public static final double DEFAULT_WEIGHT_DECAY = 0.004;

    /** The update without the decay: AdamW's moments and step are Adam's. */
    private final Adam adam;

    public AdamW() {
        this(DEFAULT_LEARNING_RATE);
    }

    public AdamW(double learningRate) {
        this(learningRate, DEFAULT_WEIGHT_DECAY, 0.9, 0.999, 1e-7, false);
    }

    public AdamW(double learningRate, double weightDecay, double beta1, double beta2, double epsilon,
                 boolean amsgrad) {
        super(learningRate);
        this.adam = new Adam(learningRate, beta1, beta2, epsilon, amsgrad);
        setGradientOptions(GradientOptions.NONE.withWeightDecay(weightDecay));
    }

    @Override
    public String name() {
        return "adamw";
    }

    @Override
    public float[] slotInitialValues() {
        return adam.slotInitialValues();
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n, Slice hyper,
                       Slice counters) {
        adam.update(backend, params, grads, slots, n, hyper, counters);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        Map<String, Object> moments = adam.config();
        moments.remove("learning_rate");
        m.putAll(moments);
        return m;
    }
}
