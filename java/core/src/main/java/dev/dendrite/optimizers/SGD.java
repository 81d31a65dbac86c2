package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * Stochastic gradient descent, Keras's formula. Plain: {@code w -= lr * g}. With momentum:
 * {@code v = momentum * v - lr * g; w += v}, and with Nesterov {@code w += momentum * v - lr * g}.
 * Keras defaults: learning rate 0.01, momentum 0, no Nesterov.
 */
public final class SGD extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.01;

    private final float momentum;
    private final boolean nesterov;

    /** With a learning-rate schedule (Keras's {@code SGD(learning_rate=schedule)}) and the other defaults. */
    public SGD(LearningRateSchedule learningRate) {
        this();
        setLearningRate(learningRate);
    }

    public SGD() {
        this(DEFAULT_LEARNING_RATE, 0, false);
    }

    public SGD(double learningRate) {
        this(learningRate, 0, false);
    }

    public SGD(double learningRate, double momentum) {
        this(learningRate, momentum, false);
    }

    public SGD(double learningRate, double momentum, boolean nesterov) {
        super(learningRate);
        checkRange("SGD momentum", momentum, 0, 1, true);
        this.momentum = (float) momentum;
        this.nesterov = nesterov;
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public float[] slotInitialValues() {
        return momentum == 0 ? new float[0] : new float[] {0f};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n,
                       Slice hyper, Slice counters) {
        backend.sgdUpdate(params, grads, momentum == 0 ? null : slots[0], n, hyper, momentum, nesterov);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("momentum", (double) momentum);
        m.put("nesterov", nesterov);
        return m;
    }
}
