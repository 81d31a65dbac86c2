package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * Adam (Kingma and Ba, 2015) exactly as Keras computes it, with {@code t} the 1-based step:
 * <pre>
 * m  = m + (g - m) * (1 - beta1)
 * v  = v + (g^2 - v) * (1 - beta2)
 * w -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * </pre>
 * Note Keras's placement of epsilon: it is added after the bias corrections are folded into the step size
 * (the paper's "epsilon hat"), which differs slightly from PyTorch. AMSGrad keeps the running maximum of
 * {@code v}. Keras defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
public final class Adam extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean amsgrad;

    /** With a learning-rate schedule (Keras's {@code Adam(learning_rate=schedule)}) and the other defaults. */
    public Adam(LearningRateSchedule learningRate) {
        this();
        setLearningRate(learningRate);
    }

    public Adam() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7, false);
    }

    public Adam(double learningRate, double beta1, double beta2, double epsilon, boolean amsgrad) {
        super(learningRate);
        checkRange("Adam beta_1", beta1, 0, 1, false);
        checkRange("Adam beta_2", beta2, 0, 1, false);
        checkRange("Adam epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.epsilon = (float) epsilon;
        this.amsgrad = amsgrad;
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public float[] slotInitialValues() {
        return amsgrad ? new float[] {0f, 0f, 0f} : new float[] {0f, 0f};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n,
                       Slice hyper, Slice counters) {
        backend.adamUpdate(params, grads, slots[0], slots[1], amsgrad ? slots[2] : null, n, hyper, counters,
                beta1, beta2, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("beta_1", (double) beta1);
        m.put("beta_2", (double) beta2);
        m.put("epsilon", (double) epsilon);
        m.put("amsgrad", amsgrad);
        return m;
    }
}
