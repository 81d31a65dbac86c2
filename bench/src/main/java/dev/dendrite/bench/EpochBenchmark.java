package dev.dendrite.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.ProfilingBackend;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.SGD;

/**
 * The end-to-end benchmark: trains one of the course's networks on Fashion-MNIST and prints the median epoch
 * time (after warm-up epochs), samples per second, peak heap and the final test accuracy, as text and JSON.
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.EpochBenchmark \
 *     --network mlp512 --backend cpu --epochs 3 --warmup 1 --json bench/results/cpu-mlp512.json
 * </pre>
 * {@code --batch N} overrides the network's batch size and {@code --width W} trains 784-W-W-10 (Adam) instead of a
 * named network: the two scaling curves of {@code bench/run-cpu-scaling.sh}. {@code --activation NAME} puts another
 * activation (Keras's name: selu, sigmoid, tanh, gelu ...) in every hidden layer instead of relu, and
 * {@code --optimizer NAME} another optimizer by Keras's name and defaults (sgd, rmsprop, adagrad, adam ...): the
 * course's comparisons of activations and of optimizers. {@code --metrics auc,precision,recall}
 * adds metrics to "accuracy" (their cost per epoch; {@code -Ddendrite.metrics.device=false} computes them on the
 * host from each batch's outputs read back, the comparison for the device counters).
 * {@code --profile true} wraps the backend in a {@link ProfilingBackend} and prints where the measured epochs'
 * time goes, op by op, and writes it to the JSON (epoch times are then not the headline numbers): on a backend with
 * its own device clock (cuda: CUDA events around each op, ops issued one by one rather than as a graph) the
 * device's time per op; elsewhere each op is synchronised and timed by the host.
 * Networks: {@code mlp512} (784-512-512-10 relu, Adam, batch 128), {@code bn256} (784-[256-relu-BN-Dropout 0.2]x3-10,
 * Adam, batch 64), {@code mlp1024} (784-1024-1024-10, SGD momentum 0.9 lr 0.025, batch 128), {@code wide4096}
 * (784-4096x3-10, Adam, batch 1024), {@code drop512} (784-[512-relu-Dropout 0.2]x2-10, Adam, batch 128: the courses'
 * MLP with dropout). {@code --steps-per-execution N} (default: {@code -Dbench.stepsPerExecution}, else 1) issues
 * N training steps as one execution ({@link FitOptions#stepsPerExecution}: one graph launch on CUDA), so that
 * {@code run-on-gpu.sh}'s A/B runs, which vary JVM flags only, can compare it. An epoch is {@code --train} images (default 60,000, the whole training set),
 * with no validation pass, as in the PyTorch peer; {@code --validation N} (default: {@code -Dbench.validation}, else
 * 0) adds one over the test set's first N images to each epoch, as a course notebook's fit has (its time is then in
 * the epoch's). {@code --weights class} trains with balanced class weights and {@code --weights sample} with a
 * weight per sample ({@link FitOptions#classWeight}, {@link FitOptions#sampleWeight}): their cost beside
 * {@code none}. {@code --freeze N} freezes the network's lowest N Dense layers ({@code Layer#setTrainable}: the
 * course's transfer learning, only the layers above trained): their cost beside {@code --freeze 0}.
 */
public final class EpochBenchmark {
    private EpochBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String network = a.getOrDefault("network", "mlp512");
        String backendName = a.getOrDefault("backend", "cpu");
        int epochs = Integer.parseInt(a.getOrDefault("epochs", "3"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
        int trainSize = Integer.parseInt(a.getOrDefault("train", "60000"));

        TrainTest tt = a.containsKey("data") ? FashionMnist.load(Path.of(a.get("data"))) : FashionMnist.load();
        Dataset train = tt.train().rows(0, Math.min(trainSize, tt.train().size()));
        Preprocessing prep = Preprocessing.fit(Preprocessing.Kind.SCALE, train.images());

        boolean profile = Boolean.parseBoolean(a.getOrDefault("profile", "false"));
        if (System.getProperty("dendrite.cuda.graphShape") == null) {
            System.setProperty("dendrite.cuda.graphShape", "true"); // the step graph's shape, for cuda_step_graph
        }
        Backend raw = Backends.create(backendName);
        // A backend with its own device clock (cuda: CUDA events) is timed by it, ops issued without waiting, so the
        // profile shows what each op costs the device; others wait after each op and are timed by the host.
        boolean deviceClock = raw instanceof dev.dendrite.backend.DeviceOpTimer;
        ProfilingBackend profiler = profile ? new ProfilingBackend(raw, !deviceClock) : null;
        int width = Integer.parseInt(a.getOrDefault("width", "0"));
        String hidden = a.getOrDefault("activation", "relu");
        try (Backend be = profile ? profiler.backend() : raw;
             Sequential model = (width > 0 ? mlp(width, hidden) : network(network, hidden)).backend(be)) {
            int batch = Integer.parseInt(a.getOrDefault("batch", Integer.toString(batchSize(network))));
            int steps = (train.size() + batch - 1) / batch; // per epoch: fit runs the partial last batch too
            List<String> metrics = new ArrayList<>(List.of("accuracy"));
            if (a.containsKey("metrics")) {
                metrics.addAll(Arrays.asList(a.get("metrics").split(",")));
            }
            int freeze = Integer.parseInt(a.getOrDefault("freeze", "0"));
            List<Layer> dense = model.layers().stream().filter(l -> l instanceof Dense).toList();
            if (freeze < 0 || freeze > dense.size()) {
                throw new IllegalArgumentException("--freeze " + freeze + "; expected 0 to " + dense.size()
                        + ", the network's Dense layers");
            }
            dense.subList(0, freeze).forEach(l -> l.setTrainable(false));
            Optimizer optimizer = a.containsKey("optimizer") ? Optimizer.fromName(a.get("optimizer"))
                    : optimizer(network);
            model.compile(optimizer, new SparseCategoricalCrossentropy(), metrics.toArray(new String[0]));
            long t0 = System.nanoTime();
            int perExecution = Integer.parseInt(a.getOrDefault("steps-per-execution",
                    Integer.toString(Integer.getInteger("bench.stepsPerExecution", 1))));
            FitOptions options = new FitOptions().batchSize(batch).epochs(warmup + epochs).verbose(0).seed(1)
                    .stepsPerExecution(perExecution);
            // --weights class: scikit-learn's balanced class weights; sample: a weight per sample in [0.5, 1.5).
            // Either takes the unfused loss path (and sample weights one more gather a step): their cost per epoch.
            String weights = a.getOrDefault("weights", "none");
            switch (weights) {
                case "none" -> { }
                case "class" -> options.classWeight(FitOptions.balancedClassWeight(train.labels()));
                case "sample" -> {
                    float[] w = new float[train.size()];
                    Random r = new Random(7);
                    for (int i = 0; i < w.length; i++) {
                        w[i] = 0.5f + r.nextFloat();
                    }
                    options.sampleWeight(w);
                }
                default -> throw new IllegalArgumentException("--weights " + weights + "; expected none, class or "
                        + "sample");
            }
            int validation = Integer.parseInt(a.getOrDefault("validation",
                    Integer.toString(Integer.getInteger("bench.validation", 0))));
            validation = Math.min(validation, tt.test().size());
            if (validation > 0) {
                Dataset val = tt.test().rows(0, validation);
                options.validationData(prep.apply(val.images()), val.labels());
            }
            long[][] ticks = new long[1][];  // the CPU time counters when the timed epochs begin
            options.callbacks(LambdaCallback.onEpochBegin((epoch, logs) -> {
                if (epoch == warmup) {
                    ticks[0] = Machine.cpuTicks();
                    if (profile) {
                        profiler.reset();
                    }
                }
            }));
            History h = model.fit(prep.apply(train.images()), train.labels(), options);
            Double steal = Machine.stealPercent(ticks[0], Machine.cpuTicks());
            // Before evaluate adds ops. On a device clock, the device's own times per op.
            Map<String, long[]> measured = !profile ? null
                    : deviceClock ? profiler.deviceMeasurements() : profiler.measurements();
            if (profile) {
                if (deviceClock) {
                    long deviceNanos = measured.values().stream().mapToLong(v -> v[1]).sum();
                    long gemmNanos = measured.entrySet().stream().filter(e -> e.getKey().startsWith("gemm"))
                            .mapToLong(e -> e.getValue()[1]).sum();
                    System.out.printf(Locale.ROOT, "Device time per step, from the backend's own events (ops issued "
                            + "one by one, not as a graph): %.1f us, of which GEMM %.1f us%n",
                            deviceNanos / 1e3 / (steps * (double) epochs), gemmNanos / 1e3 / (steps * (double) epochs));
                    measured.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]))
                            .forEach(e -> System.out.printf(Locale.ROOT, "  %-34s %9d calls %11.1f us/call%n",
                                    e.getKey(), e.getValue()[0], e.getValue()[1] / 1e3 / e.getValue()[0]));
                }
                System.out.printf(Locale.ROOT, "Where the time of %d measured epochs goes (host clock%s; "
                        + "%.1f us per step in ops, of which GEMM %.1f us):%n%s", epochs,
                        deviceClock ? ", ops not waited for: issue times" : ", each op synchronised",
                        profiler.totalNanos("") / 1e3 / (steps * (double) epochs),
                        profiler.totalNanos("gemm") / 1e3 / (steps * (double) epochs), profiler.report());
            }
            double total = (System.nanoTime() - t0) / 1e9;
            List<Double> times = h.get("epoch_time_s").subList(warmup, warmup + epochs);
            double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            Map<String, Double> test = model.evaluate(prep.apply(tt.test().images()), tt.test().labels());

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("network", width > 0 ? "mlp-" + width + "x2" : network);
            out.put("width", width > 0 ? width : null);
            out.put("activation", hidden);
            out.put("optimizer", a.getOrDefault("optimizer", null));
            out.put("backend", be.description());
            out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            out.put("cores", Runtime.getRuntime().availableProcessors());
            out.put("cpu", Machine.cpuModel());
            out.put("isa", Machine.isa());
            out.put("jvm_flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
            out.put("load_average_end", Machine.loadAverage());
            out.put("steal_percent", steal);  // of the machine's CPU time during the timed epochs (Linux guests)
            out.put("cpu_gemm_kernel", dev.dendrite.backend.cpu.CpuGemm.vectorKernelAvailable()
                    ? "Vector API" : "plain Java (start the JVM with --add-modules jdk.incubator.vector for the fast one)");
            out.put("data", tt.source());
            out.put("train_images", train.size());
            out.put("batch_size", batch);
            out.put("steps_per_execution", perExecution);
            out.put("validation_rows", validation);
            out.put("weights", weights);
            out.put("frozen_dense_layers", freeze);
            out.put("warmup_epochs", warmup);
            out.put("epoch_times_s", new ArrayList<Object>(times));
            out.put("median_epoch_s", median);
            out.put("samples_per_s", train.size() / median);
            out.put("total_s", total);
            out.put("peak_heap_mb", peakHeapMb());
            long deviceBytes = be.peakDeviceBytes(); // -1 on the cpu backend, whose memory is the heap above
            out.put("peak_device_memory_mb", deviceBytes < 0 ? null : deviceBytes / 1e6);
            // On cuda: how many steps were replayed as one CUDA graph each (all but the first of each batch shape
            // per fit, unless -Ddendrite.cuda.graphs=false or --profile, which times ops one by one).
            var cuda = raw instanceof dev.dendrite.backend.cuda.CudaBackend c ? c : null;
            out.put("cuda_graph_launches", cuda == null ? null : cuda.graphLaunches());
            // The largest graph recorded (the training step's, or stepsPerExecution steps'): its nodes, edges and the
            // nodes on its longest chain, which bound a small batch's step from below at about a launch each.
            var shape = cuda == null ? null : cuda.largestGraph();
            Map<String, Object> graph = null;
            if (shape != null) {
                graph = new LinkedHashMap<>();
                graph.put("nodes", shape.nodes());
                graph.put("edges", shape.edges());
                graph.put("critical_path_nodes", shape.criticalPath());
            }
            out.put("cuda_step_graph", graph);
            // On opencl: the commands of the largest step recorded (the training step's), which its queue runs in
            // issue order, a launch each.
            var openCl = raw instanceof dev.dendrite.backend.opencl.OpenClBackend o ? o : null;
            out.put("opencl_step_commands", openCl == null || openCl.largestRecording() == 0 ? null
                    : openCl.largestRecording());
            out.put("final_train_loss", h.last("loss"));
            out.put("test_loss", test.get("loss"));
            out.put("test_accuracy", test.get("accuracy"));
            if (measured != null) {
                // Microseconds per training step for each op, and the whole step: the difference is host time and
                // gaps. ProfileChart draws these.
                double stepsMeasured = (double) epochs * steps;
                Map<String, Object> perOp = new LinkedHashMap<>();
                measured.forEach((op, v) -> perOp.put(op, v[1] / 1e3 / stepsMeasured));
                out.put("profile_us_per_step", perOp);
                out.put("step_us", median * 1e6 / steps);
            }
            System.out.printf(Locale.ROOT, "%s on %s: median epoch %.3f s (%,.0f samples/s) over %d epochs after %d "
                    + "warm-up; peak heap %.0f MB; test accuracy %.4f after %d epochs%s%n", out.get("network"),
                    be.description(), median, train.size() / median, epochs, warmup, peakHeapMb(), test.get("accuracy"),
                    warmup + epochs, steal == null ? "" : String.format(Locale.ROOT, "; steal %.0f%%", steal));
            if (a.containsKey("json")) {
                Path p = Path.of(a.get("json"));
                if (p.getParent() != null) {
                    Files.createDirectories(p.getParent());
                }
                Files.write(p, Json.write(out, true).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** The named network with {@code act} in every hidden layer (relu in the networks' descriptions above). */
    static Sequential network(String name, String act) {
        switch (name) {
            case "mlp512":
                return new Sequential(new Input(28, 28), new Flatten(), new Dense(512, act),
                        new Dense(512, act), new Dense(10, "softmax"));
            case "bn256": {
                Sequential m = new Sequential(new Input(28, 28), new Flatten());
                for (int i = 0; i < 3; i++) {
                    m.add(new Dense(256));
                    m.add(new Activation(act));
                    m.add(new BatchNormalization());
                    m.add(new Dropout(0.2));
                }
                return m.add(new Dense(10, "softmax"));
            }
            case "drop512":
                return new Sequential(new Input(28, 28), new Flatten(), new Dense(512, act), new Dropout(0.2),
                        new Dense(512, act), new Dropout(0.2), new Dense(10, "softmax"));
            case "mlp1024":
                return new Sequential(new Input(28, 28), new Flatten(), new Dense(1024, act),
                        new Dense(1024, act), new Dense(10, "softmax"));
            case "wide4096":
                return new Sequential(new Input(28, 28), new Flatten(), new Dense(4096, act),
                        new Dense(4096, act), new Dense(4096, act), new Dense(10, "softmax"));
            default:
                throw new IllegalArgumentException("unknown --network '" + name
                        + "'; expected mlp512, bn256, mlp1024, wide4096 or drop512");
        }
    }

    /** 784-w-w-10 with {@code act} in the hidden layers: the notebook network at another width (scaling curves). */
    static Sequential mlp(int width, String act) {
        return new Sequential(new Input(28, 28), new Flatten(), new Dense(width, act), new Dense(width, act),
                new Dense(10, "softmax"));
    }

    static int batchSize(String network) {
        return network.equals("bn256") ? 64 : network.equals("wide4096") ? 1024 : 128;
    }

    static Optimizer optimizer(String network) {
        return network.equals("mlp1024") ? new SGD(0.025, 0.9) : new Adam();
    }

    private static double peakHeapMb() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / 1e6;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + Arrays.toString(args));
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }
}
