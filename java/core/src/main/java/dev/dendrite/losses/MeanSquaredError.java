package dev.dendrite.losses;

import dev.dendrite.backend.RegressionKind;

/** Keras's {@code mean_squared_error} ({@code "mse"}): a sample's loss is {@code mean((pred - target)^2)}. */
public final class MeanSquaredError extends RegressionLoss {
    @Override
    public String name() {
        return "mean_squared_error";
    }

    @Override
    RegressionKind kind() {
        return RegressionKind.SQUARED_ERROR;
    }
}
