package dev.dendrite.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.experiments.RunResult;
import dev.dendrite.model.History;

/**
 * What one task sends back: the run's figures, history and predictions as plain serializable values (a
 * {@link RunResult} holds a {@code Path} and a {@code History}, which do not travel), or, for a configuration
 * that failed on its own, the message saying why. Also where and how it ran: executor, host, attempt, backend.
 */
final class RunOutcome implements Serializable {
    private static final long serialVersionUID = 1L;

    final String id;
    final String name;
    final long seed;
    final String error; // null when the run completed
    final LinkedHashMap<String, Object> config = new LinkedHashMap<>();
    final ArrayList<Integer> epochs = new ArrayList<>();
    final LinkedHashMap<String, ArrayList<Double>> history = new LinkedHashMap<>();
    int bestEpoch;
    double bestValAccuracy = Double.NaN;
    double testLoss = Double.NaN;
    double testAccuracy = Double.NaN;
    double finalLoss = Double.NaN;
    double seconds = Double.NaN;
    long parameters;
    int[] predictions;
    String model;
    String backend;
    String executor;
    String host;
    int attempt;

    private RunOutcome(RunSpec spec, String error) {
        this.id = spec.id();
        this.name = spec.name();
        this.seed = spec.seed();
        this.error = error;
    }

    static RunOutcome failed(RunSpec spec, String message) {
        return new RunOutcome(spec, message);
    }

    static RunOutcome completed(RunSpec spec, RunResult r, String backend) {
        RunOutcome o = new RunOutcome(spec, null);
        o.config.putAll(r.config());
        o.epochs.addAll(r.history().epochs());
        r.history().history().forEach((k, v) -> o.history.put(k, new ArrayList<>(v)));
        o.bestEpoch = r.bestEpoch();
        o.bestValAccuracy = r.bestValAccuracy();
        o.testLoss = r.testLoss();
        o.testAccuracy = r.testAccuracy();
        o.finalLoss = r.finalLoss();
        o.seconds = r.seconds();
        o.parameters = r.parameters();
        o.predictions = r.predictions();
        o.model = r.model() == null ? null : r.model().toString();
        o.backend = backend;
        return o;
    }

    boolean ok() {
        return error == null;
    }

    /** The run as a local comparison reports it (only for a completed run). */
    RunResult toRunResult() {
        History h = new History();
        for (int i = 0; i < epochs.size(); i++) {
            Map<String, Double> logs = new LinkedHashMap<>();
            for (Map.Entry<String, ArrayList<Double>> e : history.entrySet()) {
                logs.put(e.getKey(), e.getValue().get(i));
            }
            h.record(epochs.get(i), logs);
        }
        return new RunResult(id, config, h, bestEpoch, bestValAccuracy, testLoss, testAccuracy, finalLoss, seconds,
                parameters, predictions, model == null ? null : Path.of(model));
    }

    /** The first epoch whose training loss is NaN or infinite, or -1. */
    int firstNonFiniteLoss() {
        List<Double> loss = history.get("loss");
        for (int i = 0; loss != null && i < loss.size(); i++) {
            if (!Double.isFinite(loss.get(i))) {
                return epochs.get(i);
            }
        }
        return -1;
    }
}
