package dev.dendrite.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.Comparison;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;
import dev.dendrite.experiments.RunResult;

/**
 * A sweep on Spark's {@code local[2]} master (two executor threads in this JVM), on the bundled 3000/1000
 * Fashion-MNIST sample with small nets: its runs match the same configurations and seeds run by a local
 * {@link Comparison} on the cpu backend bit for bit, and configurations that fail on their own come back failed.
 */
class SparkComparisonTest {
    private static TrainTest data;
    private static SparkSession spark;

    @BeforeAll
    static void start() throws IOException {
        data = FashionMnist.loadSample();
        spark = SparkSession.builder().master("local[2]").appName("dendrite-spark-test")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static RunConfig small() {
        return new RunConfig().with("layers", "32").with("epochs", "2").with("batch_size", "64");
    }

    @Test
    void sweepOnLocal2IsBitIdenticalToLocalRunsAndReportsFailedConfigurations(@TempDir Path dir) throws IOException {
        Map<String, RunConfig> good = new LinkedHashMap<>();
        good.put("relu", small());
        good.put("tanh sgd", small().with("activation", "tanh").with("optimizer", "sgd").with("momentum", "0.9"));
        long[] seeds = {3, 11};
        SparkComparison sweep = new SparkComparison(data).validation(500).seeds(seeds).saveModels(dir.resolve("m"));
        good.forEach(sweep::add);
        // Fails on its own on the executor: SGD refuses momentum 1.5 when the optimizer is made.
        sweep.add("bad momentum", small().with("optimizer", "sgd").with("momentum", "1.5"));
        // Fails on its own while training: the loss overflows to NaN.
        sweep.add("exploding", small().with("activation", "linear").with("optimizer", "sgd").with("lr", "1e30"));
        SparkComparisonResult r = sweep.run(spark);

        // Failed configurations: reported once per seed, with their message, in order, and not retried.
        List<String> failedRuns = r.failed().stream().map(SparkComparisonResult.Failure::run).toList();
        assertEquals(List.of("bad momentum seed 3", "bad momentum seed 11", "exploding seed 3", "exploding seed 11"),
                failedRuns);
        assertTrue(r.failed().get(0).message().contains("momentum") && r.failed().get(0).message().contains("1.5"),
                r.failed().get(0).message());
        assertTrue(r.failed().get(2).message().contains("loss became"), r.failed().get(2).message());

        // Completed runs: every figure, history and prediction equal to the local run of the same config and seed.
        ComparisonResult cr = r.comparison();
        assertEquals(List.of("relu seed 3", "relu seed 11", "tanh sgd seed 3", "tanh sgd seed 11"),
                cr.runs().stream().map(RunResult::name).toList());
        try (CpuBackend cpu = new CpuBackend()) {
            assertEquals(cpu.description(), cr.setup().get("backend"), "the executors trained on the cpu backend");
        }
        for (long seed : seeds) {
            Comparison local = new Comparison(data).validation(500).seed(seed).backend(CpuBackend::new)
                    .verbose(0, new PrintStream(PrintStream.nullOutputStream()));
            good.forEach((name, c) -> local.add(name + " seed " + seed, c));
            for (RunResult want : local.run().runs()) {
                RunResult got = cr.runs().stream().filter(x -> x.name().equals(want.name())).findFirst().orElseThrow();
                assertBitIdentical(want, got);
            }
        }

        // Models: one per completed run, complete (atomic writes leave no temporary file behind).
        try (Stream<Path> files = Files.list(dir.resolve("m"))) {
            assertEquals(List.of("relu_seed_11.safetensors", "relu_seed_3.safetensors",
                    "tanh_sgd_seed_11.safetensors", "tanh_sgd_seed_3.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (RunResult run : cr.runs()) {
            assertTrue(Files.size(run.model()) > 32 * 784 * 4, run.model().toString());
        }

        // The Spark Dataset: one row per run, keyed by run, each counted once.
        List<Row> rows = r.dataset(spark).orderBy("run").collectAsList();
        assertEquals(8, rows.size());
        assertEquals(8, r.dataset(spark).select("run").distinct().count());
        assertEquals(4, r.dataset(spark).filter("status = 'failed'").count());
        for (Row row : rows) {
            assertEquals(0, row.getInt(row.fieldIndex("attempt")), "no run is retried: " + row);
            if (row.getString(row.fieldIndex("status")).equals("ok")) {
                assertNull(row.get(row.fieldIndex("message")));
                assertTrue(row.getString(row.fieldIndex("history")).contains("\"val_accuracy\""));
            } else {
                assertFalse(row.getString(row.fieldIndex("message")).isBlank());
            }
        }

        // The same files as a local compare, plus failed.csv and runs.csv.
        List<Path> written = r.writeTo(dir.resolve("out"));
        for (String f : new String[] {"results.csv", "histories.json", "report.html", "curves.png", "failed.csv",
            "runs.csv"}) {
            assertTrue(written.contains(dir.resolve("out").resolve(f)), f + " in " + written);
        }
        assertEquals(5, Files.readAllLines(dir.resolve("out/failed.csv")).size());
        assertEquals(5, Files.readAllLines(dir.resolve("out/results.csv")).size());
    }

    /** Every figure equal as doubles (so bit for bit, NaN aside), except the wall times. */
    private static void assertBitIdentical(RunResult want, RunResult got) {
        String n = want.name();
        assertEquals(want.config(), got.config(), n);
        assertEquals(want.bestEpoch(), got.bestEpoch(), n);
        assertEquals(Double.doubleToLongBits(want.bestValAccuracy()), Double.doubleToLongBits(got.bestValAccuracy()),
                n);
        assertEquals(Double.doubleToLongBits(want.testAccuracy()), Double.doubleToLongBits(got.testAccuracy()), n);
        assertEquals(Double.doubleToLongBits(want.testLoss()), Double.doubleToLongBits(got.testLoss()), n);
        assertEquals(Double.doubleToLongBits(want.finalLoss()), Double.doubleToLongBits(got.finalLoss()), n);
        assertEquals(want.parameters(), got.parameters(), n);
        assertArrayEquals(want.predictions(), got.predictions(), n);
        assertEquals(want.history().epochs(), got.history().epochs(), n);
        Map<String, List<Double>> w = new LinkedHashMap<>(want.history().history());
        Map<String, List<Double>> g = new LinkedHashMap<>(got.history().history());
        assertEquals(w.keySet(), g.keySet(), n);
        w.remove("epoch_time_s");
        g.remove("epoch_time_s");
        assertEquals(w, g, n + ": every epoch's metrics (Double.equals compares bits)");
    }

    @Test
    void theCliEntryPointRunsOnTheSessionAlreadyRunningAndReportsFailures(@TempDir Path dir) throws IOException {
        Map<String, RunConfig> runs = new LinkedHashMap<>();
        runs.put("relu", small());
        runs.put("bad", small().with("optimizer", "sgd").with("momentum", "1.5"));
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        ComparisonResult r = CompareOnSpark.run("local[2]", data, runs, 500, "scale", 5, dir.resolve("models"),
                "fashion-mnist", new PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        String out = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(List.of("relu"), r.runs().stream().map(RunResult::name).toList());
        assertTrue(out.contains("Run 'bad' failed: IllegalArgumentException: ") && out.contains("1.5"), out);
        assertTrue(out.contains("2 runs in") && out.contains("1 failed"), out);
        assertTrue(Files.isRegularFile(dir.resolve("models/relu.safetensors")));
        assertFalse(spark.sparkContext().isStopped(), "a session that was already running is left running");
    }

    @Test
    void badSettingsAreRefusedByName() {
        SparkComparison s = new SparkComparison(data).add("a", small());
        assertThrows(IllegalArgumentException.class, () -> s.add("a", small()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.seeds(1, 2, 1));
        assertTrue(e.getMessage().contains("seed 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.validation(0));
        assertThrows(IllegalStateException.class, () -> new SparkComparison(data).run(spark));
    }
}
