package dev.dendrite.backend;

/**
 * The noise family of a backend: {@link Backend#gaussianNoise} and {@link Backend#gaussianDropout} (one function),
 * {@link Backend#alphaDropoutForward} and {@link Backend#alphaDropoutBackward}, called by {@link AbstractBackend}
 * once their checks have passed. Each is a function of (seed, i, counters[COUNTER_STEP], stream) defined by
 * {@link Noise}; {@code out} may alias {@code in}.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface NoiseOps {
    /**
     * {@code out = in * (1 + mul * z(i)) + add * z(i)}: GaussianNoise with {@code add = stddev, mul = 0},
     * GaussianDropout with {@code add = 0, mul = sqrt(rate / (1 - rate))}.
     */
    void gaussian(Slice in, Slice out, int n, float add, float mul, long seed, int stream, Slice counters);

    /**
     * {@code out = kept(i) ? a * in + b : dropped} with {@code kept(i) = Philox.uniform(...) >= rate}; {@code op}
     * names the pass, for error messages.
     */
    void alphaDropout(String op, Slice in, Slice out, int n, float rate, float a, float b, float dropped, long seed,
                      int stream, Slice counters);
}
