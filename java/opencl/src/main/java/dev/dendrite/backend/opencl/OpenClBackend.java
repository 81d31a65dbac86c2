package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.KernelCodes.ERROR_WORDS;
import static org.jocl.CL.CL_INVALID_BUFFER_SIZE;
import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_OUT_OF_HOST_MEMORY;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clFlush;
import static org.jocl.CL.clReleaseMemObject;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.OpFamilies;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.DeviceErrors;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.AbstractBackend;
import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.CountersInUpdate;
import dev.dendrite.backend.Slice;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_mem;

/**
 * The OpenCL {@link Backend}: device memory through JOCL and hand-written OpenCL C kernels
 * ({@code kernels/opencl/*.cl}, sharing their math with the CUDA kernels through {@code kernels/common/*.h}),
 * built at run time for the chosen device.
 *
 * <p><b>Device.</b> The no-argument constructor takes the device named by the system property
 * {@value OpenClDevice#PROPERTY} (or the environment variable {@value OpenClDevice#ENVIRONMENT}): an index
 * into {@link OpenClDevice#all()} or part of its name. Without one it prefers GPUs, then accelerators, then
 * CPUs. When no device can be used the constructor throws {@link UnsupportedOperationException} saying why.
 *
 * <p><b>Asynchrony.</b> Every op is enqueued, without waiting, on one in-order command queue, so a training
 * step never waits for the device; only {@link #download}, {@link #synchronize} and {@link #allocate} (which
 * checks that the memory really exists) wait. Uploads are blocking writes: they run after everything issued
 * before them, and the host array may be reused as soon as they return.
 *
 * <p><b>Errors.</b> Arguments the host can see are validated when an op is issued, as the CPU backend does:
 * {@link IllegalArgumentException} naming the op, the argument and what was expected; a closed buffer or
 * backend gives {@link IllegalStateException}. Values that live in device memory (sparse labels, shuffle
 * indices, the batch counter) are checked by the kernels, which skip a bad element and record it; the next
 * {@link #download} or {@link #synchronize} then throws {@link IllegalArgumentException} naming the value.
 * A failing OpenCL call throws {@link OpenClException} naming the op, its shapes and the OpenCL error; an
 * allocation the device cannot satisfy says how many bytes were asked for and how much memory the device has.
 *
 * <p><b>Determinism.</b> Reductions (column sums, loss totals, batch statistics, penalties) use fixed
 * partitions and compensated float sums, never float atomics, so results are the same from run to run.
 *
 * <p>Like a GPU stream, one backend is meant to be driven by one thread at a time.
 */
public final class OpenClBackend extends AbstractBackend<OpenClBuffer> {
    private final OpenClContext ctx;
    /** Recorded steps not yet closed: close() releases their kernel objects. */
    private final List<OpenClRecording> recordings = new ArrayList<>();
    /** {@code -Ddendrite.opencl.record=false}: {@link #capture} returns steps that issue their ops again. */
    private final boolean recordSteps = !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.record"));
    /**
     * {@code -Ddendrite.opencl.printSteps=true}: each recorded step's commands on standard error, one line, as
     * "dendrite opencl step: N commands: file:kernel ..." (how many launches a step takes on a device, and which).
     */
    private final boolean printSteps = "true".equalsIgnoreCase(System.getProperty("dendrite.opencl.printSteps"));
    /** The most commands of any step recorded so far ({@link #largestRecording}). */
    private volatile int largestRecording;
    // The op family this backend calls besides AbstractBackend (the others are handed over by use()).
    private final OpenClGemmOps gemm;
    /**
     * -Ddendrite.opencl.fuse=false: a split product's fold and its bias and activation as two launches, the step
     * counters' own kernel after the last update, and a thin layer's weight gradient as its own product (A/B).
     */
    private final boolean foldEnabled = !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.fuse"));
    /** Gathers whose launch advanced the counters (fusedGatherBatchThenAdvance); for tests. */
    private long gathersAdvancing;
    /**
     * -Ddendrite.opencl.denseEpilogue=false: a dense layer whose product runs on a tiled variant takes a second launch
     * for its bias and activation (or a split product's fold with them), instead of ending in its product (A/B).
     */
    private final boolean denseEpilogue =
            !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.denseEpilogue"));
    private final OpenClDataOps data;
    private final OpenClBatchNormOps batchNorm;
    private final OpenClActivationOps activations;
    private final OpenClLossOps losses;

    /**
     * A backend on the device chosen by {@value OpenClDevice#PROPERTY} / {@value OpenClDevice#ENVIRONMENT}, or
     * the preferred device.
     *
     * @throws UnsupportedOperationException when OpenCL or a device is not available, saying why
     * @throws IllegalArgumentException when the configured device does not exist
     */
    public OpenClBackend() {
        this(OpenClDevice.configuredSelector());
    }

    /**
     * A backend on the device {@code selector} names: an index into {@link OpenClDevice#all()} or a
     * case-insensitive part of {@code "<platform> / <device>"}; null or blank picks the preferred device.
     */
    public OpenClBackend(String selector) {
        this(OpenClDevice.select(selector));
    }

    /** A backend on {@code device}. */
    public OpenClBackend(OpenClDevice device) {
        super(OpenClBuffer.class);
        if (device == null) {
            throw new IllegalArgumentException("device is null; expected one of OpenClDevice.all()");
        }
        this.ctx = new OpenClContext(device);
        try {
            this.gemm = new OpenClGemmOps(ctx); // reads -Ddendrite.opencl.gemm: a bad value fails here
        } catch (RuntimeException e) {
            ctx.programs.close();
            ctx.release(null);
            throw e;
        }
        OpenClReductionOps reductions = new OpenClReductionOps(ctx);
        this.activations = new OpenClActivationOps(ctx, reductions);
        this.losses = new OpenClLossOps(ctx, reductions);
        OpenClRegularizerOps regularizers = new OpenClRegularizerOps(ctx, reductions);
        OpenClDropoutOps dropout = new OpenClDropoutOps(ctx);
        this.batchNorm = new OpenClBatchNormOps(ctx, reductions);
        OpenClOptimizerOps optimizers = new OpenClOptimizerOps(ctx);
        this.data = new OpenClDataOps(ctx);
        use(new OpFamilies(gemm, reductions, activations, losses, regularizers, dropout, batchNorm, optimizers, data,
                new OpenClOptimizerOptionOps(ctx), new OpenClNoiseOps(ctx), new OpenClLayerNormOps(ctx),
                new OpenClAugmentOps(ctx), new OpenClMetricOps(ctx)));
    }

    @Override
    public String name() {
        return "opencl";
    }

    /**
     * The update's Adam or SGD kernel advances the counters at its end (its last work-group), so that a step ends
     * without advance_counters' launch; with {@code -Ddendrite.opencl.fuse=false} that kernel follows the update.
     */
    @Override
    protected CountersInUpdate countersInUpdate() {
        return foldEnabled ? ctx.countersInUpdate : null;
    }

    /** How many gathers advanced the counters in their launch so far (gatherBatchThenAdvanceCounters); for tests. */
    long countersAdvancedByGathers() {
        return gathersAdvancing;
    }

    /** How many updates advanced the step counters in their own kernel so far (the fused path); for tests. */
    long countersAdvancedByUpdates() {
        return ctx.countersInUpdate.taken();
    }

    /**
     * A softmax output layer and its cross-entropy: the product (or a split product's partial sums), then the fold,
     * softmax and loss in one launch; or one launch for all of it (softmax_forward_xent_rows, gemm_rows's body), where
     * the shape measured faster that way (OpenClGemmOps.productInLoss) and no output shares memory with x or w. With {@code dbias}, the loss kernel's
     * last group sums the layer's bias gradient too.
     */
    @Override
    protected boolean fusedDenseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z,
                                                    Slice y, Slice labels, boolean sparseLabels, Slice probs,
                                                    Slice dlogits, float gradScale, Slice stats, Slice dbias) {
        Runnable inLoss = () -> losses.rowsSoftmaxForwardCrossEntropy(x, w, k, z, bias, y, labels, sparseLabels, rows,
                n, probs, dlogits, gradScale, stats, dbias);
        Runnable apart = () -> {
            int[] splits = {0};
            cl_mem partials = foldEnabled ? gemm.splitPartials(x, w, rows, k, n, z, splits) : null;
            if (partials == null) {
                gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
            }
            losses.softmaxForwardCrossEntropy(z, bias, y, labels, sparseLabels, rows, n, probs, dlogits, gradScale,
                    stats, partials, splits[0], dbias);
        };
        if (foldEnabled && apartFromDenseInputs(x, w, rows, k, n, y, probs, dlogits, stats)
                && gemm.productInLoss(x, w, rows, k, n, stats, inLoss, apart)) {
            inLoss.run();
        } else {
            apart.run();
        }
        return true;
    }

    /**
     * Where the softmax loss kernel's last group has few chunk partials to sum, and lastGroup is on
     * (OpenClLossOps.biasGradientInLoss).
     */
    @Override
    public boolean biasGradientWithLoss(int rows, int n) {
        return losses.biasGradientInLoss(rows, n);
    }

    /**
     * A dense layer in one launch: its product on a tiled variant ending in the bias and activation (gemm.cl's
     * gemm_&lt;variant&gt;_dense), where no output overlaps an input; else, where the product's variant splits k, the
     * partial sums folded straight into the bias and activation (gemm_fold_bias_activation), one launch less.
     */
    @Override
    protected boolean fusedDenseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                        float alpha, Slice z, Slice y) {
        if (foldEnabled && denseEpilogue && apartFromDenseInputs(x, w, rows, k, n, z, y)
                && (bias == null || !overlaps(z, bias, n) && !overlaps(y, bias, n))
                && gemm.denseInOneLaunch(x, w, bias, rows, k, n, f, alpha, z, y,
                        () -> denseApart(x, w, bias, rows, k, n, f, alpha, z, y))) {
            return true;
        }
        return foldEnabled && gemm.foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y, null, 0f, 0L, 0, null);
    }

    /** A dense layer as two launches, as when it does not end in its product (the tuner's other path). */
    private void denseApart(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f, float alpha,
                            Slice z, Slice y) {
        if (!gemm.foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y, null, 0f, 0L, 0, null)) {
            gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
            activations.biasActivationForward(z, bias, rows, n, f, alpha, y);
        }
    }

    /**
     * A dense layer and the Dropout after it: the product, then bias, activation and dropout in one launch (with a
     * split product's fold too).
     */
    @Override
    protected boolean fusedDenseDropoutForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                               ActivationFunction f, float alpha, Slice z, Slice y, Slice yDropped,
                                               float rate, long seed, int stream, Slice counters) {
        if (f == ActivationFunction.SOFTMAX || rate == 0f) {
            return false;
        }
        if (foldEnabled && gemm.foldsIntoActivation(x, w, bias, rows, k, n, f, alpha, z, y, yDropped, rate, seed,
                stream, counters)) {
            return true;
        }
        gemm.gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
        try {
            activations.forward(z, bias, rows, n, f, alpha, y, yDropped, rate, seed, stream, counters);
        } catch (CLException e) {
            throw ctx.clFailure("denseDropoutForward", f + ", rows=" + rows + ", n=" + n, e);
        }
        return true;
    }

    /** An activation layer and the Dropout after it in one launch (bias_activation_forward). */
    @Override
    protected boolean fusedActivationDropoutForward(Slice x, int rows, int cols, ActivationFunction f, float alpha,
                                                    Slice y, Slice yDropped, float rate, long seed, int stream,
                                                    Slice counters) {
        if (f == ActivationFunction.SOFTMAX || rate == 0f) {
            return false;
        }
        try {
            activations.forward(x, null, rows, cols, f, alpha, y, yDropped, rate, seed, stream, counters);
        } catch (CLException e) {
            throw ctx.clFailure("activationDropoutForward", f + ", rows=" + rows + ", cols=" + cols, e);
        }
        return true;
    }

    /** The dropout's backward pass inside the activation's (activation_backward). */
    @Override
    protected boolean fusedActivationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols,
                                                     ActivationFunction f, float alpha, Slice dz, Slice dbias,
                                                     float rate, long seed, int stream, Slice counters) {
        if (f == ActivationFunction.SOFTMAX || rate == 0f) {
            return false;
        }
        activations.backward("activationDropoutBackward", z, y, dyDropped, rows, cols, f, alpha, dz, dbias, rate,
                seed, stream, counters);
        return true;
    }

    /**
     * The input gradient of the layer above and this layer's activation backward in one launch: a thin product
     * computed inside activation_backward; else, without a Dropout, the product on a tiled variant ending in the
     * activation backward and bias gradient (gemm.cl's gemm_&lt;variant&gt;_backward), where the shape measured faster
     * that way; else two launches, with the fold of a split product's partial sums inside activation_backward (the
     * own GEMM kernels give every product the same bits, so each path does too).
     */
    @Override
    protected boolean fusedInputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y,
                                                           int rows, int cols, ActivationFunction f, float alpha,
                                                           Slice dz, Slice dbias, float rate, long seed, int stream,
                                                           Slice counters) {
        if (f == ActivationFunction.SOFTMAX) {
            return false;
        }
        if (k > GemmVariant.THIN_K && counters == null && foldEnabled && denseEpilogue
                && gemm.backwardInOneLaunch(dzNext, wNext, null, k, z, y, rows, cols, f, alpha, dz, dbias,
                        () -> inputGradientApart(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias))) {
            return true;
        }
        return inputGradientFolded(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, rate, seed, stream,
                counters);
    }

    /** Without a Dropout, the input gradient and activation backward as when they are not one launch. */
    private void inputGradientApart(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows, int cols,
                                    ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        if (!inputGradientFolded(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, 0f, 0L, 0, null)) {
            gemm.gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dz);
            activations.activationBackward(z, y, dz, rows, cols, f, alpha, dz, dbias);
        }
    }

    /**
     * The input gradient inside activation_backward where it is thin or split over k (then the fold of its partial
     * sums); false, having issued nothing, otherwise.
     */
    private boolean inputGradientFolded(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows, int cols,
                                        ActivationFunction f, float alpha, Slice dz, Slice dbias, float rate,
                                        long seed, int stream, Slice counters) {
        int[] splits = {0};
        cl_mem partials = foldEnabled ? gemm.splitPartials(true, dzNext, wNext, rows, k, cols, dz, splits) : null;
        if (partials == null && k > GemmVariant.THIN_K) {
            return false;
        }
        activations.backward("inputGradientActivationBackward", z, y, null, rows, cols, f, alpha, dz, dbias,
                rate, seed, stream, counters, partials == null ? dzNext : null, partials == null ? wNext : null, k,
                partials, splits[0], null);
        return true;
    }

    /**
     * The upper layer's weight gradient in the op: where the input gradient is thin, inside activation_backward; else
     * beside the input gradient's product in one launch, both on the input gradient's tiled variant, where that
     * variant takes the weight gradient in one pass over k and the pair measured faster
     * (gemm_&lt;variant&gt;_backward_pair), else the weight gradient's product first, the same launches as when the
     * upper layer issued it (a queue runs them in order either way). Off with {@code -Ddendrite.opencl.fuse=false}.
     */
    @Override
    public boolean weightGradientWithInputGradient(int rows, int cols, int k) {
        return foldEnabled && rows > 0 && cols > 0 && k > 0;
    }

    @Override
    protected boolean fusedInputAndWeightGradientActivationBackward(Slice dzNext, Slice wNext, Slice dwNext, int k,
                                                                    Slice z, Slice y, int rows, int cols,
                                                                    ActivationFunction f, float alpha, Slice dz,
                                                                    Slice dbias) {
        if (f == ActivationFunction.SOFTMAX || !weightGradientWithInputGradient(rows, cols, k)) {
            return false;
        }
        if (k <= GemmVariant.THIN_K) {
            activations.backward("inputGradientActivationBackward", z, y, null, rows, cols, f, alpha, dz, dbias, 0f,
                    0L, 0, null, dzNext, wNext, k, null, 0, dwNext);
            return true;
        }
        return denseEpilogue && gemm.backwardInOneLaunch(dzNext, wNext, dwNext, k, z, y, rows, cols, f, alpha, dz,
                dbias, () -> {
                    gemm.gemm(true, false, cols, k, rows, 1f, y, dzNext, 0f, dwNext);
                    inputGradientApart(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias);
                });
    }

    /**
     * A batch norm's backward pass under a dense layer with a thin input gradient: the product inside
     * bn_backward_partials, as fusedInputGradientActivationBackward; the activation below, if any, its own op after.
     */
    @Override
    protected boolean fusedBatchNormBackwardBetween(Slice dzNext, Slice wNext, int k, Slice x, Slice dy, int rows,
                                                    int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                                                    Slice dx, Slice dgamma, Slice dbeta, float rate, long seed,
                                                    int stream, Slice counters, Slice zBelow,
                                                    ActivationFunction fBelow, float alphaBelow, Slice dbiasBelow) {
        if (dzNext == null || k > GemmVariant.THIN_K) {
            return false;
        }
        batchNorm.backward("batchNormBackwardBetween", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma,
                dbeta, rate, seed, stream, counters, dzNext, wNext, k);
        if (zBelow != null) {
            activations.activationBackward(zBelow, x, dx, rows, cols, fBelow, alphaBelow, dx, dbiasBelow);
        }
        return true;
    }

    /** A batch norm and the Dropout after it with one launch less each way (batchnorm.cl). */
    @Override
    protected boolean fusedBatchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                                   float momentum, Slice runningMean, Slice runningVar, Slice y,
                                                   Slice saveMean, Slice saveInvStd, float rate, long seed,
                                                   int stream, Slice counters) {
        batchNorm.forwardTraining("batchNormDropoutForward", x, rows, cols, gamma, beta, eps, momentum, runningMean,
                runningVar, y, saveMean, saveInvStd, rate, seed, stream, counters);
        return true;
    }

    @Override
    protected boolean fusedBatchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                                    Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma,
                                                    Slice dbeta, float rate, long seed, int stream, Slice counters) {
        batchNorm.backward("batchNormDropoutBackward", x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma,
                dbeta, rate, seed, stream, counters);
        return true;
    }

    /** A batch's inputs and targets in one launch (OpenClDataOps.gatherBatch). */
    @Override
    protected boolean fusedGatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                       int yWidth, Slice yOut, Slice indices, Slice counters, int batchSize,
                                       int rows) {
        return data.gatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows,
                null);
    }

    /**
     * The gather's launch advances the counters by its last work-group (data.cl's gather_batch_*), as the step's last
     * update does; off with {@code -Ddendrite.opencl.fuse=false}.
     */
    @Override
    protected boolean fusedGatherBatchThenAdvance(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                                  int yWidth, Slice yOut, Slice indices, Slice counters,
                                                  int batchSize, int rows) {
        if (foldEnabled && data.gatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters,
                batchSize, rows, counters)) {
            gathersAdvancing++;
            return true;
        }
        return false;
    }

    @Override
    public boolean runsOnHostCpu() {
        return "CPU".equals(device().typeName());
    }

    @Override
    public String description() {
        return "opencl: " + ctx.device.label() + " (" + ctx.device.typeName() + ", " + ctx.device.computeUnits()
                + " compute units, " + (ctx.device.globalMemoryBytes() >> 20) + " MiB global memory)";
    }

    /** The device this backend runs on. */
    public OpenClDevice device() {
        return ctx.device;
    }

    /** The program cache (for tests that build their own sources). */
    OpenClPrograms programs() {
        return ctx.programs;
    }

    // ================================================================== memory

    @Override
    protected Buffer doAllocate(DType dtype, int length) {
        ctx.noRecording("allocate");
        long bytes = (long) length * dtype.bytes();
        cl_mem mem = null;
        if (length > 0) {
            if (bytes > ctx.device.maxAllocationBytes()) {
                throw outOfMemory(dtype, length, bytes, "the device's largest single allocation is "
                        + ctx.device.maxAllocationBytes() + " bytes", CL_INVALID_BUFFER_SIZE, null);
            }
            try {
                mem = clCreateBuffer(ctx.context, CL_MEM_READ_WRITE, bytes, null, null);
                ctx.memory.add(bytes);
                ctx.zero(mem, 0, bytes);
                // Drivers may reserve memory lazily: waiting here makes a shortage surface as this
                // allocation's error instead of a later op's. Allocation is not on the training step's path.
                clFinish(ctx.queue);
            } catch (CLException e) {
                if (mem != null) {
                    releaseMemQuietly(mem);
                    ctx.memory.add(-bytes);
                }
                int s = e.getStatus();
                if (s == CL_MEM_OBJECT_ALLOCATION_FAILURE || s == CL_OUT_OF_RESOURCES || s == CL_OUT_OF_HOST_MEMORY
                        || s == CL_INVALID_BUFFER_SIZE) {
                    throw outOfMemory(dtype, length, bytes, CL.stringFor_errorCode(s), s, e);
                }
                throw ctx.clFailure("allocate", dtype + " x " + length, e);
            }
        }
        OpenClBuffer b = new OpenClBuffer(this, dtype, length, mem);
        if (!register(b)) {
            if (mem != null) {
                releaseMemQuietly(mem);
            }
            ensureOpen(); // closed meanwhile: throws
        }
        return b;
    }

    private OpenClException outOfMemory(DType dtype, int length, long bytes, String why, int status, Throwable cause) {
        return new OpenClException("allocate: out of device memory: " + dtype + " x " + length + " = " + bytes
                + " bytes requested on " + ctx.device.label() + ", which has " + ctx.device.globalMemoryBytes()
                + " bytes of global memory (" + why + ")", status, cause);
    }

    /** Frees one buffer (called by {@link OpenClBuffer#close()}). */
    void release(OpenClBuffer b) {
        ctx.noRecording("Buffer.close");
        if (!b.markClosed()) {
            return; // closed already, by itself or by the backend's close()
        }
        unregister(b);
        if (b.mem() != null) {
            try {
                // Safe with commands still queued: OpenCL frees the memory once they no longer need it.
                clReleaseMemObject(b.mem());
                ctx.memory.add(-(long) b.length() * b.dtype().bytes());
            } catch (CLException e) {
                throw ctx.clFailure("close buffer", b.toString(), e);
            }
        }
    }

    @Override
    protected void doUpload(float[] src, int srcOffset, Slice dst) {
        ctx.write(dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    protected void doUpload(int[] src, int srcOffset, Slice dst) {
        ctx.write(dst, Pointer.to(src).withByteOffset(4L * srcOffset));
    }

    @Override
    protected void doUpload(byte[] src, int srcOffset, Slice dst) {
        ctx.write(dst, Pointer.to(src).withByteOffset(srcOffset));
    }

    @Override
    protected void doDownload(Slice src, float[] dst, int dstOffset) {
        read(src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    @Override
    protected void doDownload(Slice src, int[] dst, int dstOffset) {
        read(src, Pointer.to(dst).withByteOffset(4L * dstOffset));
    }

    private void read(Slice src, Pointer host) {
        ctx.read(src, host);
        checkDeviceErrors();
    }

    @Override
    protected void doFill(Slice x, float value) {
        if (x.length() == 0) {
            return;
        }
        try {
            cl_mem m = ctx.mem(x);
            ctx.enqueue(q -> clEnqueueFillBuffer(q, m, Pointer.to(new float[] {value}), 4, 4L * x.offset(),
                    4L * x.length(), 0, null, null));
        } catch (CLException e) {
            throw ctx.clFailure("fill", x.toString(), e);
        }
    }

    @Override
    protected void doCopy(Slice src, Slice dst) {
        if (src.length() == 0) {
            return;
        }
        int size = src.dtype().bytes();
        try {
            cl_mem from = ctx.mem(src);
            cl_mem to = ctx.mem(dst);
            ctx.enqueue(q -> clEnqueueCopyBuffer(q, from, to, (long) size * src.offset(), (long) size * dst.offset(),
                    (long) size * src.length(), 0, null, null));
        } catch (CLException e) {
            throw ctx.clFailure("copy", src + " to " + dst, e);
        }
    }

    @Override
    protected void doSynchronize() {
        ctx.noRecording("synchronize");
        try {
            clFinish(ctx.queue);
        } catch (CLException e) {
            throw ctx.clFailure("synchronize", "an op issued before it failed on the device", e);
        }
        checkDeviceErrors();
    }

    /**
     * Reads the device-side error block (the queue has just been drained, so this costs one small read) and
     * throws for the first bad device-resident value an op met since the last check, clearing the block.
     */
    private void checkDeviceErrors() {
        int[] e = new int[ERROR_WORDS];
        try {
            clEnqueueReadBuffer(ctx.queue, ctx.errors, true, 0, 4L * ERROR_WORDS, Pointer.to(e), 0, null, null);
            if (e[0] == 0) {
                return;
            }
            ctx.zero(ctx.errors, 0, 4L * ERROR_WORDS);
            clFlush(ctx.queue);
        } catch (CLException ex) {
            throw ctx.clFailure("synchronize", "reading the device's error block", ex);
        }
        throw DeviceErrors.decode(name(), e);
    }

    /**
     * Makes every following {@link #gemm} use {@code v} (null: choose per shape again), so that tests can check
     * each variant whatever the choice would be.
     *
     * @throws IllegalArgumentException when this device cannot run {@code v}
     */
    void forceGemmVariant(GemmVariant v) {
        gemm.forceGemmVariant(v);
    }

    /**
     * The launches of a dense layer's forward pass (not softmax) on a tiled variant, as this backend's switches
     * ({@code dendrite.opencl.fuse}, {@code denseEpilogue}, {@code lastGroup}) and its path ({@code ending}, or the
     * product apart) have it: 1 where it ends in its product, else the product (its partial sums, where
     * {@code split}) and its bias and activation, with gemm_fold between them where neither folds a split product;
     * for tests, which may run with any of them off.
     */
    int denseForwardLaunches(boolean split, boolean ending) {
        if (ending && foldEnabled && denseEpilogue && (!split || ctx.lastGroupFolds)) {
            return 1;
        }
        return split && !foldEnabled && !ctx.lastGroupFolds ? 3 : 2;
    }

    /** See {@link OpenClGemmOps#forceDensePath}. */
    void forceDensePath(String path) {
        gemm.forceDensePath(path);
    }

    /** The path a dense layer shape took ("product" or "ending"), or null before its first call. */
    String denseChoice(int rows, int k, int n) {
        return gemm.denseChoice(rows, k, n);
    }

    /**
     * The path a dense layer's backward pass under another took for the input gradient {@code dzNext wNext^T}
     * ({@code rows x k} times {@code k x cols}): "product" or "ending", or null before its first call.
     */
    String backwardChoice(int rows, int k, int cols) {
        return gemm.backwardChoice(rows, k, cols);
    }

    /**
     * The launches of inputGradientActivationBackward without a Dropout for a product of more than THIN_K terms on a
     * tiled variant, as this backend's switches have it ({@code fuse}, {@code denseEpilogue}, {@code lastGroup}): 1
     * where it ends in its product ({@code ending}); else 2 (the product or its partial sums, then
     * activation_backward, which folds them), and one more for the bias gradient's fold without lastGroup (with
     * {@code chunks} above 1), one more for a split product's gemm_fold without fuse. For tests.
     */
    int inputGradientBackwardLaunches(boolean split, boolean ending, boolean bias, int chunks) {
        if (ending && foldEnabled && denseEpilogue && (!split && !bias || ctx.lastGroupFolds)) {
            return 1;
        }
        int launches = 2 + (split && !foldEnabled && !ctx.lastGroupFolds ? 1 : 0);
        return launches + (bias && chunks > 1 && !ctx.lastGroupFolds ? 1 : 0);
    }

    /** The variant {@link #gemm} chose for a shape (measured or by rule), or null before its first call. */
    GemmVariant gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return gemm.gemmChoice(transA, transB, m, n, k);
    }

    /** The path a softmax layer shape took ("product" or "ending": inside its loss kernel), or null before. */
    String softmaxChoice(int rows, int k, int n) {
        return gemm.softmaxChoice(rows, k, n);
    }

    /** See {@link OpenClGemmOps#chooseGemmVariant}. */
    void chooseGemmVariant(boolean transA, boolean transB, int m, int n, int k, GemmVariant v) {
        gemm.chooseGemmVariant(transA, transB, m, n, k, v);
    }

    // ================================================================== data movement

    // ================================================================== recorded steps

    /**
     * Records what {@code ops} issues as an {@link OpenClRecording}: each kernel launch on a kernel object of its
     * own with its arguments set once, so that a replay is only the enqueue calls. OpenCL has no graphs; this
     * takes the per-op Java work, argument checks and {@code clSetKernelArg} calls off every step after the one
     * recorded. {@code -Ddendrite.opencl.record=false} issues every step op by op instead.
     */
    @Override
    public CapturedStep capture(Runnable ops) {
        if (!recordSteps) {
            return CapturedStep.eager(ops);
        }
        ensureOpen();
        if (ctx.programs.recording() != null) {
            throw new IllegalStateException("opencl: a step is already being recorded on this backend");
        }
        OpenClRecording r = new OpenClRecording(this);
        ctx.programs.recordInto(r);
        try {
            ops.run();
        } catch (RuntimeException | Error e) {
            ctx.programs.recordInto(null);
            r.close();
            throw e;
        }
        ctx.programs.recordInto(null);
        recordings.add(r);
        largestRecording = Math.max(largestRecording, r.size());
        if (printSteps) {
            List<String> names = r.commandNames();
            System.err.println("dendrite opencl step: " + names.size() + " commands: " + String.join(" ", names));
        }
        return r;
    }

    /** Enqueues a recorded step (called by {@link OpenClRecording#run()}). */
    void replay(OpenClRecording r) {
        ensureOpen();
        ctx.noRecording("replaying a recorded step");
        r.enqueueAll(ctx.queue);
    }

    void forget(OpenClRecording r) {
        recordings.remove(r);
    }

    @Override
    public long peakDeviceBytes() {
        return ctx.memory.peak();
    }

    /** Recorded steps not yet closed (for tests). */
    int openRecordings() {
        return recordings.size();
    }

    /**
     * The most commands of any step recorded on this backend so far (in a fit, the training step's: each a launch, or
     * a fill or copy, that a GPU queue runs one after another), or 0 where none was; for benchmarks, as the CUDA
     * backend's largestGraph.
     */
    public int largestRecording() {
        return largestRecording;
    }

    /** The commands of each recorded step not yet closed, in recording order (OpenClRecording.commandNames; tests). */
    List<List<String>> recordedCommands() {
        List<List<String>> all = new ArrayList<>();
        for (OpenClRecording r : recordings) {
            all.add(r.commandNames());
        }
        return all;
    }

    // ================================================================== lifecycle

    /**
     * Waits for issued work, then frees every buffer, kernel, program, the queue and the context. Idempotent;
     * any later use of the backend or its buffers throws {@link IllegalStateException}.
     *
     * @throws OpenClException if OpenCL fails to release something (everything else is still released)
     */
    @Override
    public void close() {
        List<OpenClBuffer> open = closeBuffers();
        if (open == null) {
            return;
        }
        CLException failure = null;
        try {
            clFinish(ctx.queue);
        } catch (CLException e) {
            failure = e; // a failed op; its memory is released all the same
        }
        for (OpenClBuffer b : open) {
            if (b.markClosed() && b.mem() != null) {
                failure = OpenClContext.releaseNoting(b.mem(), failure);
            }
        }
        for (OpenClRecording r : new ArrayList<>(recordings)) {
            r.close(); // their kernel objects, before the programs they come from
        }
        try {
            ctx.programs.close();
        } catch (CLException e) {
            failure = failure == null ? e : failure;
        }
        failure = ctx.release(failure);
        if (failure != null) {
            throw ctx.clFailure("close", ctx.device.label(), failure);
        }
    }

    private static void releaseMemQuietly(cl_mem mem) {
        try {
            clReleaseMemObject(mem);
        } catch (CLException ignored) {
            // Already reporting the failure that led here.
        }
    }
}
