package dev.dendrite.backend.cuda;

import static dev.dendrite.backend.cuda.CudaContext.ptr;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.OpFamilies;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.DeviceOpTimer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.DeviceErrors;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.AbstractBackend;
import dev.dendrite.backend.CountersInUpdate;
import dev.dendrite.backend.Slice;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;

/**
 * The CUDA {@link Backend}: JCuda's driver API for memory, the kernel module, the stream and graphs; cuBLAS
 * (through JCublas2) for GEMM; the hand-written kernels of {@code kernels/cuda/*.cu}, compiled ahead of time
 * into {@code dendrite_kernels.fatbin} and loaded with cuModuleLoadData, for everything else.
 *
 * <p>Everything runs on one non-blocking stream of the device's primary context, which JCublas2 shares; the
 * cuBLAS handle works on the same stream with a workspace of its own, so nothing allocates while a step is
 * being captured into a {@link CudaGraph}. Ops are asynchronous; {@link #download} and {@link #synchronize}
 * wait. Values only the device sees (sparse labels, shuffle indices, the batch counter) are checked by the
 * kernels, and a bad one is reported by the next {@code download} or {@code synchronize} as an
 * {@link IllegalArgumentException} naming it.
 *
 * <p>Precision: FP32 by default; {@link #setTf32(boolean)} (or {@code -Ddendrite.cuda.tf32=true}) lets cuBLAS
 * use TF32 tensor cores for GEMM, several times faster on Ampere and later at about 1e-3 relative error.
 * {@code -Ddendrite.cuda.device=N} picks a GPU; {@code -Ddendrite.cuda.sync=true} waits after every op, so that
 * an asynchronous fault is reported by the op that caused it.
 *
 * <p>Like a stream, one backend is meant to be driven by one thread at a time.
 */
public final class CudaBackend extends AbstractBackend<CudaBuffer> implements DeviceOpTimer {
    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());

    private final Set<CudaGraph> graphs = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Whether {@link #capture} records CUDA graphs; {@code -Ddendrite.cuda.graphs=false} turns them off. */
    private final boolean graphsEnabled = !"false".equalsIgnoreCase(System.getProperty("dendrite.cuda.graphs"));
    /**
     * Whether each recorded graph's shape is read for {@link #largestGraph()}: {@code -Ddendrite.cuda.graphShape=true}
     * (EpochBenchmark sets it). Off by default, so that training calls the driver's edge query only where measured.
     */
    private final boolean graphShapes = Boolean.getBoolean("dendrite.cuda.graphShape");
    /**
     * Whether {@link #branch} runs its ops on the side lane while a step is recorded;
     * {@code -Ddendrite.cuda.branches=false} issues them in place, one path through the graph.
     */
    private final boolean branchesEnabled =
            !"false".equalsIgnoreCase(System.getProperty("dendrite.cuda.branches"));
    /**
     * Whether {@link #denseForward} may fold a split product into the bias and activation;
     * {@code -Ddendrite.cuda.fuse=false} issues the two ops (for comparisons: the results are the same bits).
     */
    private final boolean fuseEnabled = !"false".equalsIgnoreCase(System.getProperty("dendrite.cuda.fuse"));
    /** Set when the side lane could not be created: branches run in place from then on. */
    private boolean branchesFailed;
    /** Set when the driver refused a capture: later steps are issued op by op. */
    private boolean graphsFailed;
    private long graphLaunches;
    private volatile CudaGraph.GraphShape largestGraph;
    private final CudaContext ctx;
    private final CudaOpTimer timer;
    // The op families this backend calls besides AbstractBackend (the others are handed over by use()).
    private final CudaGemmOps gemm;
    private final CudaDataOps data;
    private final CudaBatchNormOps batchNorm;
    private final CudaActivationOps activations;
    private final CudaLossOps losses;

    /**
     * A backend on the GPU given by {@code -Ddendrite.cuda.device} (default 0).
     *
     * @throws UnsupportedOperationException when CUDA cannot run here, saying why (no driver, no device, no
     *         kernels in this build, no cuBLAS ...)
     */
    public CudaBackend() {
        this(Integer.getInteger("dendrite.cuda.device", 0));
    }

    /**
     * A backend on GPU number {@code deviceIndex}.
     *
     * @throws UnsupportedOperationException when CUDA cannot run here, saying why
     */
    public CudaBackend(int deviceIndex) {
        super(CudaBuffer.class);
        this.ctx = new CudaContext(deviceIndex);
        this.timer = new CudaOpTimer(ctx);
        this.gemm = new CudaGemmOps(ctx, this::recordsGraphs); // reads -Ddendrite.cuda.gemm: a bad value fails here
        CudaReductionOps reductions = new CudaReductionOps(ctx);
        this.activations = new CudaActivationOps(ctx, reductions);
        this.losses = new CudaLossOps(ctx);
        CudaRegularizerOps regularizers = new CudaRegularizerOps(ctx);
        CudaDropoutOps dropout = new CudaDropoutOps(ctx);
        this.batchNorm = new CudaBatchNormOps(ctx);
        CudaOptimizerOps optimizers = new CudaOptimizerOps(ctx);
        this.data = new CudaDataOps(ctx);
        use(new OpFamilies(gemm, reductions, activations, losses, regularizers, dropout, batchNorm, optimizers, data,
                new CudaOptimizerOptionOps(ctx), new CudaNoiseOps(ctx), new CudaLayerNormOps(ctx),
                new CudaAugmentOps(ctx), new CudaMetricOps(ctx)));
        byte[] fatbin = CudaLibraries.fatbin();
        String notBuilt = "CUDA kernels were not built (nvcc was not found at build time)";
        try {
            CudaLibraries.loadDriver();
        } catch (UnsupportedOperationException e) {
            throw fatbin != null ? e
                    : new UnsupportedOperationException(e.getMessage() + "; also, " + notBuilt, e.getCause());
        }
        if (fatbin == null) {
            throw new UnsupportedOperationException("CUDA is unavailable: " + notBuilt);
        }
        JCudaDriver.setExceptionsEnabled(true);
        try {
            ctx.open(fatbin);
            gemm.openLt();
        } catch (RuntimeException | Error e) {
            releaseEverything(closeBuffers()); // closed, with no buffers yet
            throw e;
        }
        boolean tf32Default = Boolean.getBoolean("dendrite.cuda.tf32");
        if (tf32Default) {
            setTf32(true);
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "cuda: %s (sm_%d%d, %d SMs, %.1f GiB), driver %s, cuBLAS %s (%s), %s, %s, %s",
                ctx.gpuName, ctx.ccMajor, ctx.ccMinor, ctx.smCount, ctx.totalMemory / (double) (1L << 30),
                CudaContext.version(ctx.driverVersion), CudaContext.cublasVersionString(ctx.cublasVersion),
                ctx.cublasRoute, gemm.ltStatus(), ctx.tf32 ? "TF32 GEMM" : "FP32",
                ctx.pdl ? "programmatic dependent launch"
                        : "no programmatic dependent launch (" + ctx.pdlProblem + ")");
    }

    /** The GPU's name, e.g. {@code "NVIDIA H100 80GB HBM3"}. */
    public String deviceName() {
        return ctx.gpuName;
    }

    /** cuBLAS's version as it reports it, e.g. 130100 for 13.1.0. */
    public int cublasVersion() {
        return ctx.cublasVersion;
    }

    /**
     * Lets cuBLAS use TF32 tensor cores for {@link #gemm} (10-bit mantissa inputs, FP32 accumulation), or goes
     * back to full FP32 (the default). Takes effect for GEMMs issued afterwards; a {@link CudaGraph} keeps the
     * mode it was captured with.
     */
    public void setTf32(boolean enabled) {
        ensureOpen();
        ctx.setTf32(enabled);
    }

    /** Whether GEMMs may use TF32 (see {@link #setTf32}). */
    public boolean isTf32() {
        return ctx.tf32;
    }

    // ================================================================== memory

    @Override
    protected Buffer doAllocate(DType dtype, int length) {
        ctx.noCapture("allocate");
        long bytes = (long) length * dtype.bytes();
        CUdeviceptr p = new CUdeviceptr();
        if (bytes > 0) {
            try {
                cuMemAlloc(p, bytes);
                ctx.memory.add(bytes);
            } catch (CudaException e) {
                throw ctx.allocationFailure("allocate(" + dtype + ", " + length + ")", bytes, e);
            }
            try {
                cuMemsetD8Async(p, (byte) 0, bytes, ctx.stream);
                ctx.afterOp();
            } catch (CudaException e) {
                freeQuietly(p);
                throw ctx.fail("allocate", dtype + " x " + length, e);
            }
        }
        CudaBuffer b = new CudaBuffer(this, dtype, length, p);
        if (!register(b)) {
            if (bytes > 0) {
                freeQuietly(p);
            }
            ensureOpen(); // closed meanwhile: throws
        }
        return b;
    }

    /** Frees one buffer (called by {@link CudaBuffer#close()}). */
    void release(CudaBuffer b) {
        if (!b.markClosed() || !unregister(b)) {
            return; // closed already, or the backend's close() frees (or freed) it
        }
        if (b.bytes() == 0) {
            return;
        }
        ctx.noCapture("Buffer.close");
        bind();
        try {
            cuStreamSynchronize(ctx.stream); // ops still queued may read it
            cuMemFree(b.pointer());
            ctx.memory.add(-b.bytes());
        } catch (CudaException e) {
            throw ctx.fail("Buffer.close", b.toString(), e);
        }
    }

    /**
     * The GPU's free and total memory in bytes, {@code {free, total}}, as {@code cuMemGetInfo} reports them (for
     * leak checks and diagnostics). Free memory is the whole device's: other contexts and processes count too,
     * and the driver hands out memory in pages, so it moves in steps of about 2 MiB.
     *
     * @throws IllegalStateException if the backend is closed
     */
    public long[] memoryInfo() {
        ensureOpen();
        return ctx.memoryInfo();
    }

    @Override
    protected void doUpload(float[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset((long) srcOffset * 4), CudaContext.ptr(dst),
                (long) dst.length() * 4);
    }

    @Override
    protected void doUpload(int[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset((long) srcOffset * 4), CudaContext.ptr(dst),
                (long) dst.length() * 4);
    }

    @Override
    protected void doUpload(byte[] src, int srcOffset, Slice dst) {
        copyIn("upload", Pointer.to(src).withByteOffset(srcOffset), CudaContext.ptr(dst), dst.length());
    }

    /**
     * Host to device, ordered after every op issued before. From pageable (Java) memory the driver stages the
     * data before returning; the stream is synchronised anyway so that the Java array is free to change.
     */
    private void copyIn(String op, Pointer src, CUdeviceptr dst, long bytes) {
        ctx.noCapture(op);
        if (bytes == 0) {
            return;
        }
        try {
            cuMemcpyHtoDAsync(dst, src, bytes, ctx.stream);
            cuStreamSynchronize(ctx.stream);
        } catch (CudaException e) {
            throw ctx.fail(op, bytes + " bytes", e);
        }
    }

    @Override
    protected void doDownload(Slice src, float[] dst, int dstOffset) {
        copyOut(Pointer.to(dst).withByteOffset((long) dstOffset * 4), CudaContext.ptr(src), (long) src.length() * 4);
    }

    @Override
    protected void doDownload(Slice src, int[] dst, int dstOffset) {
        copyOut(Pointer.to(dst).withByteOffset((long) dstOffset * 4), CudaContext.ptr(src), (long) src.length() * 4);
    }

    private void copyOut(Pointer dst, CUdeviceptr src, long bytes) {
        ctx.noCapture("download");
        try {
            if (bytes > 0) {
                cuMemcpyDtoHAsync(dst, src, bytes, ctx.stream);
            }
            cuStreamSynchronize(ctx.stream);
        } catch (CudaException e) {
            throw ctx.fail("download", bytes + " bytes", e);
        }
        checkDeviceErrors();
    }

    @Override
    protected void doFill(Slice x, float value) {
        if (x.length() == 0) {
            return;
        }
        try {
            cuMemsetD32Async(CudaContext.ptr(x), Float.floatToRawIntBits(value), x.length(), ctx.stream);
            ctx.afterOp();
        } catch (CudaException e) {
            throw ctx.fail("fill", x + ", value=" + value, e);
        }
    }

    @Override
    protected void doCopy(Slice src, Slice dst) {
        if (src.length() == 0) {
            return;
        }
        try {
            cuMemcpyDtoDAsync(CudaContext.ptr(dst), CudaContext.ptr(src), (long) src.length() * src.dtype().bytes(),
                    ctx.stream);
            ctx.afterOp();
        } catch (CudaException e) {
            throw ctx.fail("copy", src + " -> " + dst, e);
        }
    }

    @Override
    protected void doSynchronize() {
        ctx.noCapture("synchronize");
        try {
            cuStreamSynchronize(ctx.stream);
        } catch (CudaException e) {
            throw ctx.fail("synchronize", "", e);
        }
        checkDeviceErrors();
    }

    /**
     * Reads the control block's error words after the stream has drained, and throws for the first bad value a
     * kernel met (then clears it, so the backend stays usable).
     */
    private void checkDeviceErrors() {
        if (!ctx.errorsPending) {
            return;
        }
        int[] err = new int[4];
        try {
            cuMemcpyDtoHAsync(Pointer.to(err), ctx.control, 16, ctx.stream);
            cuStreamSynchronize(ctx.stream);
            ctx.errorsPending = false;
            if (err[0] == 0) {
                return;
            }
            cuMemsetD32Async(ctx.control, 0, 4, ctx.stream);
            cuStreamSynchronize(ctx.stream);
        } catch (CudaException e) {
            throw ctx.fail("synchronize", "reading the device's error block", e);
        }
        throw DeviceErrors.decode(name(), err);
    }

    /**
     * A dense relu or linear layer as one cuBLASLt product with its bias and relu in the epilogue, where that
     * measured faster than the two ops (CudaGemmOps.denseEpilogue); else a product split over k folds straight
     * into its bias and activation (CudaGemmOps.foldsIntoActivation).
     */
    @Override
    protected boolean fusedDenseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                        float alpha, Slice z, Slice y) {
        if (!fuseEnabled) {
            return false;
        }
        Runnable apart = () -> denseApart(x, w, bias, rows, k, n, f, alpha, z, y);
        // cuBLASLt's output must not overlap its inputs: y apart from x, w and the bias, else the two ops
        boolean yApart = apartFromDenseInputs(x, w, rows, k, n, y) && (bias == null || !overlaps(y, bias, n));
        if (!yApart || !gemm.denseEpilogue(x, w, bias, rows, k, n, f, y, apart)) {
            apart.run();
        }
        return true;
    }

    /** A dense layer's product, then its bias and activation (folded into one kernel after a split product). */
    private void denseApart(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f, float alpha,
                            Slice z, Slice y) {
        if (!gemm.foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y)) {
            gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
            activations.biasActivationForward(z, bias, rows, n, f, alpha, y);
        }
    }

    /**
     * A softmax output layer and its cross-entropy: the product (or a split product's partials), then one kernel for
     * the fold, the bias, the softmax and the loss (losses.cu's softmax_forward_xent_*); where the product takes
     * GemmVariant.ROWS, one kernel for all of it (softmax_forward_xent_rows), unless an output shares memory with x
     * or w.
     */
    @Override
    protected boolean fusedDenseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z,
                                                    Slice y, Slice labels, boolean sparseLabels, Slice probs,
                                                    Slice dlogits, float gradScale, Slice stats, Slice dbias) {
        // dbias is null (biasGradientWithLoss is the default's never): the output layer's bias gradient stays on the
        // weight gradients' graph branch, where it runs beside the input gradient's product, off the step's path.
        if (!fuseEnabled || rows == 0 || n == 0) {
            return false;
        }
        if (gemm.takesRows(x, w, rows, k, n) && apartFromDenseInputs(x, w, rows, k, n, y, probs, dlogits, stats)) {
            losses.rowsSoftmaxForwardCrossEntropy(x, w, k, z, bias, y, labels, sparseLabels, rows, n, probs, dlogits,
                    gradScale, stats);
            return true;
        }
        int[] splits = {0};
        CUdeviceptr partials = gemm.splitPartials(x, w, rows, k, n, splits);
        if (partials == null) {
            gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
        }
        losses.softmaxForwardCrossEntropy(partials, splits[0], z, bias, y, labels, sparseLabels, rows, n, probs,
                dlogits, gradScale, stats);
        return true;
    }

    /**
     * A dense layer and the Dropout after it: the product, then one kernel for the bias, the activation and the
     * dropped output (bias_activation_forward, or gemm_fold_bias_activation after a split product). Not for softmax.
     */
    @Override
    protected boolean fusedDenseDropoutForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                               ActivationFunction f, float alpha, Slice z, Slice y, Slice yDropped,
                                               float rate, long seed, int stream, Slice counters) {
        if (!fuseEnabled || f == ActivationFunction.SOFTMAX) {
            return false;
        }
        Slice drop = rate > 0f ? counters : null; // rate 0: the dropout is a copy, which the kernel then makes
        if (!gemm.foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y, yDropped, rate, seed, stream, drop)) {
            gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
            try {
                activations.forward(z, bias, rows, n, f, alpha, y, yDropped, rate, seed, stream, drop);
            } catch (CudaException e) {
                throw ctx.fail("denseDropoutForward", "rows=" + rows + ", n=" + n + ", " + f, e);
            }
        }
        if (drop == null) {
            ctx.copyUnlessSame(y, yDropped, (long) rows * n);
        }
        return true;
    }

    /** An activation layer and the Dropout after it in one kernel (bias_activation_forward). Not for softmax. */
    @Override
    protected boolean fusedActivationDropoutForward(Slice x, int rows, int cols, ActivationFunction f, float alpha,
                                                    Slice y, Slice yDropped, float rate, long seed, int stream,
                                                    Slice counters) {
        if (!fuseEnabled || f == ActivationFunction.SOFTMAX || rate == 0f) {
            return false;
        }
        try {
            activations.forward(x, null, rows, cols, f, alpha, y, yDropped, rate, seed, stream, counters);
        } catch (CudaException e) {
            throw ctx.fail("activationDropoutForward", "rows=" + rows + ", cols=" + cols + ", " + f, e);
        }
        return true;
    }

    /** The dropout's backward pass inside the activation's (activation_backward[_bias]). Not for softmax. */
    @Override
    protected boolean fusedActivationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols,
                                                     ActivationFunction f, float alpha, Slice dz, Slice dbias,
                                                     float rate, long seed, int stream, Slice counters) {
        if (!fuseEnabled || f == ActivationFunction.SOFTMAX || rate == 0f) {
            return false;
        }
        try {
            activations.backward(z, dyDropped, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters);
        } catch (CudaException e) {
            throw ctx.fail("activationDropoutBackward", "rows=" + rows + ", cols=" + cols + ", " + f, e);
        }
        return true;
    }

    /**
     * The layer above's input gradient inside this layer's activation_backward_bias: the kernel folds the partial
     * sums of a split product, or computes a thin product itself; one kernel less on the backward path. Where the
     * product's path allows neither with the same bits (CudaGemmOps.inputGradientForActivation), or without a bias
     * gradient, the ops run apart.
     */
    @Override
    protected boolean fusedInputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y,
                                                           int rows, int cols, ActivationFunction f, float alpha,
                                                           Slice dz, Slice dbias, float rate, long seed, int stream,
                                                           Slice counters) {
        if (!fuseEnabled || dbias == null || f == ActivationFunction.SOFTMAX) {
            return false;
        }
        int[] splits = {-1};
        CUdeviceptr partials = gemm.inputGradientForActivation(dzNext, wNext, rows, cols, k, splits);
        if (splits[0] < 0) {
            return false;
        }
        try {
            boolean thin = splits[0] == 0;
            activations.backwardWithBias(ptr(z), null, rows, cols, f, alpha, ptr(dz), ptr(dbias),
                    rate, seed, stream, counters, thin ? ptr(dzNext) : null,
                    thin ? ptr(wNext) : null, k, partials, splits[0]);
        } catch (CudaException e) {
            throw ctx.fail("inputGradientActivationBackward", "rows=" + rows + ", cols=" + cols + ", k=" + k + ", "
                    + f, e);
        }
        return true;
    }

    /**
     * A dense layer and the batch norm after it: the product (or a split product's partial sums), then one
     * batchnorm_forward_training that folds them, adds the bias, applies the activation and normalises.
     */
    @Override
    protected boolean fusedDenseBatchNormForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                                 ActivationFunction f, float alpha, Slice z, Slice y, Slice gamma,
                                                 Slice beta, float eps, float momentum, Slice runningMean,
                                                 Slice runningVar, Slice out, Slice saveMean, Slice saveInvStd,
                                                 float rate, long seed, int stream, Slice counters) {
        if (!fuseEnabled || f == ActivationFunction.SOFTMAX || rows == 0 || n == 0) {
            return false;
        }
        int[] splits = {0};
        CUdeviceptr partials = gemm.splitPartials(x, w, rows, k, n, splits);
        if (partials == null) {
            gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
        }
        batchNorm.forwardTraining("denseBatchNormForward", y, rows, n, gamma, beta, eps, momentum, runningMean,
                runningVar, out, saveMean, saveInvStd, rate, seed, stream, counters, true, partials, splits[0], bias, f,
                alpha, z);
        return true;
    }

    /**
     * A batch norm's backward pass between two dense layers in one batchnorm_backward: the layer above's input
     * gradient folded or computed in its first pass as in fusedInputGradientActivationBackward (or, on a path that
     * allows neither with the same bits, issued before it), and the activation below's backward pass in its second.
     */
    @Override
    protected boolean fusedBatchNormBackwardBetween(Slice dzNext, Slice wNext, int k, Slice x, Slice dy, int rows,
                                                    int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                                                    Slice dx, Slice dgamma, Slice dbeta, float rate, long seed,
                                                    int stream, Slice counters, Slice zBelow,
                                                    ActivationFunction fBelow, float alphaBelow, Slice dbiasBelow) {
        if (!fuseEnabled || (dx == null && dgamma == null && dbeta == null)
                || (zBelow != null && fBelow == ActivationFunction.SOFTMAX)) {
            return false;
        }
        int[] splits = {-1};
        CUdeviceptr partials = null;
        if (dzNext != null) {
            partials = gemm.inputGradientForActivation(dzNext, wNext, rows, cols, k, splits);
            if (splits[0] < 0) {
                gemm.gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dy);
            }
        }
        boolean thin = splits[0] == 0;
        batchNorm.backward("batchNormBackwardBetween", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma,
                dbeta, rate, seed, stream, counters, thin ? ptr(dzNext) : null, thin ? ptr(wNext) : null, k, partials,
                Math.max(0, splits[0]), zBelow, fBelow, alphaBelow, dbiasBelow);
        return true;
    }

    /** A batch norm and the Dropout after it in one kernel each way (batchnorm.cu). */
    @Override
    protected boolean fusedBatchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                                   float momentum, Slice runningMean, Slice runningVar, Slice y,
                                                   Slice saveMean, Slice saveInvStd, float rate, long seed,
                                                   int stream, Slice counters) {
        if (fuseEnabled) {
            batchNorm.forwardTraining("batchNormDropoutForward", x, rows, cols, gamma, beta, eps, momentum,
                    runningMean, runningVar, y, saveMean, saveInvStd, rate, seed, stream, counters);
        }
        return fuseEnabled;
    }

    @Override
    protected boolean fusedBatchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                                    Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma,
                                                    Slice dbeta, float rate, long seed, int stream, Slice counters) {
        if (fuseEnabled) {
            batchNorm.backward("batchNormDropoutBackward", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma,
                    dbeta, rate, seed, stream, counters);
        }
        return fuseEnabled;
    }

    /** A batch's inputs and targets in one launch (CudaDataOps.gatherBatch). */
    @Override
    protected boolean fusedGatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                       int yWidth, Slice yOut, Slice indices, Slice counters, int batchSize,
                                       int rows) {
        return fuseEnabled && data.gatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters,
                batchSize, rows, null);
    }

    /**
     * The gather's launch advances the counters by its last block (data.cu's gather_batch_*), as the step's last
     * update does: one node less in an evaluation batch's graph; off with {@code -Ddendrite.cuda.fuse=false}.
     */
    @Override
    protected boolean fusedGatherBatchThenAdvance(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                                  int yWidth, Slice yOut, Slice indices, Slice counters,
                                                  int batchSize, int rows) {
        return fuseEnabled && data.gatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters,
                batchSize, rows, counters);
    }

    /**
     * Makes every following {@link #gemm} take {@code path} ("cublas", "cublas-3xtf32", a cuBLAS split, a cuBLASLt
     * algorithm or a GemmVariant id; null: choose per shape again), so that tests can check each variant whatever the
     * choice would be.
     */
    void forceGemmPath(String path) {
        gemm.forceGemmPath(path);
    }

    /**
     * Makes every following dense relu or linear layer take {@code path} ("product", or "cublaslt-epilogue/0" to
     * "/3": one cuBLASLt product with the bias and relu in its epilogue, run apart where the layer's plan lacks that
     * algorithm; null: choose per layer again), so that tests can check each.
     */
    void forceDensePath(String path) {
        gemm.forceDensePath(path);
    }

    /** Whether an algorithm of cuBLASLt's relu epilogue was found to turn NaN into a number, and left out (tests). */
    boolean cublasLtReluMasksNan() {
        return gemm.ltReluMasksNan;
    }

    /** How many dense layers ran as one cuBLASLt product with their epilogue so far (for tests). */
    long cublasLtEpilogues() {
        return gemm.ltEpilogues;
    }

    /** The path measured for a dense layer (see CudaGemmOps.denseChoice), or null before that. */
    String denseChoice(ActivationFunction f, boolean bias, int rows, int k, int n) {
        return gemm.denseChoice(f, bias, rows, k, n);
    }

    /** How many products went through cuBLASLt so far (for tests: a forced cuBLASLt path may run as cuBLAS). */
    long cublasLtProducts() {
        return gemm.ltProducts;
    }

    /** The path {@link #gemm} measured for a shape (a path name as forceGemmPath takes it), or null before that. */
    String gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return gemm.gemmChoice(transA, transB, m, n, k);
    }

    // ================================================================== data movement

    // ================================================================== graphs (used by CudaGraph)

    /**
     * Whether {@link #capture} records CUDA graphs now: unless switched off, refused once by the driver, or
     * {@code -Ddendrite.cuda.sync} waits after each op (which a capture cannot contain).
     */
    private boolean recordsGraphs() {
        return graphsEnabled && !graphsFailed && !ctx.syncEachOp;
    }

    /**
     * Records {@code ops} as one CUDA graph (stream capture), replayed by each {@link CapturedStep#run()} with one
     * {@code cuGraphLaunch}: the engine's whole training step costs one host call. With
     * {@code -Ddendrite.cuda.graphs=false} the step is issued op by op instead, for comparison and debugging.
     */
    @Override
    public CapturedStep capture(Runnable ops) {
        if (!recordsGraphs()) {
            return CapturedStep.eager(ops);
        }
        try {
            return CudaGraph.capture(this, ops);
        } catch (CudaBackendException e) {
            // A driver that refuses the capture (not a bad argument: those are IllegalArgumentExceptions and
            // propagate) must not stop training. Nothing recorded ran, so issuing the ops directly is correct.
            graphsFailed = true;
            System.err.println("cuda: recording a training step or an evaluation batch as a CUDA graph failed ("
                    + e.getMessage() + "); issuing every op one by one from now on. -Ddendrite.cuda.graphs=false "
                    + "skips the attempt.");
            return CapturedStep.eager(ops);
        }
    }

    /**
     * While a step is recorded as a graph, issues {@code ops} on the side lane ({@link CudaSideLane}), a second
     * stream that forks from the main one here and joins it at {@link #joinBranches()} or at the end of the
     * recording; everywhere else (op by op, {@code -Ddendrite.cuda.graphs=false} or {@code sync}, profiling) in
     * place. Outside a recording the first call creates the lane, so that the recording that follows has it.
     */
    @Override
    public void branch(Runnable ops) {
        ensureOpen();
        if (!branchesEnabled || branchesFailed || ctx.side.active() || !recordsGraphs()) {
            ops.run();
            return;
        }
        if (!ctx.capturing) {
            prepareSideLane();
            ops.run();
            return;
        }
        if (!ctx.side.ready()) {
            ops.run();
            return;
        }
        try {
            ctx.side.issue(ops);
        } catch (CudaException e) {
            throw ctx.fail("branch", "forking the side stream", e);
        }
    }

    /**
     * The update's Adam or SGD kernel advances the counters at its end (its last block to finish), so that a step
     * ends without advance_counters' launch; with {@code -Ddendrite.cuda.fuse=false} that kernel follows the update.
     */
    @Override
    protected CountersInUpdate countersInUpdate() {
        return fuseEnabled ? ctx.countersInUpdate : null;
    }

    /** How many updates advanced the step counters in their own kernel so far (the fused path); for tests. */
    long countersAdvancedByUpdates() {
        return ctx.countersInUpdate.taken();
    }

    /** Whether branches run on the second stream when steps are recorded (-Ddendrite.cuda.branches, graphs on). */
    @Override
    public boolean runsBranchesBeside() {
        return branchesEnabled && !branchesFailed && recordsGraphs();
    }

    @Override
    public void joinBranches() {
        ensureOpen();
        try {
            ctx.side.join();
        } catch (CudaException e) {
            throw ctx.fail("joinBranches", "", e);
        }
    }

    private void prepareSideLane() {
        if (ctx.side.ready()) {
            return;
        }
        try {
            ctx.side.prepare();
        } catch (CudaException e) {
            // A second stream is an optimisation: without it every branch runs in place, as on one stream.
            branchesFailed = true;
            List<String> problems = new ArrayList<>();
            ctx.side.release(problems);
            System.err.println("cuda: creating the side stream for parallel graph branches failed ("
                    + e.getMessage() + (problems.isEmpty() ? "" : "; then " + problems)
                    + "); every step stays one path. -Ddendrite.cuda.branches=false skips the attempt.");
        }
    }

    /** The main stream, on which graphs are captured and launched. */
    CUstream stream() {
        return ctx.mainStream;
    }

    /**
     * Whether kernels are launched with programmatic dependent launch (PDL: a kernel may be placed while the one
     * before it ends; every kernel waits for that one before touching memory): on a Hopper or newer
     * GPU unless {@code -Ddendrite.cuda.pdl=false}; {@link #description()} says why not otherwise.
     */
    public boolean programmaticDependentLaunch() {
        return ctx.pdl;
    }

    // ================================================================== device timing of ops (DeviceOpTimer)

    /** Records a start event on the stream (not during a capture, where it returns -1 and times nothing). */
    @Override
    public int begin() {
        ensureOpen();
        return timer.begin();
    }

    @Override
    public void end(int token, String key) {
        timer.end(token, key);
    }

    @Override
    public void drain(java.util.Map<String, long[]> into) {
        timer.drain(into);
    }

    @Override
    public long peakDeviceBytes() {
        return ctx.memory.peak();
    }

    /** CUDA graphs launched on this backend so far: how a test or a benchmark sees that steps were replayed. */
    public long graphLaunches() {
        return graphLaunches;
    }

    /** Marks the start of a capture on this backend's stream (CudaGraph calls the driver). */
    void captureStarted(CudaGraph graph) {
        ensureOpen();
        if (ctx.capturing) {
            throw new IllegalStateException("cuda: a graph capture is already in progress on this backend");
        }
        ctx.capturing = true;
        synchronized (graphs) {
            graphs.add(graph);
        }
    }

    void captureEnded() {
        ctx.capturing = false;
        try {
            ctx.side.join(); // a capture must end with every forked stream joined
        } catch (CudaException e) {
            // an invalidated capture: cuStreamEndCapture, called next, reports it
        }
    }

    /** A replayed graph may contain kernels that report device-side errors. */
    void graphLaunched() {
        graphLaunches++;
        ctx.errorsPending = true;
        if (ctx.syncEachOp) {
            try {
                cuStreamSynchronize(ctx.stream);
            } catch (CudaException e) {
                throw ctx.fail("CudaGraph.launch", "", e);
            }
        }
    }

    /** Keeps the shape of the largest graph recorded so far (CudaGraph.end): for {@link #largestGraph()}. */
    void graphRecorded(CudaGraph graph) {
        if (!graphShapes) {
            return;
        }
        try {
            CudaGraph.GraphShape shape = graph.shape();
            if (largestGraph == null || shape.nodes() > largestGraph.nodes()) {
                largestGraph = shape;
            }
        } catch (RuntimeException e) {
            // Only a measure for benchmarks and tests: a driver that cannot describe a graph must not stop training.
        }
    }

    /**
     * The shape of the largest CUDA graph recorded on this backend so far (in a fit, the training step's), or null
     * where none was or the backend was made without {@code -Ddendrite.cuda.graphShape=true}: its nodes, edges and
     * the nodes on its longest chain, the step's critical path.
     */
    public CudaGraph.GraphShape largestGraph() {
        return largestGraph;
    }

    void forget(CudaGraph graph) {
        synchronized (graphs) {
            graphs.remove(graph);
        }
    }

    @Override
    protected void ensureOpen() {
        super.ensureOpen();
        ctx.bind();
    }

    /** Makes the backend's context current on the calling thread (cheap when it already is). */
    void bind() {
        ctx.bind();
    }

    boolean isCapturing() {
        return ctx.capturing;
    }

    // ================================================================== lifecycle

    /** Frees every buffer, graph, the kernels, the stream and the cuBLAS handle, and releases the context. */
    @Override
    public void close() {
        List<CudaBuffer> open = closeBuffers();
        if (open != null) {
            releaseEverything(open);
        }
    }

    /** Frees {@code open}, the graphs and everything the context holds, noting failures in a warning. */
    private void releaseEverything(List<CudaBuffer> open) {
        List<String> problems = new ArrayList<>();
        ctx.drain(problems);
        List<CudaGraph> openGraphs;
        synchronized (graphs) {
            openGraphs = new ArrayList<>(graphs);
            graphs.clear();
        }
        for (CudaGraph g : openGraphs) {
            CudaContext.attempt(problems, "CudaGraph.close", g::destroy);
        }
        for (CudaBuffer b : open) {
            b.markClosed();
            if (b.bytes() > 0) {
                CudaContext.attempt(problems, "cuMemFree", () -> cuMemFree(b.pointer()));
            }
        }
        data.retireScratch();
        CudaContext.attempt(problems, "cuBLASLt", gemm::release);
        timer.release(problems);
        ctx.release(problems);
        if (!problems.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "cuda backend close: " + String.join("; ", problems));
        }
    }

    private static void freeQuietly(CUdeviceptr p) {
        try {
            cuMemFree(p);
        } catch (CudaException ignored) {
            // already failing; the caller reports the first error
        }
    }

    @Override
    public String toString() {
        return closed ? "cuda (closed)" : description();
    }

}
