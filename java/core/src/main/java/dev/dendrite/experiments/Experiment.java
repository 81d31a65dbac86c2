package dev.dendrite.experiments;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Optimizer;

/**
 * One named run of a {@link Comparison}: how to make its model (layers only; the comparison builds it on the
 * shared data's shape with the shared seed), its optimizer, its fit settings and callbacks, and a description
 * of its configuration for the report. Each part is a factory, so that every run (and a run on another
 * thread) starts from fresh objects and state.
 *
 * @param name      the run's name in tables, legends and file names
 * @param model     a new, unbuilt model (e.g. {@code () -> new Sequential(new Input(28, 28), ...)})
 * @param optimizer a new optimizer
 * @param epochs    epochs to train
 * @param batchSize training batch size
 * @param callbacks new callbacks (e.g. EarlyStopping); may return an empty list
 * @param config    the settings to show in the report
 */
public record Experiment(String name, Supplier<Sequential> model, Supplier<Optimizer> optimizer, int epochs,
        int batchSize, Supplier<List<Callback>> callbacks, Map<String, Object> config) {

    public Experiment {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an experiment needs a non-empty name; got '" + name + "'");
        }
        if (epochs < 1 || batchSize < 1) {
            throw new IllegalArgumentException("experiment '" + name + "' has epochs " + epochs + " and batch size "
                    + batchSize + "; expected both >= 1");
        }
        config = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(config)); // keeps the order
    }

    /** A run from a flat configuration, for samples of {@code sampleShape} in {@code classes} classes. */
    public static Experiment of(String name, RunConfig config, int[] sampleShape, int classes, int verbose) {
        return new Experiment(name, () -> config.model(sampleShape, classes), config::optimizer, config.epochs(),
                config.batchSize(), () -> config.callbacks(true, verbose), config.toMap());
    }
}
