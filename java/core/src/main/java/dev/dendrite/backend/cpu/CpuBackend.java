package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.OpFamilies;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.AbstractBackend;
import dev.dendrite.backend.Slice;

import static dev.dendrite.backend.cpu.CpuSlices.buffer;
import static dev.dendrite.backend.cpu.CpuSlices.bytes;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import java.util.Arrays;
import java.util.List;

/**
 * The plain-Java {@link Backend}: every op on Java arrays, large ones spread over private
 * {@link CpuWorkers}. It is the reference the GPU backends are tested against, so it favours accuracy
 * where that is cheap: element math is done in {@code double} and rounded once, and sums (losses, batch
 * statistics, penalties) are accumulated in {@code double}. The ops a training step issues on every element
 * are the exception, because JDK 17 vectorises float loops only: the cheap activations (exact in float),
 * the gather's {@code x * scale + shift}, Adam and SGD with momentum (in float, their moving averages
 * compensated and their subnormal states stored as zero, see {@link CpuOptimizerLoops}) and column sums (float
 * partials of at most {@link CpuParallel#FLUSH} rows, added in double). Each stays well inside the error the
 * conformance suite allows a float32 GPU.
 *
 * <p>This class holds the buffers and the lifecycle; each family of ops lives in a class of its own, as the
 * kernels do ({@link CpuActivationOps}, {@link CpuLossOps}, {@link CpuDropoutOps}, {@link CpuNoiseOps},
 * {@link CpuBatchNormOps}, {@link CpuLayerNormOps},
 * {@link CpuOptimizerOps}, {@link CpuRegularizerOps}, {@link CpuReductionOps}, {@link CpuDataOps}, {@link CpuGemm}),
 * all running their loops through one {@link CpuParallel}, whose results do not depend on the number of threads.
 *
 * <p>Ops run synchronously on the calling thread (helped by its workers), so {@link #synchronize} has nothing to
 * wait for. Like a GPU stream, one backend is meant to be driven by one thread at a time: ops share a
 * scratch array and must not be issued concurrently.
 *
 * <p>Inputs are validated cheaply on every call ({@link dev.dendrite.backend.AbstractBackend}, and the label and
 * index ranges here): a bad call throws {@link IllegalArgumentException} naming the op, the
 * argument and what was expected; any use of a closed buffer or backend throws {@link IllegalStateException}.
 */
public final class CpuBackend extends AbstractBackend<CpuBuffer> {
    private final int threads;
    private final CpuParallel par;
    /** Kept here as well so that {@link #close} can drop the masks it keeps. */
    private final CpuDropoutOps dropout;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A backend whose ops use at most {@code threads} threads.
     *
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public CpuBackend(int threads) {
        super(CpuBuffer.class);
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + "; expected at least 1");
        }
        this.threads = threads;
        this.par = new CpuParallel(threads);
        CpuReductionOps reductions = new CpuReductionOps(par);
        CpuActivationOps activations = new CpuActivationOps(par, reductions);
        CpuLossOps losses = new CpuLossOps(par);
        CpuRegularizerOps regularizers = new CpuRegularizerOps(par);
        dropout = new CpuDropoutOps(par);
        CpuBatchNormOps batchNorm = new CpuBatchNormOps(par);
        CpuOptimizerOps optimizers = new CpuOptimizerOps(par);
        CpuDataOps data = new CpuDataOps(par);
        use(new OpFamilies(this::runGemm, reductions, activations, losses, regularizers, dropout, batchNorm, optimizers,
                data, new CpuOptimizerOptionOps(par), new CpuNoiseOps(par), new CpuLayerNormOps(par),
                new CpuAugmentOps(par), new CpuMetricOps()));
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean runsOnHostCpu() {
        return true;
    }

    @Override
    public String description() {
        return "cpu: " + threads + (threads == 1 ? " thread" : " threads") + ", Java "
                + System.getProperty("java.version");
    }

    /** The number of threads ops may use. */
    public int threads() {
        return threads;
    }

    // ================================================================== memory

    @Override
    protected Buffer doAllocate(DType dtype, int length) {
        CpuBuffer b = new CpuBuffer(this, dtype, length);
        if (!register(b)) {
            ensureOpen(); // closed meanwhile: throws
        }
        return b;
    }

    /** Forgets and frees one buffer (called by {@link CpuBuffer#close()}). */
    void release(CpuBuffer b) {
        unregister(b);
        b.markClosed();
    }

    @Override
    protected void doUpload(float[] src, int srcOffset, Slice dst) {
        System.arraycopy(src, srcOffset, floats(dst), dst.offset(), dst.length());
    }

    @Override
    protected void doUpload(int[] src, int srcOffset, Slice dst) {
        System.arraycopy(src, srcOffset, ints(dst), dst.offset(), dst.length());
    }

    @Override
    protected void doUpload(byte[] src, int srcOffset, Slice dst) {
        System.arraycopy(src, srcOffset, bytes(dst), dst.offset(), dst.length());
    }

    @Override
    protected void doDownload(Slice src, float[] dst, int dstOffset) {
        System.arraycopy(floats(src), src.offset(), dst, dstOffset, src.length());
    }

    @Override
    protected void doDownload(Slice src, int[] dst, int dstOffset) {
        System.arraycopy(ints(src), src.offset(), dst, dstOffset, src.length());
    }

    @Override
    protected void doFill(Slice x, float value) {
        Arrays.fill(floats(x), x.offset(), x.offset() + x.length(), value);
    }

    @Override
    protected void doCopy(Slice src, Slice dst) {
        CpuBuffer s = buffer(src);
        CpuBuffer d = buffer(dst);
        Object sa = s.dtype() == DType.F32 ? s.floats() : s.dtype() == DType.I32 ? s.ints() : s.bytes();
        Object da = d.dtype() == DType.F32 ? d.floats() : d.dtype() == DType.I32 ? d.ints() : d.bytes();
        System.arraycopy(sa, src.offset(), da, dst.offset(), src.length());
    }

    @Override
    protected void doSynchronize() {
        // ops are synchronous: nothing is ever pending
    }

    // ================================================================== dense algebra

    /** {@link #gemm}, once checked: {@link CpuGemm} on this backend's workers. */
    private void runGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Slice a, Slice b,
                         float beta, Slice c) {
        if (m == 0 || n == 0) {
            return;
        }
        CpuGemm.gemm(transA, transB, m, n, k, alpha, floats(a), a.offset(), floats(b), b.offset(), beta, floats(c),
                c.offset(), par.workers());
    }

    // ================================================================== lifecycle

    /** Frees every buffer and stops the worker threads. Idempotent. */
    @Override
    public void close() {
        List<CpuBuffer> open = closeBuffers();
        if (open == null) {
            return;
        }
        for (CpuBuffer b : open) {
            b.markClosed();
        }
        par.close();
        dropout.forget();
    }

}
