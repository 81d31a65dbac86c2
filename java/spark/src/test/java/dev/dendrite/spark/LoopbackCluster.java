package dev.dendrite.spark;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;

/**
 * Spark's own standalone Master and {@code k} Workers, each in its own JVM on its own loopback address
 * (127.0.0.1, 127.0.0.2, ...), each Worker offering one core and starting its executor JVM: the cluster of the
 * standalone test and of the scaling benchmark. Closing it kills every process it started, executors included.
 */
final class LoopbackCluster implements AutoCloseable {
    private final Path dir;
    private final Path home;
    private final String master;
    private final List<Process> workers = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /**
     * Starts the Master and {@code k} one-core Workers; their logs go to {@code dir/master.log},
     * {@code dir/worker<i>.log}.
     */
    LoopbackCluster(Path dir, int k) throws IOException {
        if (k < 1 || k > 250) {
            throw new IllegalArgumentException("k = " + k + " workers; expected 1 to 250 (one loopback address each)");
        }
        this.dir = dir;
        // A minimal SPARK_HOME for the Workers' executor command: an empty jars/ (the class path comes from
        // spark.executor.extraClassPath) and the RELEASE marker that makes the launcher look there.
        home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "dendrite test\n");
        int masterPort = freePort();
        master = "spark://127.0.0.1:" + masterPort;
        try {
            Process m = start("master", "127.0.0.1", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", Integer.toString(masterPort), "--webui-port", "0");
            processes.add(m);
            // A driver that finds no Master gives up after a few retries ("All masters are unresponsive"), which
            // a Master JVM still starting on a loaded machine can take longer than.
            awaitListening(m, masterPort, Duration.ofSeconds(180));
            for (int i = 1; i <= k; i++) {
                String host = "127.0.0." + i;
                Process w = start("worker" + i, host, "org.apache.spark.deploy.worker.Worker", "--host", host,
                        "--webui-port", "0", "--cores", "1", "--memory", "1g", "--work-dir",
                        dir.resolve("w" + i).toString(), master);
                workers.add(w);
                processes.add(w);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The master URL, {@code spark://127.0.0.1:PORT}. */
    String master() {
        return master;
    }

    /** The Worker JVM on {@code 127.0.0.<i>} (1-based); its executor is among its descendants. */
    Process worker(int i) {
        return workers.get(i - 1);
    }

    /**
     * A session on this cluster, one one-core executor per Worker ({@code spark.cores.max} = k); {@code extra}
     * are further key, value pairs of Spark settings.
     */
    SparkSession session(String appName, String... extra) throws IOException {
        SparkSession.Builder b = SparkSession.builder().master(master).appName(appName)
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.executor.memory", "1g")
                .config("spark.executor.cores", "1").config("spark.cores.max", Integer.toString(workers.size()))
                .config("spark.executor.extraClassPath", classPath());
        for (int i = 0; i + 1 < extra.length; i += 2) {
            b.config(extra[i], extra[i + 1]);
        }
        return b.getOrCreate();
    }

    /**
     * Waits until every Worker's executor has registered with {@code spark}'s driver.
     *
     * @throws IllegalStateException naming the logs to read if they did not within {@code timeout}
     */
    void awaitExecutors(SparkSession spark, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (spark.sparkContext().getExecutorMemoryStatus().size() < workers.size() + 1) { // and the driver's
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(workers.size() + " executors did not register within "
                        + timeout.toSeconds() + " s; see the logs in " + dir);
            }
            Thread.sleep(200);
        }
    }

    /** CPU time used so far by the Workers and their executors (alive ones only), from the operating system. */
    Duration workerCpu() {
        Duration sum = Duration.ZERO;
        for (Process w : workers) {
            sum = sum.plus(w.info().totalCpuDuration().orElse(Duration.ZERO));
            for (ProcessHandle d : (Iterable<ProcessHandle>) w.descendants()::iterator) {
                sum = sum.plus(d.info().totalCpuDuration().orElse(Duration.ZERO));
            }
        }
        return sum;
    }

    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        all.forEach(ProcessHandle::destroyForcibly);
        // Gone before the next cluster starts, so that they do not compete with it for the cores.
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // Killed with SIGKILL: it ends; a slow exit only costs the next cluster some CPU.
            }
        }
    }

    private void awaitListening(Process p, int port, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the Spark Master did not listen on 127.0.0.1:" + port + " within "
                            + timeout.toSeconds() + " s (" + (p.isAlive() ? "still starting" : "it exited")
                            + "); see " + dir.resolve("master.log"), e);
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the Spark Master", e);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * This JVM's class path, absolute (executors run in their Workers' directories) and expanded when surefire
     * gives a manifest-only jar, so that executors see it too.
     */
    static String classPath() throws IOException {
        String cp = System.getProperty("java.class.path");
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            out.add(Path.of(e).toAbsolutePath().toString());
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

    private Process start(String name, String host, String mainClass, String... args) throws IOException {
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
        pb.environment().put("SPARK_LOCAL_IP", host);
        return pb.start();
    }
}
