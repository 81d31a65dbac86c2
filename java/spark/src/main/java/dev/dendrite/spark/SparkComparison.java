package dev.dendrite.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.Comparison;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;
import dev.dendrite.model.Sequential;

/**
 * A comparison or hyper-parameter sweep whose runs are Apache Spark tasks, one per configuration and seed:
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate();   // or spark-submit's
 * SparkComparisonResult r = new SparkComparison(FashionMnist.load())
 *         .add("relu", new RunConfig().with("activation", "relu"))
 *         .add("selu", new RunConfig().with("activation", "selu"))
 *         .seeds(1, 2, 3)
 *         .run(spark);
 * System.out.print(r.comparison().table());
 * r.writeTo(Path.of("compare-out"));   // the local compare's CSV, JSON, charts and report.html, plus failed.csv
 * r.dataset(spark).show();             // one row per run, as a Spark Dataset
 * }</pre>
 * Each run trains exactly as a local {@link Comparison} of the same configuration and seed would (same split,
 * preprocessing, initialisation and shuffling), so on the cpu backend its figures are bit-identical to the
 * local ones. The data set is broadcast: each executor receives it once.
 */
public final class SparkComparison {
    private final TrainTest data;
    private final Map<String, RunConfig> configs = new LinkedHashMap<>();
    private long[] seeds = {Sequential.DEFAULT_SEED};
    private int validation = 10_000;
    private String preprocess = "scale";
    private Path modelDir;
    private String datasetName;

    public SparkComparison(TrainTest data) {
        this.data = data;
    }

    /** Adds a configuration; it runs once per seed. */
    public SparkComparison add(String name, RunConfig config) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a run needs a non-empty name; got '" + name + "'");
        }
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("two configurations are named '" + name + "'; names must differ");
        }
        configs.put(name, config);
        return this;
    }

    /** The seeds every configuration runs with (default: one run with 42); several give one task per seed. */
    public SparkComparison seeds(long... seeds) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("no seeds given; expected at least one");
        }
        Set<Long> seen = new LinkedHashSet<>();
        for (long s : seeds) {
            if (!seen.add(s)) {
                throw new IllegalArgumentException("seed " + s + " is given twice; expected distinct seeds");
            }
        }
        this.seeds = seeds.clone();
        return this;
    }

    /** As {@link Comparison#validation}. */
    public SparkComparison validation(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("validation is " + n + "; expected at least 1 held-out image");
        }
        this.validation = n;
        return this;
    }

    /** As {@link Comparison#preprocess}. */
    public SparkComparison preprocess(String kind) {
        Preprocessing.Kind.parse(kind);
        this.preprocess = kind;
        return this;
    }

    /**
     * Saves each run's best model as {@code DIR/<run>.safetensors}, written atomically by the executor that
     * trained it; on a cluster {@code dir} must be a path every executor can write (a shared file system).
     */
    public SparkComparison saveModels(Path dir) {
        this.modelDir = dir;
        return this;
    }

    /** As {@link Comparison#datasetName}. */
    public SparkComparison datasetName(String name) {
        this.datasetName = name;
        return this;
    }

    /**
     * The runs, one per configuration and seed, in the order they were added, seeds inner. A run's id and name
     * is the configuration's name, followed by {@code " seed N"} when there are several seeds.
     */
    List<RunSpec> plan() {
        List<RunSpec> specs = new ArrayList<>();
        for (Map.Entry<String, RunConfig> c : configs.entrySet()) {
            for (long seed : seeds) {
                String id = seeds.length == 1 ? c.getKey() : c.getKey() + " seed " + seed;
                specs.add(new RunSpec(id, c.getKey(), seed, c.getValue()));
            }
        }
        return specs;
    }

    /**
     * Runs every configuration and seed as one Spark task each and waits for all of them. A configuration that
     * fails on its own is in {@link SparkComparisonResult#failed()}; a task whose executor was lost is retried by
     * Spark (up to {@code spark.task.maxFailures}), and each run is counted once, by its id.
     *
     * @throws IllegalStateException if nothing was added
     * @throws IOException if the model directory cannot be created
     */
    public SparkComparisonResult run(SparkSession spark) throws IOException {
        List<RunSpec> specs = plan();
        if (specs.isEmpty()) {
            throw new IllegalStateException("nothing to compare: add at least one configuration");
        }
        if (modelDir != null) {
            Files.createDirectories(modelDir);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ShippedData> shipped = jsc.broadcast(ShippedData.of(data));
        try {
            // One partition per run, so that each run is its own task: scheduled, retried and timed alone.
            JavaRDD<RunSpec> rdd = jsc.parallelize(specs, specs.size());
            TrainTask task = new TrainTask(shipped, validation, preprocess,
                    modelDir == null ? null : modelDir.toAbsolutePath().toString(), datasetName);
            long t0 = System.nanoTime();
            List<RunOutcome> collected = rdd.map(task).collect();
            double seconds = (System.nanoTime() - t0) / 1e9;
            return SparkComparisonResult.of(specs, collected, data, setup(spark, specs.size()), seconds);
        } finally {
            shipped.destroy();
        }
    }

    private Map<String, Object> setup(SparkSession spark, int runs) {
        Map<String, Object> setup = new LinkedHashMap<>();
        int n = data.train().size();
        int holdOut = validation < n ? validation : n / 6;
        setup.put("data", data.source());
        setup.put("train_images", n - holdOut);
        setup.put("validation_images", holdOut + " (the first of the training file)");
        setup.put("test_images", data.test().size());
        setup.put("preprocessing", preprocess);
        List<Object> s = new ArrayList<>();
        for (long seed : seeds) {
            s.add(seed);
        }
        setup.put("seed", seeds.length == 1 ? (Object) seeds[0] : s);
        setup.put("spark_master", spark.sparkContext().master());
        setup.put("spark_tasks", runs);
        return setup;
    }
}
