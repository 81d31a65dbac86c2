package dev.dendrite.losses;

import java.util.Map;

import dev.dendrite.backend.RegressionKind;

/**
 * Keras's {@code Huber} loss ({@code "huber"}, {@code delta} 1.0 by default): for each output's error
 * {@code d = pred - target}, {@code 0.5 d^2} where {@code |d| <= delta}, else {@code delta (|d| - 0.5 delta)}; the
 * mean over the outputs. Squared near zero, absolute in the tails: the regression notebook's remedy for outliers.
 */
public final class Huber extends RegressionLoss {
    /** Keras's default delta. */
    public static final double DEFAULT_DELTA = 1.0;

    private final float delta;

    public Huber() {
        this(DEFAULT_DELTA);
    }

    /** @throws IllegalArgumentException for a delta that is not positive and finite */
    public Huber(double delta) {
        if (!(delta > 0) || !Double.isFinite(delta)) {
            throw new IllegalArgumentException("Huber delta " + delta + "; expected a finite value > 0");
        }
        this.delta = (float) delta;
    }

    @Override
    public String name() {
        return "huber";
    }

    @Override
    RegressionKind kind() {
        return RegressionKind.HUBER;
    }

    @Override
    float delta() {
        return delta;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("delta", (double) delta);
    }
}
