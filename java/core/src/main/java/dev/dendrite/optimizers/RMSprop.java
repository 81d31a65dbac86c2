package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * RMSprop (Hinton's lecture 6e) as Keras computes it:
 * <pre>
 * ms  = rho * ms + (1 - rho) * g^2
 * mg  = rho * mg + (1 - rho) * g          (centered only; then denom = ms - mg^2, else denom = ms)
 * inc = lr * g / sqrt(denom + epsilon)
 * mom = momentum * mom + inc; w -= mom    (with momentum; else w -= inc)
 * </pre>
 * Keras defaults: learning rate 0.001, rho 0.9, momentum 0, epsilon 1e-7, not centered.
 */
public final class RMSprop extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float rho;
    private final float momentum;
    private final float epsilon;
    private final boolean centered;

    /** With a learning-rate schedule (Keras's {@code RMSprop(learning_rate=schedule)}) and the other defaults. */
    public RMSprop(LearningRateSchedule learningRate) {
        this();
        setLearningRate(learningRate);
    }

    public RMSprop() {
        this(DEFAULT_LEARNING_RATE);
    }

    public RMSprop(double learningRate) {
        this(learningRate, 0.9, 0, 1e-7, false);
    }

    public RMSprop(double learningRate, double rho, double momentum, double epsilon, boolean centered) {
        super(learningRate);
        checkRange("RMSprop rho", rho, 0, 1, false);
        checkRange("RMSprop momentum", momentum, 0, 1, true);
        checkRange("RMSprop epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.rho = (float) rho;
        this.momentum = (float) momentum;
        this.epsilon = (float) epsilon;
        this.centered = centered;
    }

    @Override
    public String name() {
        return "rmsprop";
    }

    /** Slots: mean square, then momentum (if any), then mean gradient (if centered). */
    @Override
    public float[] slotInitialValues() {
        return new float[1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0)];
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n,
                       Slice hyper, Slice counters) {
        int i = 1;
        Slice mom = momentum > 0 ? slots[i++] : null;
        Slice mg = centered ? slots[i] : null;
        backend.rmspropUpdate(params, grads, slots[0], mom, mg, n, hyper, rho, momentum, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("rho", (double) rho);
        m.put("momentum", (double) momentum);
        m.put("epsilon", (double) epsilon);
        m.put("centered", centered);
        return m;
    }
}
