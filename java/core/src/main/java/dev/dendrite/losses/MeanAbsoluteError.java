package dev.dendrite.losses;

import dev.dendrite.backend.RegressionKind;

/**
 * Keras's {@code mean_absolute_error} ({@code "mae"}): a sample's loss is {@code mean(|pred - target|)}, less swayed
 * by outliers than the squared error; its gradient is {@code sign(pred - target) / outputs} (0 where they are equal).
 */
public final class MeanAbsoluteError extends RegressionLoss {
    @Override
    public String name() {
        return "mean_absolute_error";
    }

    @Override
    RegressionKind kind() {
        return RegressionKind.ABSOLUTE_ERROR;
    }
}
