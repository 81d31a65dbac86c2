package dev.dendrite.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Per-op JMH micro-benchmarks on any backend ({@code -p backend=cpu,opencl,cuda}): GEMM at the course's
 * shapes (a 128-row batch through 784-512-512-10, forward and both backward products) and square sizes,
 * and one representative of each element-wise kernel family. Every op ends with {@link Backend#synchronize()}
 * so that asynchronous backends are timed to completion.
 *
 * <pre>
 * java -jar bench/target/dendrite-bench.jar OpBenchmarks -p backend=cpu
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OpBenchmarks {
    @Param({"cpu"})
    public String backend;

    /** Threads of the cpu backend; 0: one per available processor (the default). Ignored by other backends. */
    @Param({"0"})
    public int cpuThreads;

    private Backend be;
    private Buffer a;
    private Buffer b;
    private Buffer c;
    private Buffer bias;
    private Buffer params;
    private Buffer grads;
    private Buffer m1;
    private Buffer m2;
    private Buffer m3;
    private Buffer hyper;
    private Buffer counters;
    private Buffer stats;
    private Buffer labels;
    private Buffer images;
    private Buffer order;
    private Buffer scale;
    private Buffer shift;
    private Buffer gamma;
    private Buffer beta;
    private Buffer runMean;
    private Buffer runVar;
    private Buffer saveMean;
    private Buffer saveInvStd;
    private Buffer dgamma;
    private Buffer dbeta;
    private Buffer permutation;

    private static final int ROWS = 128;
    private static final int WIDTH = 512;
    private static final int PARAMS = 669_706;
    /** An MNIST-sized image set: {@code IMAGES} rows of {@code PIXELS} bytes. */
    private static final int IMAGES = 10_000;
    private static final int PIXELS = 784;
    /** The training rows one epoch shuffles. */
    private static final int EPOCH_ROWS = 60_000;

    @Setup(Level.Trial)
    public void setUp() {
        be = backend.equals("cpu") && cpuThreads > 0 ? new CpuBackend(cpuThreads) : Backends.create(backend);
        SplittableRandom rnd = new SplittableRandom(42);
        int big = 1024 * 1024;
        a = random(be, big, rnd);
        b = random(be, big, rnd);
        c = random(be, big, rnd);
        bias = random(be, WIDTH, rnd);
        params = random(be, PARAMS, rnd);
        grads = random(be, PARAMS, rnd);
        m1 = be.allocate(DType.F32, PARAMS);
        m2 = be.allocate(DType.F32, PARAMS);
        m3 = be.allocate(DType.F32, PARAMS);
        hyper = be.allocate(DType.F32, 4);
        be.fill(hyper.all(), 1e-3f);
        counters = be.allocate(DType.I32, Backend.COUNTERS_LENGTH);
        stats = be.allocate(DType.F32, Backend.STATS_LENGTH);
        labels = be.allocate(DType.I32, ROWS);
        int[] l = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            l[i] = rnd.nextInt(10);
        }
        be.upload(l, 0, labels.all());
        byte[] px = new byte[IMAGES * PIXELS];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) rnd.nextInt(256);
        }
        images = be.allocate(DType.U8, px.length);
        be.upload(px, 0, images.all());
        order = be.allocate(DType.I32, IMAGES);
        be.randomPermutation(order.all(), IMAGES, 42L, 0);
        scale = be.allocate(DType.F32, PIXELS);
        be.fill(scale.all(), 1f / 255f);
        shift = be.allocate(DType.F32, PIXELS);
        be.fill(shift.all(), -0.5f);
        gamma = random(be, WIDTH, rnd);
        beta = random(be, WIDTH, rnd);
        runMean = be.allocate(DType.F32, WIDTH);
        runVar = be.allocate(DType.F32, WIDTH);
        be.fill(runVar.all(), 1f);
        saveMean = be.allocate(DType.F32, WIDTH);
        saveInvStd = be.allocate(DType.F32, WIDTH);
        dgamma = be.allocate(DType.F32, WIDTH);
        dbeta = be.allocate(DType.F32, WIDTH);
        permutation = be.allocate(DType.I32, EPOCH_ROWS);
    }

    /** {@code n} uniform values in [-0.5, 0.5), uploaded; shared with {@link HeapVectorCheck}. */
    static Buffer random(Backend be, int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() - 0.5);
        }
        Buffer buf = be.allocate(DType.F32, n);
        be.upload(v, 0, buf.all());
        return buf;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    /** The GEMM shape: {@code m x n x k : transA transB}. */
    @State(Scope.Benchmark)
    public static class Shape {
        /** Forward x.W, the weight gradient x^T.dz and the input gradient dz.W^T of 784-512-512-10 at batch 128. */
        @Param({"128x512x784:NN", "784x512x128:TN", "128x784x512:NT", "128x512x512:NN", "128x10x512:NN",
            "1024x1024x1024:NN"})
        public String gemm;
        int m;
        int n;
        int k;
        boolean transA;
        boolean transB;

        @Setup(Level.Trial)
        public void parse() {
            String[] parts = gemm.split(":");
            String[] dims = parts[0].split("x");
            m = Integer.parseInt(dims[0]);
            n = Integer.parseInt(dims[1]);
            k = Integer.parseInt(dims[2]);
            transA = parts[1].charAt(0) == 'T';
            transB = parts[1].charAt(1) == 'T';
        }
    }

    @Benchmark
    public void gemm(Shape s) {
        be.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a.all(), b.all(), 0f, c.all());
        be.synchronize();
    }

    /** Bias + relu over a 128 x 512 batch. */
    @Benchmark
    public void biasRelu() {
        be.biasActivationForward(a.all(), bias.all(), ROWS, WIDTH, ActivationFunction.RELU, 0f, c.all());
        be.synchronize();
    }

    @Benchmark
    public void reluBackwardWithBiasGrad() {
        be.activationBackward(a.all(), b.all(), c.all(), ROWS, WIDTH, ActivationFunction.RELU, 0f, c.all(),
                bias.all());
        be.synchronize();
    }

    /** One training batch of MNIST: 128 shuffled rows of 784 U8 pixels to F32, scaled and shifted per feature. */
    @Benchmark
    public void gatherU8Batch() {
        be.gather(images.all(), PIXELS, order.all(), counters.all(), ROWS, ROWS, scale.all(), shift.all(),
                c.all());
        be.synchronize();
    }

    /** Relu backward without the bias gradient: the element-wise pass alone. */
    @Benchmark
    public void reluBackward() {
        be.activationBackward(a.all(), b.all(), c.all(), ROWS, WIDTH, ActivationFunction.RELU, 0f, c.all(), null);
        be.synchronize();
    }

    @Benchmark
    public void softmaxCrossEntropy() {
        be.softmaxCrossEntropy(a.all(), labels.all(), true, ROWS, 10, b.all(), c.all(), 1f / ROWS, stats.all());
        be.synchronize();
    }

    @Benchmark
    public void dropout() {
        be.dropoutForward(a.all(), c.all(), ROWS * WIDTH, 0.2f, 7L, 1, counters.all());
        be.synchronize();
    }

    @Benchmark
    public void adamOverTheNotebookParameters() {
        be.adamUpdate(params.all(), grads.all(), m1.all(), m2.all(), null, PARAMS, hyper.all(), counters.all(),
                0.9f, 0.999f, 1e-7f);
        be.synchronize();
    }

    /** Keras RMSprop's defaults (no momentum, not centered): the course's comparison of optimizers. */
    @Benchmark
    public void rmspropOverTheNotebookParameters() {
        be.rmspropUpdate(params.all(), grads.all(), m2.all(), null, null, PARAMS, hyper.all(), 0.9f, 0f, 1e-7f);
        be.synchronize();
    }

    /** Keras RMSprop centered and with momentum 0.9: three states, the moving mean of g subtracted. */
    @Benchmark
    public void rmspropCenteredMomentumOverTheNotebookParameters() {
        be.rmspropUpdate(params.all(), grads.all(), m2.all(), m1.all(), m3.all(), PARAMS, hyper.all(), 0.9f, 0.9f,
                1e-7f);
        be.synchronize();
    }

    @Benchmark
    public void adagradOverTheNotebookParameters() {
        be.adagradUpdate(params.all(), grads.all(), m2.all(), PARAMS, hyper.all(), 1e-7f);
        be.synchronize();
    }

    /** Keras's classic Adadelta (rho 0.95): two moving means, two square roots and a division per parameter. */
    @Benchmark
    public void adadeltaOverTheNotebookParameters() {
        be.adadeltaUpdate(params.all(), grads.all(), m1.all(), m2.all(), PARAMS, hyper.all(), 0.95f, 1e-7f);
        be.synchronize();
    }

    /** Keras Adamax's defaults: Adam's first moment and a decaying infinity norm, one division per parameter. */
    @Benchmark
    public void adamaxOverTheNotebookParameters() {
        be.adamaxUpdate(params.all(), grads.all(), m1.all(), m2.all(), PARAMS, hyper.all(), counters.all(), 0.9f,
                0.999f, 1e-7f);
        be.synchronize();
    }

    /** Keras Nadam's defaults: Adam's moments with the Nesterov look-ahead of the first. */
    @Benchmark
    public void nadamOverTheNotebookParameters() {
        be.nadamUpdate(params.all(), grads.all(), m1.all(), m2.all(), PARAMS, hyper.all(), counters.all(), 0.9f,
                0.999f, 1e-7f);
        be.synchronize();
    }

    /** Keras Lion's defaults: the sign of an interpolated moment, one moment. */
    @Benchmark
    public void lionOverTheNotebookParameters() {
        be.lionUpdate(params.all(), grads.all(), m1.all(), PARAMS, hyper.all(), 0.9f, 0.99f);
        be.synchronize();
    }

    /** Training-mode batch norm over a 128 x 512 batch, running statistics updated. */
    @Benchmark
    public void batchNormForward() {
        be.batchNormForwardTraining(a.all(), ROWS, WIDTH, gamma.all(), beta.all(), 1e-3f, 0.99f, runMean.all(),
                runVar.all(), c.all(), saveMean.all(), saveInvStd.all());
        be.synchronize();
    }

    @Benchmark
    public void batchNormBackward() {
        be.batchNormBackward(a.all(), b.all(), ROWS, WIDTH, gamma.all(), saveMean.all(), saveInvStd.all(), c.all(),
                dgamma.all(), dbeta.all());
        be.synchronize();
    }

    /** Column sums of a 128 x 512 gradient: a bias gradient when it is not fused into the activation's pass. */
    @Benchmark
    public void columnSums() {
        be.columnSums(a.all(), ROWS, WIDTH, bias.all());
        be.synchronize();
    }

    @Benchmark
    public void sgdMomentumOverTheNotebookParameters() {
        be.sgdUpdate(params.all(), grads.all(), m1.all(), PARAMS, hyper.all(), 0.9f, false);
        be.synchronize();
    }

    @Benchmark
    public void l2GradientOverTheNotebookParameters() {
        be.regularizerGradient(params.all(), grads.all(), PARAMS, 0f, 1e-4f);
        be.synchronize();
    }

    /**
     * MaxNorm(3) on the notebook's first kernel (784 x 512, each unit's column), as every step of a constrained
     * layer runs it after the update; l2GradientOverTheNotebookParameters streams 1.7 times as many floats once.
     */
    @Benchmark
    public void maxNormOverTheFirstKernel() {
        be.normConstraint(a.all().slice(0, PIXELS * WIDTH), PIXELS, WIDTH, 0, 0f, 3f, 1f);
        be.synchronize();
    }

    /** The epoch's shuffle of 60,000 rows, on the device. */
    @Benchmark
    public void randomPermutation() {
        be.randomPermutation(permutation.all(), EPOCH_ROWS, 42L, 1);
        be.synchronize();
    }
}
