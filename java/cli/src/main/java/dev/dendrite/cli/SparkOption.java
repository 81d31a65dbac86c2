package dev.dendrite.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Map;

import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;

/**
 * {@code compare --spark MASTER}: hands the runs to dendrite-spark's {@code CompareOnSpark}, found by name, so
 * that dendrite-cli.jar carries no Spark (its jars are 277 MiB) and works as before without it.
 */
final class SparkOption {
    static final String BRIDGE = "dev.dendrite.spark.CompareOnSpark";

    private SparkOption() {
    }

    /** The bridge's entry point, or an exception saying how to put dendrite-spark and Spark on the class path. */
    static Method entry(String master) {
        try {
            Class.forName("org.apache.spark.sql.SparkSession"); // dendrite-spark alone is not enough
            return Class.forName(BRIDGE).getMethod("run", String.class, TrainTest.class, Map.class, int.class,
                    String.class, long.class, Path.class, String.class, PrintStream.class);
        } catch (ClassNotFoundException | NoClassDefFoundError | NoSuchMethodException e) {
            throw new IllegalArgumentException("--spark " + master + " needs dendrite-spark and Apache Spark 4 "
                    + "(Scala 2.13) on the class path, e.g. java -cp dendrite-cli.jar:dendrite-spark.jar:"
                    + "$SPARK_HOME/jars/* dev.dendrite.cli.Main compare ... (not found: " + e.getMessage() + ")");
        }
    }

    static ComparisonResult run(Method entry, String master, TrainTest data, Map<String, RunConfig> runs,
            int validation, String preprocess, long seed, Path modelDir, String datasetName) throws Exception {
        try {
            return (ComparisonResult) entry.invoke(null, master, data, runs, validation, preprocess, seed, modelDir,
                    datasetName, System.out);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
