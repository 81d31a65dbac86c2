package dev.dendrite.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.Comparison;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;
import dev.dendrite.experiments.RunResult;
import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Json;
import dev.dendrite.plot.LineChart;

/**
 * Time for N configurations on k workers: the same N configurations run one after another in this JVM (no Spark,
 * the cpu backend on one thread, and again on every core), then as a {@link SparkComparison} on a standalone
 * {@link LoopbackCluster} of k one-core Workers, for each k asked. Each executor JVM is limited to one processor
 * ({@code -XX:ActiveProcessorCount=1}), so a Worker's "one core" is also what the cpu backend uses. Writes the
 * figures as JSON and a chart; not a test (timings do not belong in tests), run by
 * {@code bench/run-spark-scaling.sh}.
 *
 * <pre>
 * SparkScalingBenchmark [--k 1,2,3,4] [--configs 8] [--layers 256,256] [--epochs 6] [--data sample|DIR] [--rounds 1]
 *                       [--json OUT.json] [--svg OUT.svg] [--work DIR]
 * SparkScalingBenchmark --redraw OUT.json [--svg OUT.svg]      (the charts again, from the JSON)
 * </pre>
 * Wall time of a Spark sweep is from submitting its tasks to the last result ({@link SparkComparisonResult#seconds});
 * starting the cluster and its executors is recorded apart. CPU time: this JVM's for the local runs; for Spark,
 * the tasks' own ({@code executorCpuTime}, the training threads) and the whole Worker and executor processes'
 * (from the operating system, JVM start, JIT and GC included), measured over the sweep.
 */
public final class SparkScalingBenchmark {
    private SparkScalingBenchmark() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Map<String, String> a = options(args);
        if (a.containsKey("--redraw")) {
            // Charts again from a JSON this benchmark wrote, without measuring anything.
            Map<String, Object> doc = (Map<String, Object>) Json.parse(Files.readString(Path.of(a.get("--redraw"))));
            List<Map<String, Object>> ms = (List<Map<String, Object>>) doc.get("measurements");
            List<Integer> ks = ms.stream().filter(m -> m.containsKey("workers"))
                    .map(m -> ((Number) m.get("workers")).intValue()).distinct().sorted().toList();
            int processors = ((Number) ((Map<String, Object>) doc.get("machine")).get("processors")).intValue();
            writeCharts(chart(ms, ks, ((Number) doc.get("configurations")).intValue(), processors),
                    Path.of(a.getOrDefault("--svg", "bench/results/spark-scaling.svg")));
            return;
        }
        List<Integer> ks = new ArrayList<>();
        for (String k : a.getOrDefault("--k", "1,2,3,4").split(",")) {
            ks.add(Integer.parseInt(k.trim()));
        }
        int n = Integer.parseInt(a.getOrDefault("--configs", "8"));
        int epochs = Integer.parseInt(a.getOrDefault("--epochs", "6"));
        String layers = a.getOrDefault("--layers", "256,256");
        int rounds = Integer.parseInt(a.getOrDefault("--rounds", "1"));
        String dataArg = a.getOrDefault("--data", "sample");
        Path json = Path.of(a.getOrDefault("--json", "bench/results/spark-scaling.json"));
        Path svg = Path.of(a.getOrDefault("--svg", "bench/results/spark-scaling.svg"));
        Path work = Files.createDirectories(Path.of(a.getOrDefault("--work", "java/spark/target/spark-scaling")));
        if (n < 1 || epochs < 1 || rounds < 1 || ks.stream().anyMatch(k -> k < 1)) {
            throw new IllegalArgumentException("--configs " + n + ", --epochs " + epochs + ", --rounds " + rounds
                    + ", --k " + ks + ": expected every value at least 1");
        }
        TrainTest data = dataArg.equals("sample") ? FashionMnist.loadSample() : FashionMnist.load(Path.of(dataArg));
        Map<String, RunConfig> configs = configs(n, layers, epochs);

        // One untimed local run first: otherwise whichever local setting came first would pay this JVM's JIT
        // warm-up alone. Spark's executors are fresh JVMs; their warm-up is part of what Spark costs.
        local(data, Map.of("warm-up", configs.values().iterator().next()), 1);
        List<Map<String, Object>> measurements = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            // Alternate the order between rounds, so that a load that drifts over the run falls on every setting.
            List<String> order = new ArrayList<>(List.of("local-1", "local-all"));
            ks.forEach(k -> order.add("spark-" + k));
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String setting : order) {
                Map<String, Object> m;
                try {
                    m = setting.startsWith("local")
                            ? local(data, configs, setting.equals("local-1") ? 1 : Runtime.getRuntime().availableProcessors())
                            : spark(data, configs, Integer.parseInt(setting.substring(6)), work.resolve("r" + round));
                } catch (Exception e) {
                    // A cluster that cannot start on a loaded machine is a result too; the other settings go on.
                    m = new LinkedHashMap<>();
                    m.put("setting", setting);
                    m.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                    m.put("load_after", loadAverage());
                    System.out.println("round " + round + "  " + setting + " failed: " + m.get("error"));
                }
                m.put("round", round);
                measurements.add(m);
                if (!m.containsKey("error")) {
                    System.out.printf(Locale.ROOT, "round %d  %-10s wall %7.2f s  cpu %7.2f s  load %s%n", round,
                            setting, (Double) m.get("wall_s"), (Double) m.get("cpu_s"), m.get("load_after"));
                }
                // Written after every setting, so that a run cut short keeps what it measured.
                write(json, data, configs, measurements, ks);
            }
        }
        checkSameFigures(measurements);
        write(json, data, configs, measurements, ks);
        List<Integer> measured = ks.stream().filter(k -> measurements.stream()
                .anyMatch(m -> ("spark-" + k).equals(m.get("setting")) && !m.containsKey("error"))).toList();
        writeCharts(chart(measurements, measured, configs.size(), Runtime.getRuntime().availableProcessors()), svg);
        System.out.println("wrote " + json);
    }

    private static void write(Path json, TrainTest data, Map<String, RunConfig> configs,
            List<Map<String, Object>> measurements, List<Integer> ks) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "N configurations, local sequential against Spark standalone with k one-core Workers");
        doc.put("date", Instant.now().toString());
        doc.put("machine", machine());
        doc.put("data", data.source());
        doc.put("train_images", data.train().size());
        doc.put("configurations", configs.size());
        Map<String, Object> cfg = new LinkedHashMap<>();
        configs.forEach((k, v) -> cfg.put(k, v.toMap()));
        doc.put("configs", cfg);
        doc.put("local_jvm", "the local settings run in the benchmark's JVM after one untimed warm-up run; each "
                + "Spark setting starts its own Master, Workers and executor JVMs, whose start-up is startup_s and "
                + "whose JIT warm-up falls in wall_s");
        doc.put("measurements", measurements);
        doc.put("summary", summary(measurements, ks));
        Files.createDirectories(json.toAbsolutePath().getParent());
        AtomicFiles.write(json, Json.write(doc, true).getBytes(StandardCharsets.UTF_8));
    }

    /** N small configurations: four activations crossed with Adam and SGD with momentum, the same widths. */
    static Map<String, RunConfig> configs(int n, String layers, int epochs) {
        String[] activations = {"relu", "tanh", "selu", "sigmoid"};
        String[] optimizers = {"adam", "sgd"};
        Map<String, RunConfig> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String act = activations[i % activations.length];
            String opt = optimizers[(i / activations.length) % optimizers.length];
            RunConfig c = new RunConfig().with("layers", layers).with("epochs", Integer.toString(epochs))
                    .with("batch_size", "64").with("activation", act).with("optimizer", opt);
            if (opt.equals("sgd")) {
                c = c.with("momentum", "0.9");
            }
            out.put(String.format(Locale.ROOT, "%02d %s %s", i + 1, act, opt), c);
        }
        return out;
    }

    private static Map<String, Object> local(TrainTest data, Map<String, RunConfig> configs, int threads)
            throws IOException {
        Comparison c = new Comparison(data).validation(500).seed(42).backend(() -> new CpuBackend(threads))
                .verbose(0, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        configs.forEach(c::add);
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        ComparisonResult r = c.run();
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("setting", threads == 1 ? "local-1" : "local-all");
        m.put("description", "no Spark: the runs one after another in one JVM, cpu backend on " + threads
                + " thread" + (threads == 1 ? "" : "s"));
        m.put("threads", threads);
        m.put("wall_s", wall);
        m.put("cpu_s", cpu);
        m.put("test_accuracy", accuracies(r.runs()));
        m.put("load_after", loadAverage());
        return m;
    }

    private static Map<String, Object> spark(TrainTest data, Map<String, RunConfig> configs, int k, Path work)
            throws Exception {
        Path dir = Files.createDirectories(work.resolve("k" + k));
        String load0 = loadAverage();
        long t0 = System.nanoTime();
        try (LoopbackCluster cluster = new LoopbackCluster(dir, k)) {
            SparkSession spark = cluster.session("dendrite-scaling-k" + k, "spark.executor.extraJavaOptions",
                    "-XX:ActiveProcessorCount=1 --add-modules=jdk.incubator.vector");
            try {
                cluster.awaitExecutors(spark, Duration.ofSeconds(300));
                double startup = (System.nanoTime() - t0) / 1e9;
                AtomicLong taskCpu = new AtomicLong();
                AtomicLong failedTasks = new AtomicLong();
                Map<String, Integer> tasksByHost = new java.util.concurrent.ConcurrentSkipListMap<>();
                spark.sparkContext().addSparkListener(new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd e) {
                        if (e.taskMetrics() != null) {
                            taskCpu.addAndGet(e.taskMetrics().executorCpuTime());
                        }
                        if (e.reason() != org.apache.spark.Success$.MODULE$) {
                            failedTasks.incrementAndGet();
                        }
                        tasksByHost.merge(e.taskInfo().host(), 1, Integer::sum);
                    }
                });
                SparkComparison sweep = new SparkComparison(data).validation(500).seeds(42);
                configs.forEach(sweep::add);
                Duration workers0 = cluster.workerCpu();
                long driver0 = processCpuNanos();
                SparkComparisonResult r = sweep.run(spark);
                Duration workers = cluster.workerCpu().minus(workers0);
                double driver = (processCpuNanos() - driver0) / 1e9;
                if (!r.failed().isEmpty()) {
                    throw new IllegalStateException("runs failed on Spark: " + r.failed());
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("setting", "spark-" + k);
                m.put("description", "Spark standalone, Master and " + k + " one-core Worker" + (k == 1 ? "" : "s")
                        + " on loopback, one executor JVM each (-XX:ActiveProcessorCount=1)");
                m.put("workers", k);
                m.put("wall_s", r.seconds());
                m.put("startup_s", startup);
                m.put("cpu_s", workers.toNanos() / 1e9 + driver);
                m.put("task_cpu_s", taskCpu.get() / 1e9);
                m.put("worker_process_cpu_s", workers.toNanos() / 1e9);
                m.put("driver_cpu_s", driver);
                m.put("tasks_by_host", new LinkedHashMap<>(tasksByHost));
                m.put("failed_task_attempts", failedTasks.get());
                m.put("test_accuracy", accuracies(r.comparison().runs()));
                m.put("load_before", load0);
                m.put("load_after", loadAverage());
                return m;
            } finally {
                spark.stop();
            }
        }
    }

    /**
     * Every setting trains the same runs with the same seed on the cpu backend, so their test accuracies should be
     * equal; each measurement says whether they are (a difference would mean the timings compare different work,
     * or that the thread count changes the arithmetic), and the summary line says it too.
     */
    @SuppressWarnings("unchecked")
    private static void checkSameFigures(List<Map<String, Object>> measurements) {
        Map<String, Double> first = (Map<String, Double>) measurements.stream()
                .filter(m -> "local-1".equals(m.get("setting")) && !m.containsKey("error")).findFirst().orElseThrow().get("test_accuracy");
        for (Map<String, Object> m : measurements) {
            if (m.containsKey("error")) {
                continue;
            }
            boolean same = first.equals(m.get("test_accuracy"));
            m.put("same_test_accuracy_as_local_1_thread", same);
            if (!same) {
                System.out.println("note: " + m.get("setting") + " trained to other figures than local-1: "
                        + m.get("test_accuracy") + " against " + first);
            }
        }
    }

    private static Map<String, Double> accuracies(List<RunResult> runs) {
        Map<String, Double> acc = new LinkedHashMap<>();
        runs.forEach(r -> acc.put(r.name(), r.testAccuracy()));
        return acc;
    }

    /** Median wall and CPU seconds per setting, and the speed-up against the local one-thread runs. */
    private static List<Map<String, Object>> summary(List<Map<String, Object>> measurements, List<Integer> ks) {
        List<String> settings = new ArrayList<>(List.of("local-1", "local-all"));
        ks.forEach(k -> settings.add("spark-" + k));
        double base = median(measurements, "local-1", "wall_s");
        List<Map<String, Object>> out = new ArrayList<>();
        for (String s : settings) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("setting", s);
            if (Double.isNaN(median(measurements, s, "wall_s"))) {
                row.put("error", "not measured: see its measurements");
                out.add(row);
                continue;
            }
            double wall = median(measurements, s, "wall_s");
            row.put("wall_s", wall);
            row.put("cpu_s", median(measurements, s, "cpu_s"));
            if (s.startsWith("spark")) {
                row.put("startup_s", median(measurements, s, "startup_s"));
                row.put("task_cpu_s", median(measurements, s, "task_cpu_s"));
            }
            row.put("speedup_vs_local_1_thread", base / wall);
            out.add(row);
        }
        return out;
    }

    private static double median(List<Map<String, Object>> measurements, String setting, String key) {
        double[] v = measurements.stream().filter(m -> setting.equals(m.get("setting")) && !m.containsKey("error"))
                .mapToDouble(m -> ((Number) m.get(key)).doubleValue()).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The chart as {@code svg} and, beside it, as PNG (for pages that show images). */
    private static void writeCharts(LineChart chart, Path svg) throws IOException {
        chart.write(svg);
        Path png = svg.resolveSibling(svg.getFileName().toString().replaceFirst("\\.svg$", "") + ".png");
        chart.write(png);
        System.out.println("wrote " + svg + " and " + png);
    }

    private static LineChart chart(List<Map<String, Object>> measurements, List<Integer> ks, int n,
            int processors) {
        List<String> labels = new ArrayList<>(List.of("local 1 thr", "local all"));
        List<String> settings = new ArrayList<>(List.of("local-1", "local-all"));
        for (int k : ks) {
            labels.add("k=" + k);
            settings.add("spark-" + k);
        }
        int c = settings.size();
        double[] x = new double[c];
        double[] wall = new double[c];
        double[] cpu = new double[c];
        double[] ideal = new double[c];
        double base = median(measurements, "local-1", "wall_s");
        for (int i = 0; i < c; i++) {
            x[i] = i + 1;
            wall[i] = median(measurements, settings.get(i), "wall_s");
            cpu[i] = median(measurements, settings.get(i), "cpu_s");
            ideal[i] = base / (i == 0 ? 1 : i == 1 ? processors : Math.min(ks.get(i - 2), processors));
        }
        return new LineChart(n + " configurations: local, Spark on k workers (" + processors + " cores)",
                "setting (k: Spark standalone, k one-core workers)", "seconds")
                .xCategories(labels.toArray(String[]::new))
                .series("wall", x, wall)
                .series("CPU, all processes", x, cpu)
                .series("ideal: local 1 thr / cores used", x, ideal);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return String.format(Locale.ROOT, "%.2f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("processors", Runtime.getRuntime().availableProcessors());
        try {
            Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .ifPresent(l -> m.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
        } catch (IOException e) {
            m.put("cpu", "unknown (" + e.getMessage() + ")");
        }
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("memory_gib", Math.round(((com.sun.management.OperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize() / (1L << 30)));
        m.put("vector_api", ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("'" + args[i] + "': expected --name VALUE pairs (--k, --configs, "
                        + "--epochs, --data, --rounds, --json, --svg, --work)");
            }
            m.put(args[i], args[++i]);
        }
        return m;
    }
}
