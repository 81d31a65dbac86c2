package dev.dendrite.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import org.apache.spark.sql.SparkSession;

import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;

/**
 * What {@code dendrite compare --spark MASTER} calls (by name, through reflection, so that the CLI carries no
 * Spark): the comparison's runs as Spark tasks on {@code master}, the result as a local compare's.
 */
public final class CompareOnSpark {
    private CompareOnSpark() {
    }

    /**
     * Runs every configuration with {@code seed} on {@code master} (a session already running in this JVM is used
     * as it is, and left running), prints one line per configuration that failed on its own, and returns the
     * completed runs.
     *
     * @throws IllegalStateException if every run failed
     */
    public static ComparisonResult run(String master, TrainTest data, Map<String, RunConfig> runs, int validation,
            String preprocess, long seed, Path modelDir, String datasetName, PrintStream out) throws IOException {
        boolean running = SparkSession.getDefaultSession().isDefined();
        SparkSession spark = SparkSession.builder().master(master).appName("dendrite compare").getOrCreate();
        try {
            SparkComparison c = new SparkComparison(data).validation(validation).preprocess(preprocess).seeds(seed)
                    .saveModels(modelDir).datasetName(datasetName);
            runs.forEach(c::add);
            SparkComparisonResult r = c.run(spark);
            for (SparkComparisonResult.Failure f : r.failed()) {
                out.println("Run '" + f.run() + "' failed: " + f.message());
            }
            out.printf(java.util.Locale.ROOT, "Spark (%s): %d runs in %.1f s, %d failed%n", master,
                    runs.size(), r.seconds(), r.failed().size());
            return r.comparison();
        } finally {
            if (!running) {
                spark.stop();
            }
        }
    }
}
