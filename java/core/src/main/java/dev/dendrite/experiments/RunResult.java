package dev.dendrite.experiments;

import java.nio.file.Path;
import java.util.Map;

import dev.dendrite.model.History;

/**
 * What one run of a {@link Comparison} gave. The best epoch is the one with the highest validation accuracy; the
 * test figures and the saved model are those of the weights at the end of that epoch.
 *
 * @param name             the run's name
 * @param config           its settings, as given
 * @param history          every epoch's metrics
 * @param bestEpoch        1-based epoch of the best validation accuracy
 * @param bestValAccuracy  that accuracy
 * @param testLoss         test loss of the best weights
 * @param testAccuracy     test accuracy of the best weights
 * @param finalLoss        training loss of the last epoch
 * @param seconds          wall time of fit (all epochs, validation included)
 * @param parameters       trainable parameters
 * @param predictions      the best weights' predicted class of every test image
 * @param model            where the best model was saved, or null when nothing was saved
 */
public record RunResult(String name, Map<String, Object> config, History history, int bestEpoch,
        double bestValAccuracy, double testLoss, double testAccuracy, double finalLoss, double seconds,
        long parameters, int[] predictions, Path model) {
}
