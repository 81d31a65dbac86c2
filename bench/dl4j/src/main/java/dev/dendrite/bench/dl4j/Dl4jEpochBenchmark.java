package dev.dendrite.bench.dl4j;

import java.io.IOException;
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

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.nativeblas.NativeOpsHolder;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.io.Json;

/**
 * The Deeplearning4j peer of {@code dev.dendrite.bench.EpochBenchmark}: the same networks, optimisers, batch sizes
 * and Fashion-MNIST images (read by Dendrite's own IDX reader, pixels / 255), trained with DL4J 1.0.0-M2.1 on the
 * nd4j-native CPU backend, printed and written as JSON in the same shape (median epoch time after warm-up epochs,
 * samples per second, test accuracy), plus which DL4J/OpenMP configuration ran.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp bench/dl4j/target/classes:$(cat bench/dl4j/target/classpath.txt) \
 *     dev.dendrite.bench.dl4j.Dl4jEpochBenchmark --network mlp512 --epochs 3 --warmup 1 --train 50000 \
 *     --config passive --json bench/results/cpu-mlp512-dl4j-passive.json
 * </pre>
 *
 * <p>The training loop is DL4J's ordinary one: each epoch the training indices are shuffled, each mini-batch is
 * gathered with {@link Nd4j#pullRows} and passed to {@link MultiLayerNetwork#fit(INDArray, INDArray)}; the epoch
 * time covers the shuffle, the gathers and the fits, as Dendrite's covers its shuffle and steps (no validation pass
 * in either). Threading is left to DL4J and set from outside by the environment (OMP_NUM_THREADS,
 * OMP_WAIT_POLICY), since libnd4j reads it when it loads; {@code --config} only labels the run.
 *
 * <p>Equivalences with the Dendrite/Keras networks: Glorot-uniform weights ({@link WeightInit#XAVIER_UNIFORM}) and
 * zero biases; Adam lr 0.001, beta 0.9/0.999, epsilon 1e-7 (DL4J places epsilon as Keras does); softmax +
 * multi-class cross-entropy averaged over the batch; batch normalisation with Keras's momentum 0.99 (DL4J's
 * {@code decay}) and epsilon 0.001; dropout 0.2 (DL4J's argument is the keep probability, 0.8). One difference:
 * DL4J has no plain-momentum SGD, so {@code mlp1024} uses {@link Nesterovs} (Nesterov momentum 0.9, lr 0.025)
 * where Dendrite uses classical momentum; the work per step is the same.
 */
public final class Dl4jEpochBenchmark {
    static final String DL4J_VERSION = "1.0.0-M2.1";

    private Dl4jEpochBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String network = a.getOrDefault("network", "mlp512");
        int epochs = Integer.parseInt(a.getOrDefault("epochs", "3"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
        int trainSize = Integer.parseInt(a.getOrDefault("train", "60000"));
        // EpochBenchmark trains on the first --train images; --skip N starts at image N instead.
        int skip = Integer.parseInt(a.getOrDefault("skip", "0"));
        long seed = Long.parseLong(a.getOrDefault("seed", "1"));
        String config = a.getOrDefault("config", "default");
        if (epochs < 1 || warmup < 0) {
            throw new IllegalArgumentException("--epochs must be at least 1 and --warmup at least 0");
        }

        TrainTest tt = a.containsKey("data") ? FashionMnist.load(Path.of(a.get("data"))) : FashionMnist.load();
        int from = Math.min(skip, tt.train().size());
        Dataset train = tt.train().rows(from, Math.min(from + trainSize, tt.train().size()));
        int n = train.size();
        int batch = batchSize(network);

        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        INDArray x = features(train.images());
        INDArray y = oneHot(train.labels(), train.numClasses());
        INDArray testX = features(tt.test().images());
        INDArray testY = oneHot(tt.test().labels(), tt.test().numClasses());

        MultiLayerNetwork model = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .updater(updater(network))
                .list(layers(network))
                .setInputType(InputType.feedForward(x.columns()))
                .build());
        model.init();

        long t0 = System.nanoTime();
        Random rng = new Random(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        List<Double> allTimes = new ArrayList<>();
        double lastLoss = Double.NaN;
        for (int epoch = 0; epoch < warmup + epochs; epoch++) {
            long e0 = System.nanoTime();
            shuffle(order, rng);
            double lossSum = 0;
            for (int start = 0; start < n; start += batch) {
                int[] idx = Arrays.copyOfRange(order, start, Math.min(start + batch, n));
                model.fit(Nd4j.pullRows(x, 1, idx), Nd4j.pullRows(y, 1, idx));
                lossSum += model.score() * idx.length;
            }
            double seconds = (System.nanoTime() - e0) / 1e9;
            allTimes.add(seconds);
            lastLoss = lossSum / n;
            System.err.printf(Locale.ROOT, "epoch %d/%d%s: %.3f s, loss %.4f%n", epoch + 1, warmup + epochs,
                    epoch < warmup ? " (warm-up)" : "", seconds, lastLoss);
        }
        double total = (System.nanoTime() - t0) / 1e9;
        List<Double> times = allTimes.subList(warmup, warmup + epochs);
        double median = median(times);

        double testLoss = model.score(new DataSet(testX, testY));
        double testAccuracy = accuracy(model.output(testX, false), tt.test().labels());

        String env = ompEnvironment();
        String backend = "DL4J " + DL4J_VERSION + " nd4j-native CPU (" + Nd4j.factory().blas().getBlasVendor()
                + ", " + Nd4j.getEnvironment().maxThreads() + " threads" + (env.isEmpty() ? "" : ", " + env) + ")";
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("network", network);
        out.put("backend", backend);
        out.put("framework", "Deeplearning4j " + DL4J_VERSION);
        out.put("config", config);
        out.put("omp_env", env.isEmpty() ? "(none)" : env);
        out.put("nd4j_max_threads", Nd4j.getEnvironment().maxThreads());
        out.put("nd4j_build", buildInfo());
        out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("data", tt.source());
        out.put("train_images", n);
        out.put("train_first_image", from);
        out.put("batch_size", batch);
        out.put("optimizer", updater(network).toString());
        out.put("warmup_epochs", warmup);
        out.put("epoch_times_s", new ArrayList<Object>(times));
        out.put("median_epoch_s", median);
        out.put("samples_per_s", n / median);
        out.put("total_s", total);
        out.put("peak_heap_mb", peakHeapMb());
        if (!Double.isNaN(peakRssMb())) {
            out.put("peak_rss_mb", peakRssMb());
        }
        out.put("final_train_loss", lastLoss);
        out.put("test_loss", testLoss);
        out.put("test_accuracy", testAccuracy);
        System.out.printf(Locale.ROOT, "%s on %s [%s]: median epoch %.3f s (%,.0f samples/s) over %d epochs after %d "
                + "warm-up; peak heap %.0f MB, peak RSS %.0f MB; test accuracy %.4f after %d epochs%n", network,
                backend, config, median, n / median, epochs, warmup, peakHeapMb(), peakRssMb(), testAccuracy,
                warmup + epochs);
        if (a.containsKey("json")) {
            Path p = Path.of(a.get("json"));
            if (p.getParent() != null) {
                Files.createDirectories(p.getParent());
            }
            Files.write(p, Json.write(out, true).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The layers of EpochBenchmark's networks, after the 784-pixel input. */
    static org.deeplearning4j.nn.conf.layers.Layer[] layers(String network) {
        switch (network) {
            case "mlp512":
                return mlp(512);
            case "mlp1024":
                return mlp(1024);
            case "wide4096":
                return new org.deeplearning4j.nn.conf.layers.Layer[] {
                    new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(),
                    new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(),
                    new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(),
                    output(),
                };
            case "bn256": {
                List<org.deeplearning4j.nn.conf.layers.Layer> l = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    l.add(new DenseLayer.Builder().nOut(256).activation(Activation.IDENTITY).build());
                    l.add(new ActivationLayer.Builder().activation(Activation.RELU).build());
                    l.add(new BatchNormalization.Builder().decay(0.99).eps(1e-3).build());
                    l.add(new DropoutLayer.Builder(0.8).build()); // keep probability: Keras's Dropout(0.2)
                }
                l.add(output());
                return l.toArray(new org.deeplearning4j.nn.conf.layers.Layer[0]);
            }
            default:
                throw new IllegalArgumentException("unknown --network '" + network
                        + "'; expected mlp512, bn256, mlp1024 or wide4096");
        }
    }

    private static org.deeplearning4j.nn.conf.layers.Layer[] mlp(int width) {
        return new org.deeplearning4j.nn.conf.layers.Layer[] {
            new DenseLayer.Builder().nOut(width).activation(Activation.RELU).build(),
            new DenseLayer.Builder().nOut(width).activation(Activation.RELU).build(),
            output(),
        };
    }

    private static OutputLayer output() {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                .build();
    }

    static int batchSize(String network) {
        return network.equals("bn256") ? 64 : network.equals("wide4096") ? 1024 : 128;
    }

    static IUpdater updater(String network) {
        return network.equals("mlp1024") ? new Nesterovs(0.025, 0.9) : new Adam(0.001, 0.9, 0.999, 1e-7);
    }

    /** Pixels as floats / 255, one flattened image per row. */
    private static INDArray features(ByteTensor images) {
        ByteTensor raw = images.raw();
        int rows = raw.rows();
        int cols = raw.sampleSize();
        byte[] data = raw.array();
        int offset = raw.arrayOffset();
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) {
            f[i] = (data[offset + i] & 0xff) / 255f;
        }
        return Nd4j.create(f, new long[] {rows, cols}, DataType.FLOAT);
    }

    private static INDArray oneHot(int[] labels, int classes) {
        float[] f = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            f[i * classes + labels[i]] = 1f;
        }
        return Nd4j.create(f, new long[] {labels.length, classes}, DataType.FLOAT);
    }

    private static double accuracy(INDArray probabilities, int[] labels) {
        long[] predicted = probabilities.argMax(1).toLongVector();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                correct++;
            }
        }
        return correct / (double) labels.length;
    }

    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static double median(List<Double> times) {
        double[] s = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The OpenMP/OpenBLAS variables that change how libnd4j runs, as NAME=value pairs. */
    private static String ompEnvironment() {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_PROC_BIND", "GOMP_SPINCOUNT",
            "OPENBLAS_NUM_THREADS"}) {
            String v = System.getenv(name);
            if (v != null) {
                sb.append(sb.length() == 0 ? "" : " ").append(name).append('=').append(v);
            }
        }
        return sb.toString();
    }

    private static String buildInfo() {
        try {
            return NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().trim().replaceAll("\\s+", " ");
        } catch (RuntimeException | LinkageError e) {
            return "unknown (" + e + ")";
        }
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

    /** Peak resident set size of the whole process (DL4J keeps its arrays off the Java heap). */
    private static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1e3;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no figure
        }
        return Double.NaN;
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
