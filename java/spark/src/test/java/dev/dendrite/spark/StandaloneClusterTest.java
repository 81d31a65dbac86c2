package dev.dendrite.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.junit.jupiter.api.AfterEach;
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
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopCluster() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    @Timeout(300)
    void everyConfigurationCompletesExactlyOnceWhenAWorkerIsKilledMidSweep(@TempDir Path dir) throws Exception {
        // A minimal SPARK_HOME for the Workers' executor command: an empty jars/ (the class path comes from
        // spark.executor.extraClassPath) and the RELEASE marker that makes the launcher look there.
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "dendrite test\n");
        int masterPort = freePort();
        String master = "spark://127.0.0.1:" + masterPort;
        processes.add(start(dir, home, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(masterPort), "--webui-port", "0"));
        Process keep = start(dir, home, "worker1", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                "--webui-port", "0", "--cores", "1", "--memory", "1g", "--work-dir",
                dir.resolve("w1").toString(), master);
        Process victim = start(dir, home, "worker2", "org.apache.spark.deploy.worker.Worker", "--host",
                "127.0.0.2", "--webui-port", "0", "--cores", "1", "--memory", "1g", "--work-dir",
                dir.resolve("w2").toString(), master);
        processes.add(keep);
        processes.add(victim);

        SparkSession spark = SparkSession.builder().master(master).appName("dendrite-standalone-test")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.executor.memory", "1g")
                .config("spark.executor.cores", "1").config("spark.cores.max", "2")
                .config("spark.executor.extraClassPath", classPath())
                .config("spark.task.maxFailures", "4").getOrCreate();
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (spark.sparkContext().getExecutorMemoryStatus().size() < 3) { // two executors and the driver
                assertTrue(System.nanoTime() < deadline, "the two executors did not register within 120 s; see "
                        + dir.resolve("worker1.log") + " and worker2.log");
                Thread.sleep(200);
            }
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** This JVM's class path, expanded when surefire gives a manifest-only jar, so that executors see it too. */
    private static String classPath() throws IOException {
        String cp = System.getProperty("java.class.path");
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            out.add(e);
            if (e.endsWith(".jar") && new File(e).getName().startsWith("surefirebooter")) {
                try (var jar = new java.util.jar.JarFile(e)) {
                    String cls = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (cls != null) {
                        for (String u : cls.trim().split(" +")) {
                            out.add(Path.of(java.net.URI.create(u)).toString());
                        }
                    }
                }
            }
        }
        return String.join(File.pathSeparator, out);
    }

    private Process start(Path dir, Path home, String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("-Dio.netty")
                    || a.startsWith("-Djdk.reflect") || a.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", args[1]);
        return pb.start();
    }
}
