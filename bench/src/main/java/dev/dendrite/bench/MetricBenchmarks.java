package dev.dendrite.bench;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.MetricHit;
import dev.dendrite.metrics.AUC;
import dev.dendrite.metrics.F1Score;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.Precision;
import dev.dendrite.metrics.Recall;
import dev.dendrite.metrics.TopKCategoricalAccuracy;

/**
 * What the metrics cost per training step, on a 128-row batch of 10 softmax outputs with class-index labels and
 * AUC (200 thresholds), precision, recall, top-5 accuracy and per-class F1: {@code deviceCounts} issues the metric
 * ops that add the batch to their device counts and waits for them; {@code hostPath} is what a step did before them,
 * and still does with {@code -Ddendrite.metrics.device=false}: read the outputs and labels back and update the
 * host metrics. On a GPU the read is also a wait that stalls the step; here only the work is timed.
 *
 * <pre>
 * java -jar bench/target/dendrite-bench.jar MetricBenchmarks -p backend=cpu,opencl
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricBenchmarks {
    private static final int ROWS = 128;
    private static final int CLASSES = 10;

    @Param({"cpu"})
    public String backend;

    private Backend be;
    private Buffer pred;
    private Buffer labels;
    private Buffer thresholds;
    private Buffer confusion;
    private Buffer buckets;
    private Buffer hits;
    private Buffer classCounts;
    private final float[] hostPred = new float[ROWS * CLASSES];
    private final int[] hostLabels = new int[ROWS];
    private List<Metric> hostMetrics;

    @Setup
    public void setUp() {
        be = Backends.create(backend);
        SplittableRandom r = new SplittableRandom(1);
        float[] p = new float[ROWS * CLASSES];
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                p[i * CLASSES + c] = (float) r.nextDouble();
                sum += p[i * CLASSES + c];
            }
            for (int c = 0; c < CLASSES; c++) {
                p[i * CLASSES + c] /= (float) sum;
            }
            y[i] = r.nextInt(CLASSES);
        }
        pred = be.allocate(DType.F32, p.length);
        be.upload(p, 0, pred.all());
        labels = be.allocate(DType.I32, ROWS);
        be.upload(y, 0, labels.all());
        thresholds = be.allocate(DType.F32, 1);
        be.upload(new float[] {0.5f}, 0, thresholds.all());
        confusion = be.allocate(DType.I32, 4);
        buckets = be.allocate(DType.I32, 400);
        hits = be.allocate(DType.I32, 1);
        classCounts = be.allocate(DType.I32, 4 * CLASSES);
        hostMetrics = List.of(new AUC(), new Precision(), new Recall(), new TopKCategoricalAccuracy(5),
                new F1Score());
    }

    @TearDown
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void deviceCounts() {
        be.metricBuckets(pred.all(), labels.all(), true, ROWS, CLASSES, 200, buckets.all());
        be.metricConfusion(pred.all(), labels.all(), true, ROWS, CLASSES, thresholds.all(), 1, confusion.all());
        be.metricConfusion(pred.all(), labels.all(), true, ROWS, CLASSES, thresholds.all(), 1, confusion.all());
        be.metricHits(pred.all(), labels.all(), true, ROWS, CLASSES, MetricHit.TOP_K, 5, 0f, hits.all());
        be.metricClassCounts(pred.all(), labels.all(), true, ROWS, CLASSES, Float.NaN, classCounts.all());
        be.synchronize();
    }

    @Benchmark
    public void hostPath() {
        be.download(pred.all(), hostPred, 0);
        be.download(labels.all(), hostLabels, 0);
        for (Metric m : hostMetrics) {
            m.update(hostPred, null, hostLabels, ROWS, CLASSES); // results only when logs are read, as in a fit
        }
    }
}
