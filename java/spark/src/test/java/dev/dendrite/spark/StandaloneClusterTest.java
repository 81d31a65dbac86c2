package dev.dendrite.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.FashionMnist;
import dev.dendrite.experiments.RunConfig;

/**
 * A sweep against a real standalone cluster started by the test on loopback addresses: Spark's own Master and two
 * Workers (one core each, on 127.0.0.1 and 127.0.0.2), each in its own JVM, each starting its executor JVM. As
 * soon as a task starts on the second worker, that worker and its executor are killed (SIGKILL, as a machine
 * loss): Spark reruns the lost task on the other worker, and every configuration completes exactly once.
 */
class StandaloneClusterTest {
    @Test
    @Timeout(300)
    void everyConfigurationCompletesExactlyOnceWhenAWorkerIsKilledMidSweep(@TempDir Path dir) throws Exception {
        try (LoopbackCluster cluster = new LoopbackCluster(dir, 2)) {
            sweepKillingTheSecondWorker(cluster, dir);
        }
    }

    private static void sweepKillingTheSecondWorker(LoopbackCluster cluster, Path dir) throws Exception {
        Process victim = cluster.worker(2);
        SparkSession spark = cluster.session("dendrite-standalone-test", "spark.task.maxFailures", "4");
        try {
            cluster.awaitExecutors(spark, Duration.ofSeconds(120));
            AtomicBoolean killed = new AtomicBoolean();
            AtomicInteger lostAttempts = new AtomicInteger();
            Set<String> hosts = ConcurrentHashMap.newKeySet();
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskStart(SparkListenerTaskStart e) {
                    hosts.add(e.taskInfo().host());
                    if (e.taskInfo().host().equals("127.0.0.2") && killed.compareAndSet(false, true)) {
                        victim.descendants().forEach(ProcessHandle::destroyForcibly);
                        victim.destroyForcibly();
                    }
                }

                @Override
                public void onTaskEnd(SparkListenerTaskEnd e) {
                    if (e.reason() != Success$.MODULE$) {
                        lostAttempts.incrementAndGet();
                    }
                }
            });

            SparkComparison sweep = new SparkComparison(FashionMnist.loadSample()).validation(500)
                    .saveModels(dir.resolve("models"));
            RunConfig c = new RunConfig().with("layers", "32").with("epochs", "2").with("batch_size", "64");
            List<String> names = List.of("relu", "tanh", "selu", "sigmoid");
            for (String a : names) {
                sweep.add(a, c.with("activation", a));
            }
            SparkComparisonResult r = sweep.run(spark);

            assertTrue(killed.get(), "no task ever started on the second worker: " + hosts);
            assertTrue(lostAttempts.get() >= 1, "the killed worker's task should have been lost and rerun");
            assertEquals(List.of(), r.failed());
            assertEquals(names, r.comparison().runs().stream().map(x -> x.name()).toList(), "each run once, in order");
            List<Row> rows = r.dataset(spark).collectAsList();
            assertEquals(names.size(), rows.size());
            assertTrue(rows.stream().anyMatch(row -> row.getInt(row.fieldIndex("attempt")) >= 1),
                    "the lost run was completed by a later attempt");
            assertTrue(rows.stream().allMatch(row -> "127.0.0.1".equals(row.getString(row.fieldIndex("host")))
                    || row.getInt(row.fieldIndex("attempt")) == 0), "runs after the kill ran on the kept worker");
            try (var files = Files.list(dir.resolve("models"))) {
                assertEquals(names.size(), files.filter(p -> p.toString().endsWith(".safetensors")).count());
            }
        } finally {
            spark.stop();
        }
    }
}
