package dev.dendrite.losses;

import dev.dendrite.backend.RegressionKind;

/**
 * Keras's {@code LogCosh} loss ({@code "log_cosh"}): a sample's loss is {@code mean(log(cosh(pred - target)))}, about
 * {@code d^2 / 2} for small errors and {@code |d| - log 2} for large ones, so a smooth loss that outliers sway like
 * the absolute error; its gradient is {@code tanh(pred - target) / outputs}. Computed without the cancellation of
 * Keras's float32 formula for small errors (kernels/common/losses.h, {@code dendrite_log_cosh}).
 */
public final class LogCosh extends RegressionLoss {
    @Override
    public String name() {
        return "log_cosh";
    }

    @Override
    RegressionKind kind() {
        return RegressionKind.LOG_COSH;
    }
}
