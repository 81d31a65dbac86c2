package dev.dendrite.backend;

/**
 * The learning-rate schedules of {@code keras.optimizers.schedules} as functions of the step, in float as Keras
 * computes them: the Java twin of {@code kernels/common/optimizer_options.h} (same kinds, same parameter layouts,
 * same operations in the same order). The CPU backend runs it as its {@link Backend#learningRateSchedule}, and the
 * host uses it to report the rate a step will use (Keras's {@code optimizer.learning_rate}) without reading the
 * device. The schedule classes in {@code dev.dendrite.optimizers.schedules} say what each parameter means.
 */
public final class ScheduleMath {
    /** {@code initial, decay_steps, decay_rate, staircase}: {@code initial * rate^(step / decay_steps)}. */
    public static final int EXPONENTIAL = 1;
    /** {@code initial, decay_steps, decay_rate, staircase}: {@code initial / (1 + rate * step / decay_steps)}. */
    public static final int INVERSE_TIME = 2;
    /** {@code k, boundaries[k], values[k + 1]}. */
    public static final int PIECEWISE = 3;
    /** {@code initial, decay_steps, end, power, cycle}. */
    public static final int POLYNOMIAL = 4;
    /** {@code initial, decay_steps, alpha, has_warmup, warmup_target, warmup_steps}. */
    public static final int COSINE = 5;
    /** {@code initial, first_decay_steps, t_mul, m_mul, alpha}. */
    public static final int RESTARTS = 6;
    /** {@code decay}: Keras 2's {@code base * (1 / (1 + decay * step))}, base being the optimizer's settable rate. */
    public static final int LEGACY_DECAY = 7;

    private static final float PI = (float) Math.PI;

    private ScheduleMath() {
    }

    /**
     * The fewest parameters a schedule of {@code kind} has (a piecewise schedule has {@code 2k + 2}).
     *
     * @throws IllegalArgumentException naming an unknown kind
     */
    public static int minimumLength(int kind) {
        switch (kind) {
            case EXPONENTIAL:
            case INVERSE_TIME:
                return 4;
            case PIECEWISE:
                return 4;
            case POLYNOMIAL:
            case RESTARTS:
                return 5;
            case COSINE:
                return 6;
            case LEGACY_DECAY:
                return 1;
            default:
                throw new IllegalArgumentException("schedule kind " + kind + "; expected 1 to 7 (ScheduleMath)");
        }
    }

    /** The rate of schedule {@code kind} with parameters {@code p[o..]} at {@code step}; {@code base} for LEGACY_DECAY. */
    public static float learningRate(int kind, float[] p, int o, float step, float base) {
        switch (kind) {
            case EXPONENTIAL:
            case INVERSE_TIME: {
                float q = step / p[o + 1];
                if (p[o + 3] != 0f) {
                    q = (float) Math.floor(q);
                }
                return kind == EXPONENTIAL ? p[o] * pow(p[o + 2], q) : p[o] / (1f + p[o + 2] * q);
            }
            case PIECEWISE: {
                int k = (int) p[o];
                int b = o + 1;
                int v = o + 1 + k;
                if (step <= p[b]) {
                    return p[v];
                }
                for (int i = 0; i + 1 < k; i++) {
                    if (step > p[b + i] && step <= p[b + i + 1]) {
                        return p[v + i + 1];
                    }
                }
                return p[v + k];
            }
            case POLYNOMIAL: {
                float decaySteps = p[o + 1];
                if (p[o + 4] != 0f) {
                    decaySteps *= step == 0f ? 1f : (float) Math.ceil(step / p[o + 1]);
                } else {
                    step = Math.min(step, decaySteps);
                }
                return (p[o] - p[o + 2]) * pow(1f - step / decaySteps, p[o + 3]) + p[o + 2];
            }
            case COSINE: {
                if (p[o + 3] == 0f) {
                    return cosineDecay(Math.min(step, p[o + 1]), p[o + 1], p[o], p[o + 2]);
                }
                float target = p[o + 4];
                float warmup = p[o + 5];
                step = Math.min(step, p[o + 1] + warmup);
                if (step < warmup) {
                    return (target - p[o]) * (step / warmup) + p[o];
                }
                return cosineDecay(step - warmup, p[o + 1], target, p[o + 2]);
            }
            case RESTARTS: {
                float fraction = step / p[o + 1];
                float tMul = p[o + 2];
                float restart;
                if (tMul == 1f) {
                    restart = (float) Math.floor(fraction);
                    fraction -= restart;
                } else {
                    restart = (float) Math.floor((float) Math.log(1f - fraction * (1f - tMul)) / (float) Math.log(tMul));
                    float done = (1f - pow(tMul, restart)) / (1f - tMul);
                    fraction = (fraction - done) / pow(tMul, restart);
                }
                float cosine = 0.5f * pow(p[o + 3], restart) * (1f + (float) Math.cos(PI * fraction));
                return p[o] * ((1f - p[o + 4]) * cosine + p[o + 4]);
            }
            case LEGACY_DECAY:
                return base * (1f / (1f + p[o] * step));
            default:
                throw new IllegalArgumentException("schedule kind " + kind + "; expected 1 to 7 (ScheduleMath)");
        }
    }

    private static float cosineDecay(float step, float decaySteps, float from, float alpha) {
        float cosine = 0.5f * (1f + (float) Math.cos(PI * (step / decaySteps)));
        return from * ((1f - alpha) * cosine + alpha);
    }

    private static float pow(float a, float b) {
        return (float) Math.pow(a, b);
    }
}
