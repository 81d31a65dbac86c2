package dev.dendrite.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunResult;
import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Json;

/**
 * The runs of a {@link SparkComparison}: the completed ones as the same {@link ComparisonResult} a local compare
 * gives (table, CSV, JSON, charts, report), the failed ones with their messages, every run as a row of a Spark
 * {@link Dataset}, and where each ran.
 */
public final class SparkComparisonResult {
    /** A configuration that failed on its own, with the message saying why. */
    public record Failure(String run, long seed, String message) {
    }

    private final ComparisonResult comparison;
    private final List<Failure> failed;
    private final List<RunOutcome> outcomes;
    private final double seconds;

    private SparkComparisonResult(ComparisonResult comparison, List<Failure> failed, List<RunOutcome> outcomes,
            double seconds) {
        this.comparison = comparison;
        this.failed = List.copyOf(failed);
        this.outcomes = List.copyOf(outcomes);
        this.seconds = seconds;
    }

    /**
     * Keys what the tasks returned by run id, keeping one outcome per run (a run that Spark ran twice is counted
     * once), in the order of {@code specs}.
     *
     * @throws IllegalStateException if a planned run has no outcome or an outcome belongs to no planned run
     */
    static SparkComparisonResult of(List<RunSpec> specs, List<RunOutcome> collected, TrainTest data,
            Map<String, Object> setup, double seconds) {
        Map<String, RunOutcome> byId = new LinkedHashMap<>();
        for (RunOutcome o : collected) {
            byId.putIfAbsent(o.id, o);
        }
        List<RunOutcome> ordered = new ArrayList<>();
        for (RunSpec s : specs) {
            RunOutcome o = byId.remove(s.id());
            if (o == null) {
                throw new IllegalStateException("run '" + s.id() + "' came back from no Spark task");
            }
            ordered.add(o);
        }
        if (!byId.isEmpty()) {
            throw new IllegalStateException("Spark returned runs that were not planned: " + byId.keySet());
        }
        List<RunResult> runs = new ArrayList<>();
        List<Failure> failed = new ArrayList<>();
        Set<String> backends = new LinkedHashSet<>();
        for (RunOutcome o : ordered) {
            if (o.ok()) {
                runs.add(o.toRunResult());
                backends.add(o.backend);
            } else {
                failed.add(new Failure(o.id, o.seed, o.error));
            }
        }
        Map<String, Object> s = new LinkedHashMap<>(setup);
        s.put("backend", String.join("; ", backends));
        s.put("failed_runs", failed.size());
        s.put("spark_seconds", seconds);
        return new SparkComparisonResult(runs.isEmpty() ? null
                : ComparisonResult.of(s, runs, data.classNames(), data.test()), failed, ordered, seconds);
    }

    /**
     * The completed runs as a local comparison reports them.
     *
     * @throws IllegalStateException if every run failed
     */
    public ComparisonResult comparison() {
        if (comparison == null) {
            throw new IllegalStateException("every run failed: " + failed);
        }
        return comparison;
    }

    /** The configurations that failed on their own, in the order they were added. */
    public List<Failure> failed() {
        return failed;
    }

    /** Wall time of the whole sweep on Spark, from submitting the tasks to the last result. */
    public double seconds() {
        return seconds;
    }

    /** The columns of {@link #dataset}. */
    public static final StructType SCHEMA = new StructType()
            .add("run", DataTypes.StringType, false)
            .add("config_name", DataTypes.StringType, false)
            .add("seed", DataTypes.LongType, false)
            .add("status", DataTypes.StringType, false)
            .add("message", DataTypes.StringType, true)
            .add("best_val_accuracy", DataTypes.DoubleType, false)
            .add("best_epoch", DataTypes.IntegerType, false)
            .add("test_accuracy", DataTypes.DoubleType, false)
            .add("test_loss", DataTypes.DoubleType, false)
            .add("final_loss", DataTypes.DoubleType, false)
            .add("seconds", DataTypes.DoubleType, false)
            .add("parameters", DataTypes.LongType, false)
            .add("model", DataTypes.StringType, true)
            .add("backend", DataTypes.StringType, true)
            .add("executor", DataTypes.StringType, true)
            .add("host", DataTypes.StringType, true)
            .add("attempt", DataTypes.IntegerType, false)
            .add("config", DataTypes.StringType, false)
            .add("history", DataTypes.StringType, false);

    /** Every run, completed ({@code status} "ok") or failed ("failed", with its message), as a Spark Dataset. */
    public Dataset<Row> dataset(SparkSession spark) {
        List<Row> rows = new ArrayList<>();
        for (RunOutcome o : outcomes) {
            Map<String, Object> h = new LinkedHashMap<>();
            List<Object> epochs = new ArrayList<>();
            o.epochs.forEach(e -> epochs.add(e + 1));
            h.put("epoch", epochs);
            o.history.forEach((k, v) -> h.put(k, v.stream().map(x -> Double.isFinite(x) ? x : null).toList()));
            rows.add(RowFactory.create(o.id, o.name, o.seed, o.ok() ? "ok" : "failed", o.error, o.bestValAccuracy,
                    o.bestEpoch, o.testAccuracy, o.testLoss, o.finalLoss, o.seconds, o.parameters, o.model,
                    o.backend, o.executor, o.host, o.attempt, Json.write(o.config, false), Json.write(h, false)));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    /** {@code run,seed,message}, one line per failed configuration. */
    public String failedCsv() {
        StringBuilder sb = new StringBuilder("run,seed,message\n");
        for (Failure f : failed) {
            sb.append(csv(f.run())).append(',').append(f.seed()).append(',').append(csv(f.message())).append('\n');
        }
        return sb.toString();
    }

    /**
     * Writes what {@link ComparisonResult#writeTo} writes for the completed runs, then {@code failed.csv} and
     * {@code runs.csv} (where and in which attempt each run ran). Returns the files written.
     */
    public List<Path> writeTo(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (comparison != null) {
            files.addAll(comparison.writeTo(dir));
        } else {
            java.nio.file.Files.createDirectories(dir);
        }
        Path f = dir.resolve("failed.csv");
        AtomicFiles.write(f, failedCsv().getBytes(StandardCharsets.UTF_8));
        files.add(f);
        StringBuilder sb = new StringBuilder("run,seed,status,executor,host,attempt,backend,seconds\n");
        for (RunOutcome o : outcomes) {
            sb.append(csv(o.id)).append(',').append(o.seed).append(',').append(o.ok() ? "ok" : "failed").append(',')
                    .append(csv(String.valueOf(o.executor))).append(',').append(csv(String.valueOf(o.host)))
                    .append(',').append(o.attempt).append(',').append(csv(String.valueOf(o.backend))).append(',')
                    .append(String.format(Locale.ROOT, "%.3f", o.seconds)).append('\n');
        }
        Path r = dir.resolve("runs.csv");
        AtomicFiles.write(r, sb.toString().getBytes(StandardCharsets.UTF_8));
        files.add(r);
        return files;
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
