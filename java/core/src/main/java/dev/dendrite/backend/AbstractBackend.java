package dev.dendrite.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link Backend} contract, enforced once for every backend: each public op is final here and runs, in this
 * order, the closed check, the op's {@link OpChecks} (which also rule out the overlaps the contract forbids), and
 * only then the backend's own code: its {@code do...} method for memory, or its implementation of the op's family
 * ({@link OpFamilies}: GEMM, reductions, activations, losses, regularizers, dropout, batch norm, optimizers, data,
 * noise, layer norm, augmentation), mirroring {@code kernels/}. A backend thus cannot forget or reorder a check;
 * once its code runs, every slice it receives is an open buffer of the backend's buffer class, of the right dtype
 * and length, and every optional slice is either null or likewise.
 *
 * <p>Each op is the same two statements, {@code checks().op(...)} and {@code ops.family().op(...)}: direct calls,
 * which the JIT inlines, rather than a shared helper taking the check and the call as lambdas, so an op costs its
 * checks and its work and nothing else. To add an op: declare it with its contract in its family interface
 * ({@link Backend} extends the families; declare it in {@code Backend} only when the family takes other arguments,
 * as dropout's does), put its checks in the family's {@code *Checks} interface ({@link OpChecks}), and add its final
 * method here, in its family's section, in that two-statement form. A new family is a new interface, a component of
 * {@link OpFamilies} and a {@code *Checks} interface that {@link OpChecks} implements.
 *
 * <p>For backend implementations; not part of the model-level API.
 *
 * @param <B> the backend's buffer class
 */
public abstract class AbstractBackend<B extends AbstractBuffer<?>> implements Backend {
    private final OpChecks checks;
    /** The op families the checked ops are handed to; set once by the backend's constructor ({@link #use}). */
    private OpFamilies ops;
    /** The buffers allocated and not yet closed: what close() frees. Guards {@link #closed} too. */
    private final Set<B> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Set once by the backend's {@code close()} (or a failed constructor); every later op throws. */
    protected volatile boolean closed;

    /** A backend whose slices must be open {@code bufferType}s that it allocated. */
    protected AbstractBackend(Class<B> bufferType) {
        this.checks = new OpChecks(this, bufferType);
    }

    /**
     * Sets the op families, once, from the backend's constructor: after the device they run on exists, which the
     * superclass constructor cannot wait for.
     */
    protected final void use(OpFamilies families) {
        if (ops != null) {
            throw new IllegalStateException(name() + ": the op families are set already");
        }
        this.ops = java.util.Objects.requireNonNull(families, "families");
    }

    /**
     * The op checks, reached through the closed check: each op begins {@code checks().itsCheck(...)}, so the closed
     * check comes first in every op without a line of its own. A private call the JIT inlines; it allocates nothing.
     */
    private OpChecks checks() {
        ensureOpen();
        return checks;
    }

    /**
     * Throws {@link IllegalStateException} once the backend is closed. A backend may add what every op needs
     * first (the CUDA backend makes its context current on the calling thread).
     */
    protected void ensureOpen() {
        OpChecks.backendOpen(name(), closed);
    }

    // ================================================================== buffers

    /**
     * Adds a buffer just allocated to those {@code close()} frees; false, without adding it, when the backend was
     * closed meanwhile (the caller then frees its memory and throws).
     */
    protected final boolean register(B buffer) {
        synchronized (buffers) {
            if (closed) {
                return false;
            }
            buffers.add(buffer);
            return true;
        }
    }

    /** Forgets a buffer its owner closes; false when {@code close()} has taken it (and frees it) already. */
    protected final boolean unregister(B buffer) {
        synchronized (buffers) {
            return buffers.remove(buffer);
        }
    }

    /** Number of buffers allocated and not yet closed (for leak checks). */
    public final int openBuffers() {
        synchronized (buffers) {
            return buffers.size();
        }
    }

    /**
     * Marks the backend closed and hands over the buffers still open, for the backend's {@code close()} to free;
     * null when it was closed already (close is idempotent).
     */
    protected final List<B> closeBuffers() {
        synchronized (buffers) {
            if (closed) {
                return null;
            }
            closed = true;
            List<B> open = new ArrayList<>(buffers);
            buffers.clear();
            return open;
        }
    }

    // ================================================================== memory

    @Override
    public final Buffer allocate(DType dtype, int length) {
        checks().allocate(dtype, length);
        return doAllocate(dtype, length);
    }

    @Override
    public final void upload(float[] src, int srcOffset, Slice dst) {
        checks().upload(src, srcOffset, dst);
        doUpload(src, srcOffset, dst);
    }

    @Override
    public final void upload(int[] src, int srcOffset, Slice dst) {
        checks().upload(src, srcOffset, dst);
        doUpload(src, srcOffset, dst);
    }

    @Override
    public final void upload(byte[] src, int srcOffset, Slice dst) {
        checks().upload(src, srcOffset, dst);
        doUpload(src, srcOffset, dst);
    }

    @Override
    public final void download(Slice src, float[] dst, int dstOffset) {
        checks().download(src, dst, dstOffset);
        doDownload(src, dst, dstOffset);
    }

    @Override
    public final void download(Slice src, int[] dst, int dstOffset) {
        checks().download(src, dst, dstOffset);
        doDownload(src, dst, dstOffset);
    }

    @Override
    public final void fill(Slice x, float value) {
        checks().fill(x);
        doFill(x, value);
    }

    @Override
    public final void copy(Slice src, Slice dst) {
        checks().copy(src, dst);
        doCopy(src, dst);
    }

    @Override
    public final void synchronize() {
        ensureOpen();
        doSynchronize();
    }

    protected abstract Buffer doAllocate(DType dtype, int length);

    protected abstract void doUpload(float[] src, int srcOffset, Slice dst);

    protected abstract void doUpload(int[] src, int srcOffset, Slice dst);

    protected abstract void doUpload(byte[] src, int srcOffset, Slice dst);

    protected abstract void doDownload(Slice src, float[] dst, int dstOffset);

    protected abstract void doDownload(Slice src, int[] dst, int dstOffset);

    protected abstract void doFill(Slice x, float value);

    protected abstract void doCopy(Slice src, Slice dst);

    protected abstract void doSynchronize();

    // ================================================================== dense algebra and reductions

    @Override
    public final void gemm(boolean transA, boolean transB, int m, int n, int k,
                           float alpha, Slice a, Slice b, float beta, Slice c) {
        checks().gemm(m, n, k, a, b, c);
        ops.gemm().gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public final void denseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                   float alpha, Slice z, Slice y) {
        checks().gemm(rows, n, k, x, w, z);
        checks().biasActivationForward(z, bias, rows, n, f, y);
        issueDenseForward(x, w, bias, rows, k, n, f, alpha, z, y);
    }

    /** A dense layer's forward pass, its checks passed: fused where this backend fuses it, else the two ops. */
    private void issueDenseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                   float alpha, Slice z, Slice y) {
        if (!fusedDenseForward(x, w, bias, rows, k, n, f, alpha, z, y)) {
            ops.gemm().gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
            ops.activations().biasActivationForward(z, bias, rows, n, f, alpha, y);
        }
    }

    /**
     * {@link #denseForward} as one fused sequence, its checks passed: whether this backend issued it (then
     * with exactly the two ops' results), or left it to the two ops. The default fuses nothing.
     */
    protected boolean fusedDenseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                        float alpha, Slice z, Slice y) {
        return false;
    }

    @Override
    public final void denseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z, Slice y,
                                               Slice labels, boolean sparseLabels, Slice probs, Slice dlogits,
                                               float gradScale, Slice stats) {
        denseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z, y, labels, sparseLabels, probs, dlogits, gradScale, stats,
                null);
    }

    @Override
    public final void denseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z, Slice y,
                                               Slice labels, boolean sparseLabels, Slice probs, Slice dlogits,
                                               float gradScale, Slice stats, Slice dbias) {
        checks().gemm(rows, n, k, x, w, z);
        checks().biasActivationForward(z, bias, rows, n, ActivationFunction.SOFTMAX, y);
        checks().softmaxCrossEntropy(z, labels, sparseLabels, rows, n, null, null, probs, dlogits, stats);
        if (dbias != null) {
            if (dlogits == null) {
                throw new IllegalArgumentException("denseSoftmaxCrossEntropy: a bias gradient (dbias) needs dlogits, "
                        + "which is null");
            }
            checks().columnSums(dlogits, rows, n, dbias);
        }
        // Inside the op only where it shares no memory with the op's other slices (a model's gradients never do; a
        // caller's slices may; dlogits is refused above): else the column sums after it, as the ops apart.
        Slice db = dbias != null && biasGradientWithLoss(rows, n)
                && !anyOverlaps(dbias, n, x, w, bias, z, y, labels, probs, stats) ? dbias : null;
        boolean fused = fusedDenseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z, y, labels, sparseLabels, probs,
                dlogits, gradScale, stats, db);
        if (!fused) {
            issueDenseForward(x, w, bias, rows, k, n, ActivationFunction.SOFTMAX, 0f, z, y);
            ops.losses().softmaxCrossEntropy(z, labels, sparseLabels, rows, n, null, null, probs, dlogits, gradScale,
                    stats);
        }
        if (dbias != null && !(fused && db != null)) {
            ops.reductions().columnSums(dlogits, rows, n, dbias);
        }
    }

    /**
     * Whether none of {@code outputs} (each its whole slice; null for none) shares an element with a dense layer's
     * input {@code x} ({@code rows x k}) or weights {@code w} ({@code k x n}): only then may one kernel read them in
     * some blocks while others write the outputs (a softmax layer that computes its own product). Issued as the ops,
     * each output is written only after the product has read x and w.
     */
    protected static boolean apartFromDenseInputs(Slice x, Slice w, int rows, int k, int n, Slice... outputs) {
        for (Slice out : outputs) {
            if (overlaps(out, x, (long) rows * k) || overlaps(out, w, (long) k * n)) {
                return false;
            }
        }
        return true;
    }

    /** Whether any of {@code slices} (nulls aside) shares memory with {@code in}'s first {@code length} elements. */
    private static boolean anyOverlaps(Slice in, long length, Slice... slices) {
        for (Slice s : slices) {
            if (overlaps(s, in, length)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code out} shares memory with the first {@code inLength} elements of {@code in} (false for null). */
    protected static boolean overlaps(Slice out, Slice in, long inLength) {
        return out != null && in.buffer() == out.buffer() && out.offset() < in.offset() + inLength
                && in.offset() < out.offset() + (long) out.length();
    }

    /**
     * {@link #denseSoftmaxCrossEntropy} as one sequence, its checks passed: whether this backend issued it (then with
     * exactly the ops' results, and with {@code dbias} non-null, only where {@link #biasGradientWithLoss} said so and
     * it shares no memory with the other slices, {@code columnSums(dlogits, rows, n, dbias)}'s too), or left it to
     * the ops. The default fuses nothing.
     */
    protected boolean fusedDenseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z,
                                                    Slice y, Slice labels, boolean sparseLabels, Slice probs,
                                                    Slice dlogits, float gradScale, Slice stats, Slice dbias) {
        return false;
    }

    @Override
    public final void denseDropoutForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                          float alpha, Slice z, Slice y, Slice yDropped, float rate, long seed,
                                          int stream, Slice counters) {
        checks().gemm(rows, n, k, x, w, z);
        checks().biasActivationForward(z, bias, rows, n, f, y);
        checks().dropout("dropoutForward", "y", y, "yDropped", yDropped, rows * n, rate, counters);
        if (!fusedDenseDropoutForward(x, w, bias, rows, k, n, f, alpha, z, y, yDropped, rate, seed, stream,
                counters)) {
            issueDenseForward(x, w, bias, rows, k, n, f, alpha, z, y);
            ops.dropout().dropout("dropoutForward", y, yDropped, rows * n, rate, seed, stream, counters);
        }
    }

    /**
     * {@link #denseDropoutForward} as one sequence, its checks passed: whether this backend issued it (then with
     * exactly the ops' results), or left it to the ops. The default fuses nothing.
     */
    protected boolean fusedDenseDropoutForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                               ActivationFunction f, float alpha, Slice z, Slice y, Slice yDropped,
                                               float rate, long seed, int stream, Slice counters) {
        return false;
    }

    @Override
    public final void activationDropoutForward(Slice x, int rows, int cols, ActivationFunction f, float alpha,
                                               Slice y, Slice yDropped, float rate, long seed, int stream,
                                               Slice counters) {
        checks().biasActivationForward(x, null, rows, cols, f, y);
        checks().dropout("dropoutForward", "y", y, "yDropped", yDropped, rows * cols, rate, counters);
        if (!fusedActivationDropoutForward(x, rows, cols, f, alpha, y, yDropped, rate, seed, stream, counters)) {
            ops.activations().biasActivationForward(x, null, rows, cols, f, alpha, y);
            ops.dropout().dropout("dropoutForward", y, yDropped, rows * cols, rate, seed, stream, counters);
        }
    }

    /** {@link #activationDropoutForward} as one op, its checks passed; see {@link #fusedDenseDropoutForward}. */
    protected boolean fusedActivationDropoutForward(Slice x, int rows, int cols, ActivationFunction f, float alpha,
                                                    Slice y, Slice yDropped, float rate, long seed, int stream,
                                                    Slice counters) {
        return false;
    }

    @Override
    public final void activationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols,
                                                ActivationFunction f, float alpha, Slice dz, Slice dbias, float rate,
                                                long seed, int stream, Slice counters) {
        checks().dropout("dropoutBackward", "dyDropped", dyDropped, "dz", dz, rows * cols, rate, counters);
        checks().activationBackward(z, y, dz, rows, cols, f, dz, dbias);
        issueActivationDropoutBackward(z, y, dyDropped, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters);
    }

    /** {@link #activationDropoutBackward}, its checks passed: fused where this backend fuses it, else the two ops. */
    private void issueActivationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols,
                                                ActivationFunction f, float alpha, Slice dz, Slice dbias, float rate,
                                                long seed, int stream, Slice counters) {
        if (!fusedActivationDropoutBackward(z, y, dyDropped, rows, cols, f, alpha, dz, dbias, rate, seed, stream,
                counters)) {
            ops.dropout().dropout("dropoutBackward", dyDropped, dz, rows * cols, rate, seed, stream, counters);
            ops.activations().activationBackward(z, y, dz, rows, cols, f, alpha, dz, dbias);
        }
    }

    @Override
    public final void inputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows,
                                                      int cols, ActivationFunction f, float alpha, Slice dz,
                                                      Slice dbias, float rate, long seed, int stream,
                                                      Slice counters) {
        inputGradientChecks(dzNext, wNext, k, z, y, rows, cols, f, dz, dbias, rate, counters);
        issueInputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, rate, seed,
                stream, counters);
    }

    /** {@link #inputGradientActivationBackward}'s checks: those of its ops, and its outputs apart from the product's. */
    private void inputGradientChecks(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows, int cols,
                                     ActivationFunction f, Slice dz, Slice dbias, float rate, Slice counters) {
        checks().gemm(rows, cols, k, dzNext, wNext, dz);
        if (counters != null) {
            checks().dropout("dropoutBackward", "dyDropped", dz, "dz", dz, rows * cols, rate, counters);
        }
        checks().activationBackward(z, y, dz, rows, cols, f, dz, dbias);
        apartFromProduct("inputGradientActivationBackward", dzNext, (long) rows * k, wNext, (long) cols * k, cols,
                "dbias", dbias);
    }

    /** {@link #inputGradientActivationBackward} issued, its checks passed. */
    private void issueInputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows,
                                                      int cols, ActivationFunction f, float alpha, Slice dz,
                                                      Slice dbias, float rate, long seed, int stream,
                                                      Slice counters) {
        if (rate == 0f || counters == null) { // a Dropout of rate 0 passes its gradient through: none
            rate = 0f;
            counters = null;
        }
        if (fusedInputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, rate, seed,
                stream, counters)) {
            return;
        }
        ops.gemm().gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dz);
        if (counters == null) {
            ops.activations().activationBackward(z, y, dz, rows, cols, f, alpha, dz, dbias);
        } else {
            issueActivationDropoutBackward(z, y, dz, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters);
        }
    }

    @Override
    public final void inputGradientActivationBackward(Slice dzNext, Slice wNext, Slice dwNext, int k, Slice z, Slice y,
                                                      int rows, int cols, ActivationFunction f, float alpha, Slice dz,
                                                      Slice dbias, float rate, long seed, int stream,
                                                      Slice counters) {
        if (dwNext == null) {
            inputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, rate, seed,
                    stream, counters);
            return;
        }
        checks().weightGradientBeside(dzNext, wNext, dwNext, k, z, y, rows, cols, dz, dbias, rate, counters);
        checks().gemm(cols, k, rows, y, dzNext, dwNext);
        inputGradientChecks(dzNext, wNext, k, z, y, rows, cols, f, dz, dbias, rate, counters);
        if (fusedInputAndWeightGradientActivationBackward(dzNext, wNext, dwNext, k, z, y, rows, cols, f, alpha, dz,
                dbias)) {
            return;
        }
        ops.gemm().gemm(true, false, cols, k, rows, 1f, y, dzNext, 0f, dwNext);
        issueInputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, 0f, seed,
                stream, null);
    }

    /**
     * {@link #inputGradientActivationBackward(Slice, Slice, Slice, int, Slice, Slice, int, int, ActivationFunction,
     * float, Slice, Slice, float, long, int, Slice)} with its upper weight gradient, no Dropout, as one sequence, its
     * checks passed: whether this backend issued it (then with exactly the ops' results), or left it to the ops.
     * The default fuses nothing.
     */
    protected boolean fusedInputAndWeightGradientActivationBackward(Slice dzNext, Slice wNext, Slice dwNext, int k,
                                                                    Slice z, Slice y, int rows, int cols,
                                                                    ActivationFunction f, float alpha, Slice dz,
                                                                    Slice dbias) {
        return false;
    }

    /**
     * The per-column outputs ({@code cols} elements each, null for none; name, slice, name, slice...) of an op that
     * computes the layer above's input gradient {@code dzNext wNext^T} inside it must not overlap those operands: a
     * GPU kernel may still be reading them in one block while another writes its results.
     */
    private static void apartFromProduct(String op, Slice dzNext, long dzLen, Slice wNext, long wLen, int cols,
                                         Object... namedOutputs) {
        for (int i = 0; i < namedOutputs.length; i += 2) {
            String name = (String) namedOutputs[i];
            Slice out = (Slice) namedOutputs[i + 1];
            OpChecks.noOverlap(op, name, out, cols, "dzNext", dzNext, dzLen, false);
            OpChecks.noOverlap(op, name, out, cols, "wNext", wNext, wLen, false);
        }
    }

    /**
     * {@link #inputGradientActivationBackward} as one sequence, its checks passed: whether this backend issued it
     * (then with exactly the ops' results), or left it to the ops. {@code counters} is null exactly when there is no
     * dropout ({@code rate} is then 0). The default fuses nothing.
     */
    protected boolean fusedInputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y,
                                                           int rows, int cols, ActivationFunction f, float alpha,
                                                           Slice dz, Slice dbias, float rate, long seed, int stream,
                                                           Slice counters) {
        return false;
    }

    /** {@link #activationDropoutBackward} as one op, its checks passed; see {@link #fusedDenseDropoutForward}. */
    protected boolean fusedActivationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols,
                                                     ActivationFunction f, float alpha, Slice dz, Slice dbias,
                                                     float rate, long seed, int stream, Slice counters) {
        return false;
    }

    @Override
    public final void columnSums(Slice x, int rows, int cols, Slice out) {
        checks().columnSums(x, rows, cols, out);
        ops.reductions().columnSums(x, rows, cols, out);
    }

    // ================================================================== activations

    @Override
    public final void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                                            ActivationFunction f, float alpha, Slice y) {
        checks().biasActivationForward(z, bias, rows, cols, f, y);
        ops.activations().biasActivationForward(z, bias, rows, cols, f, alpha, y);
    }

    @Override
    public final void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                                         ActivationFunction f, float alpha, Slice dz, Slice dbias) {
        checks().activationBackward(z, y, dy, rows, cols, f, dz, dbias);
        ops.activations().activationBackward(z, y, dy, rows, cols, f, alpha, dz, dbias);
    }

    @Override
    public final void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        checks().reluForward(x, n, negativeSlope, maxValue, threshold, y);
        ops.activations().reluForward(x, n, negativeSlope, maxValue, threshold, y);
    }

    @Override
    public final void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                                   Slice dx) {
        checks().reluBackward(x, dy, n, negativeSlope, maxValue, threshold, dx);
        ops.activations().reluBackward(x, dy, n, negativeSlope, maxValue, threshold, dx);
    }

    @Override
    public final void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        checks().preluForward(x, alpha, rows, cols, y);
        ops.activations().preluForward(x, alpha, rows, cols, y);
    }

    @Override
    public final void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        checks().preluBackward(x, alpha, dy, rows, cols, dx, dalpha);
        ops.activations().preluBackward(x, alpha, dy, rows, cols, dx, dalpha);
    }

    @Override
    public final void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period,
                                    float scale, float offset, Slice y) {
        checks().featureAffine(x, rows, cols, mean, variance, period, scale, offset, y);
        ops.activations().featureAffine(x, rows, cols, mean, variance, period, scale, offset, y);
    }

    // ================================================================== losses and regularisation

    @Override
    public final void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                          Slice classWeights, Slice rowWeights, Slice probs, Slice dlogits,
                                          float gradScale, Slice stats) {
        checks().softmaxCrossEntropy(logits, labels, sparseLabels, rows, cols, classWeights, rowWeights, probs,
                dlogits, stats);
        ops.losses().softmaxCrossEntropy(logits, labels, sparseLabels, rows, cols, classWeights, rowWeights, probs,
                dlogits, gradScale, stats);
    }

    @Override
    public final void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights,
                                          Slice rowWeights, Slice probs, Slice dlogits, float gradScale, Slice stats) {
        checks().sigmoidCrossEntropy(logits, targets, rows, cols, classWeights, rowWeights, probs, dlogits, stats);
        ops.losses().sigmoidCrossEntropy(logits, targets, rows, cols, classWeights, rowWeights, probs, dlogits,
                gradScale, stats);
    }

    @Override
    public final void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                                     Slice rowWeights, Slice dpred, float gradScale, Slice stats) {
        checks().regressionLoss(pred, targets, rows, cols, kind, delta, rowWeights, dpred, stats);
        ops.losses().regressionLoss(pred, targets, rows, cols, kind, delta, rowWeights, dpred, gradScale, stats);
    }

    @Override
    public final void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        checks().regularizerGradient(w, grad, n);
        ops.regularizers().regularizerGradient(w, grad, n, l1, l2);
    }

    @Override
    public final void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        checks().regularizerPenalty(w, n, stats);
        ops.regularizers().regularizerPenalty(w, n, l1, l2, scale, stats);
    }

    @Override
    public final void normConstraint(Slice w, int rows, int cols, int axis, float minValue, float maxValue,
                                     float rate) {
        checks().normConstraint(w, rows, cols, axis, minValue, maxValue, rate);
        ops.regularizers().normConstraint(w, rows, cols, axis, minValue, maxValue, rate);
    }

    @Override
    public final void nonNegConstraint(Slice w, int n) {
        checks().nonNegConstraint(w, n);
        ops.regularizers().nonNegConstraint(w, n);
    }

    // ================================================================== dropout

    @Override
    public final void dropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters) {
        String op = "dropoutForward";
        checks().dropout(op, "x", x, "y", y, n, rate, counters);
        ops.dropout().dropout(op, x, y, n, rate, seed, stream, counters);
    }

    @Override
    public final void dropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream,
                                      Slice counters) {
        String op = "dropoutBackward";
        checks().dropout(op, "dy", dy, "dx", dx, n, rate, counters);
        // The same function of the same coordinates as the forward: the GPUs draw the mask again, the CPU keeps it.
        ops.dropout().dropout(op, dy, dx, n, rate, seed, stream, counters);
    }

    // ================================================================== noise layers

    @Override
    public final void gaussianNoise(Slice x, Slice y, int n, float stddev, long seed, int stream, Slice counters) {
        checks().gaussianNoise(x, y, n, stddev, counters);
        ops.noise().gaussian(x, y, n, stddev, 0f, seed, stream, counters);
    }

    @Override
    public final void gaussianDropout(Slice in, Slice out, int n, float rate, long seed, int stream,
                                      Slice counters) {
        checks().gaussianDropout(in, out, n, rate, counters);
        ops.noise().gaussian(in, out, n, 0f, Noise.gaussianDropoutSigma(rate), seed, stream, counters);
    }

    @Override
    public final void alphaDropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream,
                                          Slice counters) {
        String op = "alphaDropoutForward";
        checks().alphaDropout(op, "x", x, "y", y, n, rate, counters);
        ops.noise().alphaDropout(op, x, y, n, rate, Noise.alphaDropoutScale(rate), Noise.alphaDropoutShift(rate),
                Noise.alphaDropoutDropped(rate), seed, stream, counters);
    }

    @Override
    public final void alphaDropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream,
                                           Slice counters) {
        String op = "alphaDropoutBackward";
        checks().alphaDropout(op, "dy", dy, "dx", dx, n, rate, counters);
        // The forward's mask, regenerated; the derivative of a * x + b is a, of a dropped unit's constant 0.
        ops.noise().alphaDropout(op, dy, dx, n, rate, Noise.alphaDropoutScale(rate), 0f, 0f, seed, stream, counters);
    }

    // ================================================================== image augmentation

    @Override
    public final void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed,
                                    int stream, Slice counters) {
        checks().augment("augmentAffine", x, y, rows, height, width, spec, counters, false);
        ops.augment().augmentAffine(x, y, rows, height, width, spec, seed, stream, counters);
    }

    @Override
    public final void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed,
                                    int stream, Slice counters) {
        checks().augment("augmentPixels", x, y, rows, height, width, spec, counters, true);
        ops.augment().augmentPixels(x, y, rows, height, width, spec, seed, stream, counters);
    }

    @Override
    public final void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                            long seed, int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        checks().mixup(x, y, sparseLabels, rows, xWidth, classes, alpha, counters, lambdas, xOut, yOut);
        ops.augment().mixup(x, y, sparseLabels, rows, xWidth, classes, alpha, seed, stream, counters, lambdas, xOut,
                yOut);
    }

    // ================================================================== batch normalisation

    @Override
    public final void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                               float momentum, Slice runningMean, Slice runningVar,
                                               Slice y, Slice saveMean, Slice saveInvStd) {
        checks().batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y,
                saveMean, saveInvStd);
        ops.batchNorm().batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar,
                y, saveMean, saveInvStd);
    }

    @Override
    public final void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                                Slice runningMean, Slice runningVar, Slice y) {
        checks().batchNormForwardInference(x, rows, cols, gamma, beta, eps, runningMean, runningVar, y);
        ops.batchNorm().batchNormForwardInference(x, rows, cols, gamma, beta, eps, runningMean, runningVar, y);
    }

    @Override
    public final void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                        Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        checks().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        ops.batchNorm().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    @Override
    public final void batchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                              float momentum, Slice runningMean, Slice runningVar, Slice y,
                                              Slice saveMean, Slice saveInvStd, float rate, long seed, int stream,
                                              Slice counters) {
        checks().batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y,
                saveMean, saveInvStd);
        checks().dropout("dropoutForward", "y", y, "y", y, rows * cols, rate, counters);
        issueBatchNormDropoutForward(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y, saveMean,
                saveInvStd, rate, seed, stream, counters);
    }

    /** {@link #batchNormDropoutForward}, its checks passed: fused where this backend fuses it, else the two ops. */
    private void issueBatchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                              float momentum, Slice runningMean, Slice runningVar, Slice y,
                                              Slice saveMean, Slice saveInvStd, float rate, long seed, int stream,
                                              Slice counters) {
        if (!fusedBatchNormDropoutForward(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y,
                saveMean, saveInvStd, rate, seed, stream, counters)) {
            ops.batchNorm().batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean,
                    runningVar, y, saveMean, saveInvStd);
            ops.dropout().dropout("dropoutForward", y, y, rows * cols, rate, seed, stream, counters);
        }
    }

    @Override
    public final void denseBatchNormForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                            ActivationFunction f, float alpha, Slice z, Slice y, Slice gamma,
                                            Slice beta, float eps, float momentum, Slice runningMean,
                                            Slice runningVar, Slice out, Slice saveMean, Slice saveInvStd, float rate,
                                            long seed, int stream, Slice counters) {
        checks().gemm(rows, n, k, x, w, z);
        checks().biasActivationForward(z, bias, rows, n, f, y);
        checks().batchNormForwardTraining(y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar, out,
                saveMean, saveInvStd);
        if (counters != null) {
            checks().dropout("dropoutForward", "y", out, "y", out, rows * n, rate, counters);
        }
        if (rate == 0f || counters == null) { // a Dropout of rate 0 copies: none
            rate = 0f;
            counters = null;
        }
        if (fusedDenseBatchNormForward(x, w, bias, rows, k, n, f, alpha, z, y, gamma, beta, eps, momentum,
                runningMean, runningVar, out, saveMean, saveInvStd, rate, seed, stream, counters)) {
            return;
        }
        issueDenseForward(x, w, bias, rows, k, n, f, alpha, z, y);
        if (counters == null) {
            ops.batchNorm().batchNormForwardTraining(y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar,
                    out, saveMean, saveInvStd);
        } else {
            issueBatchNormDropoutForward(y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar, out, saveMean,
                    saveInvStd, rate, seed, stream, counters);
        }
    }

    /**
     * {@link #denseBatchNormForward} as one sequence, its checks passed: whether this backend issued it (then with
     * exactly the ops' results), or left it to the ops; {@code counters} as in
     * {@link #fusedInputGradientActivationBackward}. The default fuses nothing.
     */
    protected boolean fusedDenseBatchNormForward(Slice x, Slice w, Slice bias, int rows, int k, int n,
                                                 ActivationFunction f, float alpha, Slice z, Slice y, Slice gamma,
                                                 Slice beta, float eps, float momentum, Slice runningMean,
                                                 Slice runningVar, Slice out, Slice saveMean, Slice saveInvStd,
                                                 float rate, long seed, int stream, Slice counters) {
        return false;
    }

    /**
     * {@link #batchNormDropoutForward} as one op, its checks passed: whether this backend issued it (then with
     * exactly the two ops' results), or left it to the two ops. The default fuses nothing.
     */
    protected boolean fusedBatchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                                   float momentum, Slice runningMean, Slice runningVar, Slice y,
                                                   Slice saveMean, Slice saveInvStd, float rate, long seed,
                                                   int stream, Slice counters) {
        return false;
    }

    @Override
    public final void batchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                               Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta, float rate,
                                               long seed, int stream, Slice counters) {
        checks().dropout("dropoutBackward", "dy", dy, "dy", dy, rows * cols, rate, counters);
        checks().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        issueBatchNormDropoutBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate, seed,
                stream, counters);
    }

    /** {@link #batchNormDropoutBackward}, its checks passed: fused where this backend fuses it, else the two ops. */
    private void issueBatchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                               Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta, float rate,
                                               long seed, int stream, Slice counters) {
        if (!fusedBatchNormDropoutBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate,
                seed, stream, counters)) {
            ops.dropout().dropout("dropoutBackward", dy, dy, rows * cols, rate, seed, stream, counters);
            ops.batchNorm().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }
    }

    @Override
    public final void batchNormBackwardBetween(Slice dzNext, Slice wNext, int k, Slice x, Slice dy, int rows,
                                               int cols, Slice gamma, Slice saveMean, Slice saveInvStd, Slice dx,
                                               Slice dgamma, Slice dbeta, float rate, long seed, int stream,
                                               Slice counters, Slice zBelow, ActivationFunction fBelow,
                                               float alphaBelow, Slice dbiasBelow) {
        if (dzNext != null) {
            checks().gemm(rows, cols, k, dzNext, wNext, dy);
        }
        if (counters != null) {
            checks().dropout("dropoutBackward", "dy", dy, "dy", dy, rows * cols, rate, counters);
        }
        checks().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        if (zBelow != null) {
            if (dx == null) {
                throw new IllegalArgumentException("batchNormBackwardBetween: zBelow is given but dx is null; the "
                        + "activation below needs the batch norm's input gradient");
            }
            checks().activationBackward(zBelow, x, dx, rows, cols, fBelow, dx, dbiasBelow);
        }
        if (dzNext != null) {
            apartFromProduct("batchNormBackwardBetween", dzNext, (long) rows * k, wNext, (long) cols * k, cols,
                    "dgamma", dgamma, "dbeta", dbeta, "dbiasBelow", dbiasBelow);
            OpChecks.noOverlap("batchNormBackwardBetween", "dx", dx, (long) rows * cols, "dzNext", dzNext,
                    (long) rows * k, false);
            OpChecks.noOverlap("batchNormBackwardBetween", "dx", dx, (long) rows * cols, "wNext", wNext,
                    (long) cols * k, false);
        }
        if (rate == 0f || counters == null) { // a Dropout of rate 0 passes its gradient through: none
            rate = 0f;
            counters = null;
        }
        if (fusedBatchNormBackwardBetween(dzNext, wNext, k, x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma,
                dbeta, rate, seed, stream, counters, zBelow, fBelow, alphaBelow, dbiasBelow)) {
            return;
        }
        if (dzNext != null) {
            ops.gemm().gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dy);
        }
        if (counters == null) {
            ops.batchNorm().batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        } else {
            issueBatchNormDropoutBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate,
                    seed, stream, counters);
        }
        if (zBelow != null) {
            ops.activations().activationBackward(zBelow, x, dx, rows, cols, fBelow, alphaBelow, dx, dbiasBelow);
        }
    }

    /**
     * {@link #batchNormBackwardBetween} as one sequence, its checks passed: whether this backend issued it (then with
     * exactly the ops' results), or left it to the ops; {@code counters} as in
     * {@link #fusedInputGradientActivationBackward}. The default fuses nothing.
     */
    protected boolean fusedBatchNormBackwardBetween(Slice dzNext, Slice wNext, int k, Slice x, Slice dy, int rows,
                                                    int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                                                    Slice dx, Slice dgamma, Slice dbeta, float rate, long seed,
                                                    int stream, Slice counters, Slice zBelow,
                                                    ActivationFunction fBelow, float alphaBelow, Slice dbiasBelow) {
        return false;
    }

    /** {@link #batchNormDropoutBackward} as one op, its checks passed; see {@link #fusedBatchNormDropoutForward}. */
    protected boolean fusedBatchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                                                    Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma,
                                                    Slice dbeta, float rate, long seed, int stream, Slice counters) {
        return false;
    }

    // ================================================================== layer normalisation

    @Override
    public final void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                       Slice saveMean, Slice saveInvStd) {
        checks().layerNormForward(x, rows, cols, gamma, beta, eps, y, saveMean, saveInvStd);
        ops.layerNorm().layerNormForward(x, rows, cols, gamma, beta, eps, y, saveMean, saveInvStd);
    }

    @Override
    public final void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                        Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        checks().layerNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        ops.layerNorm().layerNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    // ================================================================== optimizers

    @Override
    public final void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                                float momentum, boolean nesterov) {
        checks().sgdUpdate(params, grads, velocity, n, hyper, momentum);
        ops.optimizers().sgdUpdate(params, grads, velocity, n, hyper, momentum, nesterov);
    }

    @Override
    public final void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                                 Slice counters, float beta1, float beta2, float eps) {
        checks().adamUpdate(params, grads, m, v, vMax, n, hyper, counters, beta1, beta2, eps);
        ops.optimizers().adamUpdate(params, grads, m, v, vMax, n, hyper, counters, beta1, beta2, eps);
    }

    @Override
    public final void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                                    float rho, float momentum, float eps) {
        checks().rmspropUpdate(params, grads, ms, mom, mg, n, hyper, rho, momentum, eps);
        ops.optimizers().rmspropUpdate(params, grads, ms, mom, mg, n, hyper, rho, momentum, eps);
    }

    @Override
    public final void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        checks().adagradUpdate(params, grads, accumulator, n, hyper, eps);
        ops.optimizers().adagradUpdate(params, grads, accumulator, n, hyper, eps);
    }

    // ================================================================== optimizer options

    @Override
    public final void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        checks().learningRateSchedule(schedule, kind, counters, hyper, out);
        ops.optimizerOptions().learningRateSchedule(schedule, kind, counters, hyper, out);
    }

    @Override
    public final void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                          Slice optimizerCounters) {
        checks().accumulateGradients(grads, accumulator, n, counters, steps, optimizerCounters);
        ops.optimizerOptions().accumulateGradients(grads, accumulator, n, counters, steps, optimizerCounters);
    }

    @Override
    public final void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        checks().restoreUnlessUpdateStep(dst, backup, n, counters, steps);
        ops.optimizerOptions().restoreUnlessUpdateStep(dst, backup, n, counters, steps);
    }

    @Override
    public final void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps,
                                float momentum, int overwriteFrequency) {
        checks().emaUpdate(params, average, n, counters, accumulationSteps, momentum, overwriteFrequency);
        ops.optimizerOptions().emaUpdate(params, average, n, counters, accumulationSteps, momentum,
                overwriteFrequency);
    }

    @Override
    public final void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                                   float beta1, float beta2, float eps) {
        checks().adamaxUpdate(params, grads, m, u, n, hyper, counters, beta1, beta2, eps);
        ops.optimizers().adamaxUpdate(params, grads, m, u, n, hyper, counters, beta1, beta2, eps);
    }

    @Override
    public final void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                                  float beta1, float beta2, float eps) {
        checks().nadamUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps);
        ops.optimizers().nadamUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps);
    }

    @Override
    public final void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        checks().lionUpdate(params, grads, m, n, hyper, beta1, beta2);
        ops.optimizers().lionUpdate(params, grads, m, n, hyper, beta1, beta2);
    }

    @Override
    public final void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                                     float rho, float eps) {
        checks().adadeltaUpdate(params, grads, accGrad, accDelta, n, hyper, rho, eps);
        ops.optimizers().adadeltaUpdate(params, grads, accGrad, accDelta, n, hyper, rho, eps);
    }

    @Override
    public final void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                                 float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        checks().ftrlUpdate(params, grads, accumulator, linear, n, hyper, lrPower, l1, l2, l2Shrinkage, beta);
        ops.optimizers().ftrlUpdate(params, grads, accumulator, linear, n, hyper, lrPower, l1, l2, l2Shrinkage, beta);
    }

    @Override
    public final void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                                 float beta1, float beta2, float eps) {
        checks().lambUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps);
        ops.optimizers().lambUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps);
    }

    @Override
    public final void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                      Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                      float clipThreshold) {
        checks().adafactorUpdate(params, grads, accumulator, rows, cols, hyper, counters, beta2Decay, epsilon1,
                epsilon2, clipThreshold);
        ops.optimizers().adafactorUpdate(params, grads, accumulator, rows, cols, hyper, counters, beta2Decay,
                epsilon1, epsilon2, clipThreshold);
    }

    @Override
    public final void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        checks().weightDecay(params, n, hyper, weightDecay);
        ops.optimizers().weightDecay(params, n, hyper, weightDecay);
    }

    @Override
    public final void clipByValue(Slice grads, int n, float clipValue) {
        checks().clip("clipByValue", "clipValue", grads, n, clipValue);
        ops.optimizers().clipByValue(grads, n, clipValue);
    }

    @Override
    public final void clipByNorm(Slice grads, int n, float clipNorm) {
        checks().clip("clipByNorm", "clipNorm", grads, n, clipNorm);
        ops.optimizers().clipByNorm(grads, n, clipNorm);
    }

    // ================================================================== metrics

    @Override
    public final void metricConfusion(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols,
                                      Slice thresholds, int numThresholds, Slice counts) {
        checks().metricConfusion(pred, targets, sparseLabels, rows, cols, thresholds, numThresholds, counts);
        ops.metrics().metricConfusion(pred, sparseLabels ? null : targets, sparseLabels ? targets : null, rows, cols,
                thresholds, numThresholds, counts);
    }

    @Override
    public final void metricBuckets(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols,
                                    int numBuckets, Slice counts) {
        checks().metricBuckets(pred, targets, sparseLabels, rows, cols, numBuckets, counts);
        ops.metrics().metricBuckets(pred, sparseLabels ? null : targets, sparseLabels ? targets : null, rows, cols,
                numBuckets, counts);
    }

    @Override
    public final void metricHits(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, MetricHit kind,
                                 int k, float threshold, Slice hits) {
        checks().metricHits(pred, targets, sparseLabels, rows, cols, kind, k, threshold, hits);
        ops.metrics().metricHits(pred, sparseLabels ? null : targets, sparseLabels ? targets : null, rows, cols, kind,
                k, threshold, hits);
    }

    @Override
    public final void metricClassCounts(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols,
                                        float threshold, Slice counts) {
        checks().metricClassCounts(pred, targets, sparseLabels, rows, cols, threshold, counts);
        ops.metrics().metricClassCounts(pred, sparseLabels ? null : targets, sparseLabels ? targets : null, rows,
                cols, threshold, counts);
    }

    // ================================================================== data movement

    @Override
    public final void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                             Slice scale, Slice shift, Slice out) {
        checks().gatherRows(src, width, indices, counters, batchSize, rows);
        ops.data().checkGatherPositions(src, width, indices, counters, batchSize, rows);
        checks.gatherOutput(src, width, rows, scale, shift, out);
        ops.data().gather(src, width, indices, counters, batchSize, rows, scale, shift, out);
    }

    @Override
    public final void gatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth,
                                  Slice yOut, Slice indices, Slice counters, int batchSize, int rows) {
        gatherBatchChecks(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows);
        issueGatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows);
    }

    @Override
    public final void gatherBatchThenAdvanceCounters(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut,
                                                     Slice y, int yWidth, Slice yOut, Slice indices, Slice counters,
                                                     int batchSize, int rows) {
        Objects.requireNonNull(counters, "gatherBatchThenAdvanceCounters: counters is null");
        gatherBatchChecks(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows);
        checks().advanceCounters(counters);
        if (!fusedGatherBatchThenAdvance(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize,
                rows)) {
            issueGatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows);
            ops.data().advanceCounters(counters);
        }
    }

    private void gatherBatchChecks(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth,
                                   Slice yOut, Slice indices, Slice counters, int batchSize, int rows) {
        checks().gatherRows(x, xWidth, indices, counters, batchSize, rows);
        ops.data().checkGatherPositions(x, xWidth, indices, counters, batchSize, rows);
        checks.gatherOutput(x, xWidth, rows, scale, shift, xOut);
        checks().gatherRows(y, yWidth, indices, counters, batchSize, rows);
        ops.data().checkGatherPositions(y, yWidth, indices, counters, batchSize, rows);
        checks.gatherOutput(y, yWidth, rows, null, null, yOut);
    }

    private void issueGatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth,
                                  Slice yOut, Slice indices, Slice counters, int batchSize, int rows) {
        if (!fusedGatherBatch(x, xWidth, scale, shift, xOut, y, yWidth, yOut, indices, counters, batchSize, rows)) {
            ops.data().gather(x, xWidth, indices, counters, batchSize, rows, scale, shift, xOut);
            ops.data().gather(y, yWidth, indices, counters, batchSize, rows, null, null, yOut);
        }
    }

    /**
     * {@link #gatherBatchThenAdvanceCounters} as one op, its checks passed: whether this backend issued it (then with
     * exactly the gathers' results and the counters advanced once), or left it to the ops. The default fuses nothing.
     */
    protected boolean fusedGatherBatchThenAdvance(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                                  int yWidth, Slice yOut, Slice indices, Slice counters,
                                                  int batchSize, int rows) {
        return false;
    }

    /**
     * {@link #gatherBatch} as one op, its checks passed: whether this backend issued it (then with exactly the two
     * gathers' results), or left it to the two gathers. The default fuses nothing.
     */
    protected boolean fusedGatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                       int yWidth, Slice yOut, Slice indices, Slice counters, int batchSize,
                                       int rows) {
        return false;
    }

    @Override
    public final void randomPermutation(Slice out, int n, long seed, int epoch) {
        checks().randomPermutation(out, n, ops.data().maxPermutation());
        ops.data().randomPermutation(out, n, seed, epoch);
    }

    @Override
    public final void advanceCounters(Slice counters) {
        checks().advanceCounters(counters);
        ops.data().advanceCounters(counters);
    }

    /**
     * The update, then the counters' own op, unless a rule kernel of the update advanced them itself: a backend whose
     * Adam and SGD kernels can do that hands out their {@link #countersInUpdate}.
     */
    @Override
    public final void updateThenAdvanceCounters(Slice counters, Runnable update) {
        checks().advanceCounters(counters);
        Objects.requireNonNull(update, "updateThenAdvanceCounters: update is null");
        CountersInUpdate inUpdate = countersInUpdate();
        if (inUpdate == null) {
            update.run();
        } else if (inUpdate.run(counters, update)) {
            return;
        }
        ops.data().advanceCounters(counters);
    }

    /**
     * Where this backend's rule kernels take the step counters inside {@link #updateThenAdvanceCounters}, or null
     * (here, and where a backend's fusion switch is off): then the update is followed by the counters' own op.
     */
    protected CountersInUpdate countersInUpdate() {
        return null;
    }

    @Override
    public String toString() {
        return description();
    }
}
