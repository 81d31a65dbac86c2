package dev.dendrite.backend.opencl;

import static dev.dendrite.backend.KernelCodes.activationCode;
import static dev.dendrite.backend.opencl.OpenClContext.offset;
import static dev.dendrite.backend.opencl.OpenClContext.roundUp;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clReleaseMemObject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.GemmTuner;
import dev.dendrite.backend.GemmVariant;
import dev.dendrite.backend.GemmOps;
import dev.dendrite.backend.Slice;

import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_mem;

/**
 * The OpenCL backend's GEMM (kernels/opencl/gemm.cl): the {@link GemmVariant} each shape runs, measured on its
 * first call ({@link GemmTuner}) among those the device can run, or forced by {@code -Ddendrite.opencl.gemm}.
 */
final class OpenClGemmOps implements GemmOps {
    private final OpenClContext ctx;

    /**
     * {@code -Ddendrite.opencl.gemm}: "auto" (the default) times the eligible GEMM variants on the first call of
     * each shape and keeps the fastest; "rule" takes {@link GemmVariant#rule} without timing; a variant id
     * ({@code simple}, {@code tile64}, {@code large}, {@code small}) forces that one, for debugging and benchmarks.
     */
    private final String gemmProperty = System.getProperty("dendrite.opencl.gemm", "auto");
    private GemmVariant forcedGemm = forcedGemmProperty(gemmProperty);
    private final boolean measureGemm = !gemmProperty.trim().equalsIgnoreCase("rule");
    private final GemmTuner<GemmVariant> gemmTuner = new GemmTuner<>("opencl", GemmVariant::byId);
    /** A dense layer's path: its product, then the kernel after it ({@link #DENSE_APART}), or one launch. */
    static final String DENSE_APART = "product";
    /** The product ending in the bias and activation (gemm.cl's gemm_&lt;variant&gt;_dense). */
    static final String DENSE_ENDING = "ending";
    /**
     * The path each dense layer shape measured faster ({@code dendrite gemm (opencl_dense)} in the verbose lines and
     * a choices file): the ending costs the product registers (nvcc gives {@code tile64} 101 against 78 for the
     * same body), which may cost more than the launch it saves.
     */
    private final GemmTuner<String> denseTuner = new GemmTuner<>("opencl_dense", OpenClGemmOps::densePathNamed);
    /**
     * The path each softmax layer shape measured faster ({@code dendrite gemm (opencl_softmax)}): its product, then
     * the loss kernel ({@link #DENSE_APART}), or the product inside the loss kernel ({@link #DENSE_ENDING}: losses.cl's
     * softmax_forward_xent_rows, gemm_rows's body), one launch. The rows variant alone may time slower than the
     * product's own choice and still win once the loss kernel's launch is counted, as it is on a GPU's queue.
     */
    private final GemmTuner<String> softmaxTuner = new GemmTuner<>("opencl_softmax", OpenClGemmOps::densePathNamed);
    /** A dense path tests force with {@link #forceDensePath}, or null. */
    private String forcedDensePath;
    private final Map<GemmVariant, Boolean> gemmRunnable = new EnumMap<>(GemmVariant.class);

    OpenClGemmOps(OpenClContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Slice a, Slice b, float beta, Slice c) {
        if (m == 0 || n == 0) {
            return;
        }
        // alpha == 0 leaves C = beta * C without reading A or B, as CpuGemm does; every kernel does that for k == 0.
        int depth = alpha == 0f ? 0 : k;
        try {
            GemmVariant v = gemmVariant(transA, transB, m, n, depth, ctx.mem(a), a.offset(), ctx.mem(b), b.offset());
            enqueueGemm(v, transA, transB, m, n, depth, alpha, ctx.mem(a), a.offset(), ctx.mem(b), b.offset(), beta,
                    ctx.mem(c), c.offset());
        } catch (CLException e) {
            throw ctx.clFailure("gemm", GemmTuner.describe(transA, transB, m, n, k), e);
        }
    }

    /**
     * The variant for a shape: the forced one; else the one chosen before; else, the first time, the fastest of
     * the candidates that {@link GemmVariant#suits} the shape and run on this device, each timed on the real A and
     * B into a scratch C (a host wait, once per shape); with {@code dendrite.opencl.gemm=rule}, or when only one
     * candidate is left, {@link GemmVariant#rule} without timing. Which one wins never changes the result.
     */
    private GemmVariant gemmVariant(boolean transA, boolean transB, int m, int n, int k, cl_mem a, int ao, cl_mem b,
                                    int bo) {
        if (forcedGemm != null) {
            return requireRuns(forcedGemm);
        }
        if (k == 0) {
            return GemmVariant.SIMPLE; // C = beta * C: one pass over C, nothing to tile
        }
        GemmVariant chosen = gemmTuner.choice(transA, transB, m, n, k);
        if (chosen != null) {
            return chosen;
        }
        GemmVariant rule = GemmVariant.rule(m, n, k);
        if (!gemmRuns(rule)) {
            rule = GemmVariant.SIMPLE;
        }
        List<GemmVariant> candidates = new ArrayList<>();
        for (GemmVariant v : GemmVariant.values()) {
            if ((v == rule || v.suits(m, n, k)) && gemmRuns(v)) {
                candidates.add(v);
            }
        }
        if (ctx.programs.recording() != null) {
            return rule; // timing needs clFinish, which a recording cannot contain; the shape is tuned when issued
        }
        if (!measureGemm || candidates.size() == 1) {
            gemmTuner.remember(transA, transB, m, n, k, rule);
            return rule;
        }
        cl_mem scratchC = clCreateBuffer(ctx.context, CL_MEM_READ_WRITE, 4L * m * n, null, null);
        ctx.memory.add(4L * m * n);
        try {
            ctx.zero(scratchC, 0, 4L * m * n);
            clFinish(ctx.queue); // work issued before must not count against the first candidate
            return gemmTuner.tune(transA, transB, m, n, k, candidates, (v, calls) -> seconds(calls,
                    () -> enqueueGemm(v, transA, transB, m, n, k, 1f, a, ao, b, bo, 0f, scratchC, 0)));
        } finally {
            clReleaseMemObject(scratchC);
            ctx.memory.add(-4L * m * n);
        }
    }

    /** Enqueues one product with variant {@code v}, its second pass too when the variant splits k. */
    private void enqueueGemm(GemmVariant v, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             cl_mem a, int ao, cl_mem b, int bo, float beta, cl_mem c, int co) {
        v = v.forShape(m, n, k);
        OpenClKernel kernel = ctx.programs.kernel("gemm.cl", v.kernelName(transA, transB)).args();
        if (v == GemmVariant.ROWS) { // groups of exactly 32 x 8 (reqd_work_group_size), as gemmRuns checked
            int[] groups = v.groups(m, n, k);
            kernel.i(transA ? 1 : 0).i(transB ? 1 : 0).i(m).i(n).i(k).f(alpha).mem(a, ao).mem(b, bo).f(beta)
                    .mem(c, co);
            kernel.run(ctx.queue, (long) groups[0] * v.threadsX(), (long) groups[1] * v.threadsY(), v.threadsX(),
                    v.threadsY());
            return;
        }
        if (v == GemmVariant.SIMPLE) {
            kernel.i(transA ? 1 : 0).i(transB ? 1 : 0).i(m).i(n).i(k).f(alpha).mem(a, ao).mem(b, bo).f(beta)
                    .mem(c, co);
            // GemmVariant.SIMPLE's 16 x 16 groups, or as close as a device with smaller groups allows.
            int l0 = (int) Math.min(v.threadsX(), kernel.maxWorkGroupSize());
            int l1 = (int) Math.max(1, Math.min(v.threadsY(), kernel.maxWorkGroupSize() / l0));
            kernel.run(ctx.queue, roundUp(n, l0), roundUp(m, l1), l0, l1);
            return;
        }
        int[] groups = v.groups(m, n, k);
        boolean foldLast = foldsInItsLaunch(groups);
        cl_mem w = enqueueTiled(kernel, v, m, n, k, alpha, a, ao, b, bo, beta, c, co, foldLast);
        if (groups[2] > 1 && !foldLast) {
            OpenClKernel fold = ctx.programs.kernel("gemm.cl", "gemm_fold");
            fold.args().i(m * n).i(groups[2]).f(alpha).mem(w).f(beta).mem(c, co);
            fold.run(ctx.queue, (long) GemmVariant.foldGroups(m, n) * GemmVariant.FOLD_THREADS,
                    GemmVariant.FOLD_THREADS);
        }
    }

    /**
     * Enqueues tiled variant {@code v}'s kernel (its arguments not yet set); returns the work space it wrote its
     * partial sums to when it splits k, else the dummy. A split product leaves C untouched, unless {@code foldLast}:
     * then the last group of each tile folds it (gemm_tiled.h), and C is the product.
     */
    private cl_mem enqueueTiled(OpenClKernel kernel, GemmVariant v, int m, int n, int k, float alpha, cl_mem a, int ao,
                                cl_mem b, int bo, float beta, cl_mem c, int co, boolean foldLast) {
        int[] groups = v.groups(m, n, k);
        cl_mem w = workSpace(v, m, n, k);
        kernel.i(m).i(n).i(k).f(alpha).mem(a, ao).mem(b, bo).f(beta).mem(c, co).mem(w).i(foldLast ? 1 : 0)
                .mem(ctx.gemmTickets);
        runTiled(kernel, v, groups);
        return w;
    }

    private cl_mem workSpace(GemmVariant v, int m, int n, int k) {
        return v.splits(m, n, k) > 1 ? ctx.scratch(4L * v.workspaceFloats(m, n, k)) : ctx.dummy;
    }

    private void runTiled(OpenClKernel kernel, GemmVariant v, int[] groups) {
        kernel.run(ctx.queue, (long) groups[0] * v.threadsX(), (long) groups[1] * v.threadsY(), groups[2], v.threadsX(),
                v.threadsY(), 1);
    }

    /**
     * Whether a split product with grid {@code groups} folds its partial sums in its own launch, the last group of
     * each tile taking a ticket: on unless {@code -Ddendrite.opencl.lastGroup=false}, for grids of at most
     * {@link OpenClContext#GEMM_TICKETS} tiles.
     */
    private boolean foldsInItsLaunch(int[] groups) {
        return groups[2] > 1 && ctx.lastGroupFolds && (long) groups[0] * groups[1] <= OpenClContext.GEMM_TICKETS;
    }

    /**
     * Whether a softmax layer computes its product {@code x w} ({@code rows x k} times {@code k x n}, at most
     * {@link GemmVariant#ROWS_MAX_N} columns) inside its loss kernel ({@code inLoss}: losses.cl's
     * softmax_forward_xent_rows, the same bits) rather than {@code apart} (the product on its own variant, then the
     * loss kernel). Forced variants decide by being {@link GemmVariant#ROWS} or not, a forced dense path by its name;
     * else each shape is timed both ways on its first call ({@link #softmaxTuner}), after its product alone (so that
     * apart's timing does not tune it). The paths add the batch's loss into {@code stats}, so the timing keeps its
     * contents and puts them back. Untimed (while recording, with {@code dendrite.opencl.gemm=rule}), the product's
     * variant decides, as before the timing. Enqueues nothing but the timing's calls.
     */
    boolean productInLoss(Slice x, Slice w, int rows, int k, int n, Slice stats, Runnable inLoss, Runnable apart) {
        if (rows == 0 || n == 0 || k == 0 || n > GemmVariant.ROWS_MAX_N || !gemmRuns(GemmVariant.ROWS)) {
            return false;
        }
        if (forcedGemm != null) {
            return forcedGemm == GemmVariant.ROWS;
        }
        try {
            GemmVariant v = gemmVariant(false, false, rows, n, k, ctx.mem(x), x.offset(), ctx.mem(w), w.offset());
            if (forcedDensePath != null) {
                return forcedDensePath.equals(DENSE_ENDING);
            }
            String chosen = softmaxTuner.choice(false, false, rows, n, k);
            if (chosen != null) {
                return chosen.equals(DENSE_ENDING);
            }
            if (!measureGemm) {
                softmaxTuner.remember(false, false, rows, n, k, v == GemmVariant.ROWS ? DENSE_ENDING : DENSE_APART);
                return v == GemmVariant.ROWS;
            }
            if (ctx.programs.recording() != null) {
                return v == GemmVariant.ROWS; // timed once issued
            }
            float[] kept = stats == null ? null : new float[stats.length()];
            if (kept != null) {
                ctx.read(stats, Pointer.to(kept));
            }
            clFinish(ctx.queue); // work issued before must not count against the first path
            String path = softmaxTuner.tune(false, false, rows, n, k, List.of(DENSE_APART, DENSE_ENDING),
                    (p, calls) -> seconds(calls, p.equals(DENSE_ENDING) ? inLoss : apart));
            if (kept != null) {
                ctx.write(stats, Pointer.to(kept));
            }
            return path.equals(DENSE_ENDING);
        } catch (CLException e) {
            throw ctx.clFailure("a softmax layer's product", GemmTuner.describe(false, false, rows, n, k), e);
        }
    }

    /** The path a softmax layer shape took ("product" or "ending": inside its loss kernel), or null before. */
    String softmaxChoice(int rows, int k, int n) {
        return softmaxTuner.choice(false, false, rows, n, k);
    }

    /**
     * For a dense layer's product {@code x w} into {@code z}: where the variant chosen for it splits k, enqueues the
     * partial sums and returns their work space (C untouched), with the number of splits in {@code splitsOut[0]};
     * otherwise null, having enqueued nothing. The caller's kernel folds them (dendrite_gemm_fold_element).
     */
    cl_mem splitPartials(Slice x, Slice w, int rows, int k, int n, Slice z, int[] splitsOut) {
        return splitPartials(false, x, w, rows, k, n, z, splitsOut);
    }

    /** The same for {@code x w^T} ({@code w} stored {@code n x k}) with {@code transB}: an input gradient's product. */
    cl_mem splitPartials(boolean transB, Slice x, Slice w, int rows, int k, int n, Slice z, int[] splitsOut) {
        if (rows == 0 || n == 0 || k == 0) {
            return null;
        }
        try {
            GemmVariant v = gemmVariant(false, transB, rows, n, k, ctx.mem(x), x.offset(), ctx.mem(w), w.offset());
            int splits = v.groups(rows, n, k)[2];
            if (v == GemmVariant.SIMPLE || splits <= 1) {
                return null;
            }
            splitsOut[0] = splits;
            OpenClKernel kernel = ctx.programs.kernel("gemm.cl", v.kernelName(false, transB)).args();
            return enqueueTiled(kernel, v, rows, n, k, 1f, ctx.mem(x), x.offset(), ctx.mem(w), w.offset(), 0f,
                    ctx.mem(z), z.offset(), false);
        } catch (CLException e) {
            throw ctx.clFailure("a dense layer's split product", GemmTuner.describe(false, transB, rows, n, k), e);
        }
    }

    /**
     * A dense layer's forward pass ({@code z = x w}, then bias and activation into {@code y}, and with
     * {@code counters} non-null its Dropout into {@code yDropped}) where the product's variant splits k: the partial
     * sums, then gemm_fold_bias_activation, which folds them straight into z and y; one launch instead of gemm_fold
     * and bias_activation_forward, the same bits (OpenClBackend's denseForward and denseDropoutForward). Returns
     * false, having issued nothing, for a variant that does not split, or for softmax.
     */
    boolean foldsIntoActivation(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                float alpha, Slice z, Slice y, Slice yDropped, float rate, long seed, int stream,
                                Slice counters) {
        if (f == ActivationFunction.SOFTMAX) {
            return false;
        }
        int[] splitsOut = {0};
        cl_mem partials = splitPartials(x, w, rows, k, n, z, splitsOut);
        if (partials == null) {
            return false;
        }
        int splits = splitsOut[0];
        try {
            OpenClKernel fold = ctx.programs.kernel("gemm.cl", "gemm_fold_bias_activation").args();
            fold.i(rows * n).i(splits).mem(partials).mem(ctx.mem(bias), offset(bias)).i(bias == null ? 0 : 1).i(n)
                    .i(activationCode(f)).f(alpha).mem(ctx.mem(z), z.offset()).mem(ctx.mem(y), y.offset())
                    .mem(ctx.mem(yDropped), offset(yDropped));
            ctx.dropoutArgs(fold, rate, seed, stream, counters);
            fold.run(ctx.queue, (long) GemmVariant.foldGroups(rows, n) * GemmVariant.FOLD_THREADS,
                    GemmVariant.FOLD_THREADS);
            return true;
        } catch (CLException e) {
            throw ctx.clFailure("denseForward", GemmTuner.describe(false, false, rows, n, k) + ", " + f, e);
        }
    }

    /**
     * A dense layer's forward pass ({@code z = x w}, then bias and activation into {@code y}) as one launch, where
     * the variant chosen for the product is tiled (gemm.cl's gemm_&lt;variant&gt;_dense; a split one folds in its own
     * launch, {@link #foldsInItsLaunch}) and the layer's shape measured faster that way than {@code apart}, which
     * issues its product and the kernel after it (timed on the layer's own outputs, which the call then overwrites;
     * untimed, the ending: while recording, with {@code dendrite.opencl.gemm=rule} or a forced variant). The same bits
     * as the product and bias_activation_forward. Returns false, having issued nothing, for softmax, an empty
     * product, another variant, or where the product apart measured faster.
     */
    boolean denseInOneLaunch(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f, float alpha,
                             Slice z, Slice y, Runnable apart) {
        if (f == ActivationFunction.SOFTMAX || rows == 0 || n == 0 || k == 0) {
            return false;
        }
        try {
            GemmVariant v = gemmVariant(false, false, rows, n, k, ctx.mem(x), x.offset(), ctx.mem(w), w.offset())
                    .forShape(rows, n, k);
            int[] groups = v.groups(rows, n, k);
            if (v.transposesAsArguments() || groups[2] > 1 && !foldsInItsLaunch(groups)) {
                return false;
            }
            Runnable ending = () -> enqueueDense(v, groups, x, w, bias, rows, k, n, f, alpha, z, y);
            if (!densePath(rows, k, n, ending, apart).equals(DENSE_ENDING)) {
                return false;
            }
            ending.run();
            return true;
        } catch (CLException e) {
            throw ctx.clFailure("denseForward", GemmTuner.describe(false, false, rows, n, k) + ", " + f, e);
        }
    }

    private String densePath(int rows, int k, int n, Runnable ending, Runnable apart) {
        return densePath(false, rows, k, n, ending, apart);
    }

    /**
     * The path of a dense layer's forward pass ({@code transB} false: its product {@code x w}) or of its backward
     * pass under another layer ({@code transB} true: the product {@code dzNext wNext^T}); the tuner keeps the two
     * apart by the product's transposes.
     */
    private String densePath(boolean transB, int rows, int k, int n, Runnable ending, Runnable apart) {
        if (forcedDensePath != null) {
            return forcedDensePath;
        }
        String chosen = denseTuner.choice(false, transB, rows, n, k);
        if (chosen != null) {
            return chosen;
        }
        if (!measureGemm) {
            denseTuner.remember(false, transB, rows, n, k, DENSE_ENDING);
            return DENSE_ENDING;
        }
        if (forcedGemm != null || ctx.programs.recording() != null) {
            return DENSE_ENDING; // timed once the variant is the tuner's again, or when issued
        }
        clFinish(ctx.queue); // work issued before must not count against the first path
        return denseTuner.tune(false, transB, rows, n, k, List.of(DENSE_APART, DENSE_ENDING),
                (path, calls) -> seconds(calls, path.equals(DENSE_ENDING) ? ending : apart));
    }

    /**
     * The backward pass of a dense layer under another one as one launch (gemm.cl's gemm_&lt;variant&gt;_backward):
     * {@code dz = (dzNext wNext^T) * f'(z)}, {@code wNext} the layer above's weights ({@code cols x k} as stored),
     * and with {@code dbias} non-null its column sums, folded by the kernel's last group; where the variant chosen
     * for the product is tiled (a split one folding in its own launch) and the shape measured faster that way than
     * {@code apart} (the product, then activation_backward), as {@link #denseInOneLaunch} decides for the forward
     * pass. {@code z} is what f's derivative reads (y where it reads its output). With {@code dwNext} non-null, the
     * upper layer's weight gradient {@code dwNext = y^T dzNext} ({@code y}, this layer's output, that layer's input;
     * {@code cols x k}) in the same launch (gemm_&lt;variant&gt;_backward_pair), its product on the input gradient's
     * variant (whichever the tuner chose for it alone) where that variant takes it in one pass over k (at most one
     * k-block of rows, so never split); {@code apart} then issues both products apart, each on its own variant, for
     * the tuner's timing. The same bits as the products and activation_backward. Returns false,
     * having issued nothing, for softmax, an empty product, another variant, with {@code dbias} where
     * {@code -Ddendrite.opencl.lastGroup=false}, or where the launches apart measured faster.
     */
    boolean backwardInOneLaunch(Slice dzNext, Slice wNext, Slice dwNext, int k, Slice z, Slice y, int rows, int cols,
                                ActivationFunction f, float alpha, Slice dz, Slice dbias, Runnable apart) {
        if (f == ActivationFunction.SOFTMAX || rows == 0 || cols == 0 || k == 0
                || dbias != null && !ctx.lastGroupFolds) {
            return false;
        }
        try {
            GemmVariant v = gemmVariant(false, true, rows, cols, k, ctx.mem(dzNext), dzNext.offset(),
                    ctx.mem(wNext), wNext.offset()).forShape(rows, cols, k);
            int[] groups = v.groups(rows, cols, k);
            if (v.transposesAsArguments() || groups[2] > 1 && !foldsInItsLaunch(groups)
                    || v.tileM() % OpenClContext.ROWS_PER_CHUNK != 0) {
                return false;
            }
            int[] upGroups = null;
            if (dwNext != null) {
                // Tuned first, so that apart's first timed calls do not tune it; the pair itself runs the weight
                // gradient on the input gradient's variant whatever this one is (every variant gives the same
                // bits), and the timing below says whether that one launch beats the products apart.
                gemmVariant(true, false, cols, k, rows, ctx.mem(y), y.offset(), ctx.mem(dzNext), dzNext.offset());
                upGroups = v.groups(cols, k, rows);
                if (upGroups[2] != 1) {
                    return false;
                }
            }
            int[] upGrid = upGroups;
            Runnable ending = () -> enqueueBackward(v, groups, dzNext, wNext, k, z, rows, cols, f, alpha, dz, dbias,
                    y, dwNext, upGrid);
            if (!densePath(true, rows, k, cols, ending, apart).equals(DENSE_ENDING)) {
                return false;
            }
            ending.run();
            return true;
        } catch (CLException e) {
            throw ctx.clFailure("inputGradientActivationBackward", GemmTuner.describe(false, true, rows, cols, k)
                    + (dwNext == null ? ", " : " with the upper weight gradient, ") + f, e);
        }
    }

    /** gemm_&lt;variant&gt;_backward, or with {@code dwNext} its pair (the upper weight gradient's grid upGroups). */
    private void enqueueBackward(GemmVariant v, int[] groups, Slice dzNext, Slice wNext, int k, Slice z, int rows,
                                 int cols, ActivationFunction f, float alpha, Slice dz, Slice dbias, Slice y,
                                 Slice dwNext, int[] upGroups) {
        // One scratch buffer for a split product's partial sums and, after them, the bias gradient's chunk partials
        // (a second request could grow it into a new buffer and leave the first one's address stale).
        long splitFloats = groups[2] > 1 ? v.workspaceFloats(rows, cols, k) : 0;
        long chunkFloats = dbias == null ? 0 : (long) OpenClContext.ceilDiv(rows, OpenClContext.ROWS_PER_CHUNK) * cols;
        cl_mem scratch = splitFloats + chunkFloats == 0 ? ctx.dummy : ctx.scratch(4L * (splitFloats + chunkFloats));
        boolean pair = dwNext != null;
        OpenClKernel kernel = ctx.programs.kernel("gemm.cl", "gemm_" + v.id() + "_backward" + (pair ? "_pair" : ""))
                .args();
        kernel.i(rows).i(cols).i(k).mem(ctx.mem(dzNext), dzNext.offset()).mem(ctx.mem(wNext), wNext.offset())
                .mem(ctx.mem(dz), dz.offset()).mem(scratch).i(groups[2] > 1 ? 1 : 0).mem(ctx.gemmTickets)
                .mem(ctx.mem(z), z.offset()).i(activationCode(f)).f(alpha).i(OpenClContext.ROWS_PER_CHUNK)
                .i(dbias == null ? 0 : 1).mem(scratch, Math.toIntExact(splitFloats))
                .mem(ctx.mem(dbias), offset(dbias)).mem(ctx.errors);
        if (!pair) {
            runTiled(kernel, v, groups);
            return;
        }
        kernel.mem(ctx.mem(y), y.offset()).mem(ctx.mem(dwNext), dwNext.offset()).i(groups[0]).i(groups[1])
                .i(groups[2]).i(upGroups[0]).i(upGroups[1]);
        long all = (long) groups[0] * groups[1] * groups[2] + (long) upGroups[0] * upGroups[1];
        kernel.run(ctx.queue, all * v.threadsX(), v.threadsY(), 1, v.threadsX(), v.threadsY(), 1);
    }

    /** Seconds for {@code calls} issues of {@code issue}, waited for: a tuner's timer (the queue idle before). */
    private double seconds(int calls, Runnable issue) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            issue.run();
        }
        clFinish(ctx.queue);
        return (System.nanoTime() - start) * 1e-9;
    }

    private void enqueueDense(GemmVariant v, int[] groups, Slice x, Slice w, Slice bias, int rows, int k, int n,
                              ActivationFunction f, float alpha, Slice z, Slice y) {
        OpenClKernel kernel = ctx.programs.kernel("gemm.cl", "gemm_" + v.id() + "_dense").args();
        kernel.i(rows).i(n).i(k).mem(ctx.mem(x), x.offset()).mem(ctx.mem(w), w.offset()).mem(ctx.mem(z), z.offset())
                .mem(workSpace(v, rows, n, k)).i(groups[2] > 1 ? 1 : 0).mem(ctx.gemmTickets)
                .mem(ctx.mem(bias), offset(bias)).i(bias == null ? 0 : 1).i(activationCode(f)).f(alpha)
                .mem(ctx.mem(y), y.offset());
        runTiled(kernel, v, groups);
    }

    /**
     * Makes every following dense layer take {@code path} ({@link #DENSE_APART}, {@link #DENSE_ENDING}; null: the
     * tuner's), so that tests can check both whatever the measurement would be.
     */
    void forceDensePath(String path) {
        forcedDensePath = path == null ? null : densePathNamed(path);
    }

    /** The path a shape's dense layers took (measured or read from a choices file), or null before. */
    String denseChoice(int rows, int k, int n) {
        return denseTuner.choice(false, false, rows, n, k);
    }

    /**
     * The path a dense layer's backward pass under another one took for the product {@code dzNext wNext^T}
     * ({@code rows x k} times {@code k x cols}; {@link #backwardInOneLaunch}), or null before.
     */
    String backwardChoice(int rows, int k, int cols) {
        return denseTuner.choice(false, true, rows, cols, k);
    }

    private static String densePathNamed(String name) {
        if (name.equals(DENSE_APART) || name.equals(DENSE_ENDING)) {
            return name;
        }
        throw new IllegalArgumentException("'" + name + "' is not a dense layer path of the OpenCL backend: expected "
                + DENSE_APART + " or " + DENSE_ENDING);
    }

    /** Whether this device can run {@code v}: its work-group size and local memory. */
    private boolean gemmRuns(GemmVariant v) {
        Boolean runs = gemmRunnable.get(v);
        if (runs == null) {
            runs = v == GemmVariant.SIMPLE
                    || ctx.programs.kernel("gemm.cl", v.kernelName(false, false)).maxWorkGroupSize() >= v.threads()
                    && ctx.device.localMemoryBytes() >= v.localBytes();
            gemmRunnable.put(v, runs);
        }
        return runs;
    }

    /**
     * Makes every following {@link #gemm} use {@code v} (null: choose per shape again), so that tests can check
     * each variant whatever the choice would be.
     *
     * @throws IllegalArgumentException when this device cannot run {@code v}
     */
    void forceGemmVariant(GemmVariant v) {
        forcedGemm = v == null ? null : requireRuns(v);
    }

    /** {@code v}, if this device can run it (a forced variant may not fit). */
    private GemmVariant requireRuns(GemmVariant v) {
        if (!gemmRuns(v)) {
            throw new IllegalArgumentException("GEMM variant " + v + " needs " + v.threads() + " work-items and "
                    + v.localBytes() + " bytes of local memory per group, more than " + ctx.device.label()
                    + " allows");
        }
        return v;
    }

    /**
     * Makes {@code v} the shape's choice, as a choices file line would (so that tests can give two shapes different
     * variants whatever the measurement would be).
     */
    void chooseGemmVariant(boolean transA, boolean transB, int m, int n, int k, GemmVariant v) {
        gemmTuner.remember(transA, transB, m, n, k, requireRuns(v));
    }

    /** The variant {@link #gemm} chose for a shape (measured or by rule), or null before its first call. */
    GemmVariant gemmChoice(boolean transA, boolean transB, int m, int n, int k) {
        return gemmTuner.choice(transA, transB, m, n, k);
    }

    /** {@code dendrite.opencl.gemm}: "auto" (measure per shape), "rule", or a variant to force. */
    private static GemmVariant forcedGemmProperty(String value) {
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("auto")
                || value.trim().equalsIgnoreCase("rule")) {
            return null;
        }
        try {
            return GemmVariant.byId(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-Ddendrite.opencl.gemm=" + value + " is not auto, rule or a GEMM "
                    + "variant: " + e.getMessage(), e);
        }
    }
}
