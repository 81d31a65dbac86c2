package dev.dendrite.optimizers;

import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * Adagrad (Duchi et al., 2011) as Keras computes it: {@code acc += g^2; w -= lr * g / sqrt(acc + epsilon)},
 * with the accumulator starting at {@code initial_accumulator_value}. Keras defaults: learning rate 0.001,
 * initial accumulator 0.1, epsilon 1e-7.
 */
public final class Adagrad extends Optimizer {
    public static final double DEFAULT_LEARNING_RATE = 0.001;

    private final float initialAccumulator;
    private final float epsilon;

    /** With a learning-rate schedule (Keras's {@code Adagrad(learning_rate=schedule)}) and the other defaults. */
    public Adagrad(LearningRateSchedule learningRate) {
        this();
        setLearningRate(learningRate);
    }

    public Adagrad() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adagrad(double learningRate) {
        this(learningRate, 0.1, 1e-7);
    }

    public Adagrad(double learningRate, double initialAccumulatorValue, double epsilon) {
        super(learningRate);
        checkRange("Adagrad initial_accumulator_value", initialAccumulatorValue, 0, Double.MAX_VALUE, true);
        checkRange("Adagrad epsilon", epsilon, 0, Double.MAX_VALUE, true);
        this.initialAccumulator = (float) initialAccumulatorValue;
        this.epsilon = (float) epsilon;
    }

    @Override
    public String name() {
        return "adagrad";
    }

    @Override
    public float[] slotInitialValues() {
        return new float[] {initialAccumulator};
    }

    @Override
    public boolean updatesEachParameterAlone() {
        return true;
    }

    @Override
    public void update(Backend backend, Slice params, Slice grads, Slice[] slots, int n,
                       Slice hyper, Slice counters) {
        backend.adagradUpdate(params, grads, slots[0], n, hyper, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("initial_accumulator_value", (double) initialAccumulator);
        m.put("epsilon", (double) epsilon);
        return m;
    }
}
