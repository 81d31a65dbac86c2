package dev.dendrite.backend;

/**
 * The op set: everything a model needs from hardware, and nothing about layers.
 *
 * <p>A compiled model allocates its buffers once and then issues a fixed list of these ops per training
 * step. The op set is designed so that a whole step can be recorded once and replayed on a GPU (a CUDA
 * graph): no op returns a value to the host, and everything that changes from step to step (the batch
 * position, the optimizer's step count, the learning rate, the dropout stream) is read by the op from device
 * memory rather than passed as an argument. The host reads results ({@link #download}) only when it chooses
 * to, for example once per epoch.
 *
 * <p>Conventions for every op:
 * <ul>
 *   <li>Matrices are row-major; a batch of {@code rows} samples with {@code cols} features is one
 *       {@code rows x cols} matrix.</li>
 *   <li>Slices must hold at least the elements an op touches and have the stated {@link DType}.</li>
 *   <li>"Overwrites" means the output's previous contents are ignored; "adds to" means the op accumulates.</li>
 *   <li>Unless stated, outputs must not alias inputs.</li>
 *   <li>{@code counters} is an {@link DType#I32} slice of length {@link #COUNTERS_LENGTH} holding
 *       {@code [steps completed, batches completed in this epoch]}; {@link #advanceCounters} increments both.</li>
 *   <li>{@code hyper} is an {@link DType#F32} slice whose element {@link #HYPER_LR} is the learning rate.</li>
 *   <li>{@code stats} is an {@link DType#F32} slice of length {@link #STATS_LENGTH} holding
 *       {@code [sum of per-sample losses, sum of per-sample accuracies]}, accumulated by the loss ops.</li>
 * </ul>
 * Ops may run asynchronously; {@link #download} and {@link #synchronize} wait for everything issued before.
 * A bad value that only the device sees (a sparse label outside {@code [0, cols)}, a gather index outside the
 * source) cannot be reported when the op is issued: a GPU backend reports it as an
 * {@link IllegalArgumentException} from the next {@code download} or {@code synchronize}; the CPU backend
 * throws at once.
 *
 * <p>Where a derivative is undefined the backends agree on: {@code relu'(0) = 0}, {@code leaky_relu'(0) = alpha},
 * {@code elu'(0) = alpha} (and SELU's likewise). Arg-max (accuracy) is taken on the logits, the first index
 * winning ties.
 *
 * <p>The CPU backend is the reference: every other backend is tested against it and against float64 math.
 *
 * <p>Most ops are declared, with their contracts, in the op-family interfaces this one extends ({@link GemmOps},
 * {@link ActivationOps}, {@link LossOps}, {@link OptimizerOps}, ...): a backend's family class implements exactly
 * what a caller of the op sees, so each signature and its contract are written once. Declared here are the ops
 * whose public form differs from what their family implements (dropout, noise, data movement, metrics: {@link
 * AbstractBackend} derives the family's arguments), memory and the backend's lifecycle. To add an op: declare it
 * in its family interface (or here, when the family takes other arguments), add its checks to the family's
 * {@code *Checks} interface, and add its final method to {@link AbstractBackend}, which runs the checks and then
 * the family; each backend's family class then fails to compile until it implements the op.
 */
public interface Backend extends GemmOps, ReductionOps, ActivationOps, LossOps, RegularizerOps, BatchNormOps,
        LayerNormOps, OptimizerOps, OptimizerOptionOps, AugmentOps, AutoCloseable {

    /** Index of "steps completed" in a counters slice: the optimizer's t is this plus one. */
    int COUNTER_STEP = 0;
    /** Index of "batches completed in this epoch" in a counters slice: selects the rows a gather reads. */
    int COUNTER_BATCH = 1;
    int COUNTERS_LENGTH = 2;

    int HYPER_LR = 0;

    int STAT_LOSS = 0;
    int STAT_ACCURACY = 1;
    int STATS_LENGTH = 2;

    /** Short name: {@code cpu}, {@code cuda}, {@code opencl}. */
    String name();

    /** One line on the device this backend runs on, e.g. {@code "cpu: 2 threads"}. */
    String description();

    /**
     * True when the ops run on the host's own processor (the cpu backend, or an OpenCL CPU device such as
     * PoCL). {@link Backends#auto()} passes over a GPU-API backend that runs on the host CPU, since the cpu
     * backend is faster there.
     */
    default boolean runsOnHostCpu() {
        return false;
    }

    // ---------------------------------------------------------------- memory

    /** Allocates a zero-filled buffer of {@code length} elements. */
    Buffer allocate(DType dtype, int length);

    void upload(float[] src, int srcOffset, Slice dst);

    void upload(int[] src, int srcOffset, Slice dst);

    void upload(byte[] src, int srcOffset, Slice dst);

    /** Copies {@code src} (F32) into {@code dst[dstOffset ...]}, after all previously issued ops. */
    void download(Slice src, float[] dst, int dstOffset);

    /** Copies {@code src} (I32) into {@code dst[dstOffset ...]}, after all previously issued ops. */
    void download(Slice src, int[] dst, int dstOffset);

    /** Sets every element of an F32 slice to {@code value}. */
    void fill(Slice x, float value);

    /** Copies {@code src} to {@code dst} (same dtype and length); they must not overlap. */
    void copy(Slice src, Slice dst);

    /** Waits until every op issued so far has finished. */
    void synchronize();

    // ---------------------------------------------------------------- dropout

    /**
     * Inverted dropout: overwrites {@code y[i] = keep(i) ? x[i] / (1 - rate) : 0}. {@code keep(i)} is
     * {@link Philox#uniform}{@code (seed, i, counters[COUNTER_STEP], stream) >= rate} (word {@code i & 3} of the
     * Philox block {@code i / 4}), so the mask is a pure function of its coordinates: the backward pass needs nothing
     * stored by the layer (a backend may draw the mask again or keep the one it drew), and every backend draws the
     * same mask. {@code y} may alias {@code x}.
     */
    void dropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters);

    /** Overwrites {@code dx[i] = keep(i) ? dy[i] / (1 - rate) : 0} with the forward's mask. May alias. */
    void dropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters);

    /**
     * A BatchNormalization layer's training forward pass and the Dropout after it: {@link #batchNormForwardTraining}
     * into {@code y}, then {@link #dropoutForward}{@code (y, y, rows * cols, rate, seed, stream, counters)}. Exactly
     * those two ops, whose checks apply; a backend may drop the normalised values as it writes them (the GPU
     * backends do: one pass less over the batch).
     */
    default void batchNormDropoutForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar, Slice y,
                                         Slice saveMean, Slice saveInvStd, float rate, long seed, int stream,
                                         Slice counters) {
        batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar, y, saveMean,
                saveInvStd);
        dropoutForward(y, y, rows * cols, rate, seed, stream, counters);
    }

    /**
     * The backward pass of {@link #batchNormDropoutForward}: {@link #dropoutBackward}{@code (dy, dy, rows * cols,
     * rate, seed, stream, counters)}, then {@link #batchNormBackward} from {@code dy}. {@code dy} is left undefined
     * (a backend may drop its values as it reads them instead of overwriting it).
     */
    default void batchNormDropoutBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                          Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta, float rate,
                                          long seed, int stream, Slice counters) {
        dropoutBackward(dy, dy, rows * cols, rate, seed, stream, counters);
        batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    // ---------------------------------------------------------------- noise layers (Philox, like dropout)

    /**
     * GaussianNoise: overwrites {@code y[i] = x[i] + stddev * z(i)}, {@code z(i)} the standard normal
     * {@link Noise#normal}{@code (seed, i, counters[COUNTER_STEP], stream)}. The backward pass is the identity.
     * {@code y} may alias {@code x}.
     */
    void gaussianNoise(Slice x, Slice y, int n, float stddev, long seed, int stream, Slice counters);

    /**
     * GaussianDropout, both passes: overwrites {@code out[i] = in[i] * (1 + sqrt(rate / (1 - rate)) * z(i))}
     * with {@code z(i)} as in {@link #gaussianNoise}; the backward pass is the same call on {@code dy} with the same
     * coordinates, which regenerates the forward's noise. May alias.
     */
    void gaussianDropout(Slice in, Slice out, int n, float rate, long seed, int stream, Slice counters);

    /**
     * AlphaDropout (Keras 3): overwrites {@code y[i] = keep(i) ? a x[i] + b : a alpha' + b} with {@code keep(i)}
     * dropout's ({@link #dropoutForward}), {@code alpha' = -selu_alpha * selu_scale},
     * {@code a = ((1 - rate)(1 + rate alpha'^2))^-1/2} and {@code b = -a alpha' rate} ({@link Noise}), which keeps
     * the mean and variance of selu-distributed inputs. {@code y} may alias {@code x}.
     */
    void alphaDropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters);

    /** Overwrites {@code dx[i] = keep(i) ? a dy[i] : 0} with the forward's mask. May alias. */
    void alphaDropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters);

    // ---------------------------------------------------------------- data movement on the device

    /**
     * Builds a batch: for {@code r < rows}, row {@code j = indices[counters[COUNTER_BATCH] * batchSize + r]}
     * ({@code indices == null}: the identity) of {@code src} ({@code width} elements per row) goes to row
     * {@code r} of {@code out}. U8 and F32 sources give F32 rows transformed {@code x * scale[f] + shift[f]}
     * ({@code scale}/{@code shift} of length {@code width}; both null: unchanged); I32 sources give I32 rows
     * and take no transform. {@code counters == null} reads batch 0.
     */
    void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows,
                Slice scale, Slice shift, Slice out);

    /**
     * A batch's inputs and targets from the same rows: {@link #gather}{@code (x, xWidth, indices, counters, batchSize,
     * rows, scale, shift, xOut)}, then {@link #gather}{@code (y, yWidth, indices, counters, batchSize, rows, null,
     * null, yOut)}. Exactly those two ops, whose checks apply; a backend may issue them as one where that is faster
     * (the CUDA and OpenCL backends do when {@code x} and {@code y} have the same number of rows).
     */
    default void gatherBatch(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y, int yWidth,
                             Slice yOut, Slice indices, Slice counters, int batchSize, int rows) {
        gather(x, xWidth, indices, counters, batchSize, rows, scale, shift, xOut);
        gather(y, yWidth, indices, counters, batchSize, rows, null, null, yOut);
    }

    /**
     * {@link #gatherBatch}, then {@link #advanceCounters}{@code (counters)}: an evaluation batch's gather, after which
     * nothing in the batch reads the counters. Exactly those two ops, whose checks apply; a backend may have the
     * gather's kernel advance the counters at its end (the GPU backends' last block or work-group does), one launch
     * less a batch. {@code counters} must not be null.
     */
    void gatherBatchThenAdvanceCounters(Slice x, int xWidth, Slice scale, Slice shift, Slice xOut, Slice y,
                                        int yWidth, Slice yOut, Slice indices, Slice counters, int batchSize,
                                        int rows);

    /**
     * Overwrites {@code out[0..n)} with the epoch's shuffle: the permutation that sorts {@code i} by
     * {@code (Philox.bits(seed, i, epoch, PERMUTATION_STREAM), i)}. Defined by its keys, so every backend gives
     * the same order for the same seed and epoch.
     */
    void randomPermutation(Slice out, int n, long seed, int epoch);

    /** Increments both counters by one: issued once at the end of every training step. */
    void advanceCounters(Slice counters);

    /**
     * Issues {@code update}, a training step's last optimizer update, and then advances {@code counters} as
     * {@link #advanceCounters} does. A backend may have the update's rule kernel advance them at its end instead
     * (the CUDA backend's Adam and SGD: the kernel's last block to finish does), which saves a launch at the end of
     * every step; the results are the same. {@code update} must end with the optimizer's rule (as
     * {@code Optimizer.apply} does), and nothing issued after it in the step may read the counters expecting the old
     * values; nor may anything beside it on a branch still read them.
     *
     * @throws NullPointerException when {@code update} is null
     */
    void updateThenAdvanceCounters(Slice counters, Runnable update);

    // ---------------------------------------------------------------- recording a step

    /**
     * Records the ops that {@code ops} issues on this backend, without running them, so that
     * {@link CapturedStep#run()} can issue them again at the cost of one host call: how a GPU backend replays a
     * whole training step as one CUDA graph. The host code in {@code ops} runs once, here; every replay issues
     * the ops with the arguments they had while recording (shapes, scalars, slices). Whatever must change from
     * one replay to the next has to live in device memory ({@code counters}, {@code hyper}, {@code stats}),
     * which the op set is designed around.
     *
     * <p>While recording, ops that move data to or from the host, allocate or wait ({@link #upload},
     * {@link #download}, {@link #allocate}, {@link #synchronize}) throw {@link IllegalStateException}.
     *
     * <p>The default records nothing: the returned step calls {@code ops} again on each run, which is the same
     * computation for a backend whose ops are cheap to issue (the CPU).
     */
    default CapturedStep capture(Runnable ops) {
        return CapturedStep.eager(ops);
    }

    /**
     * A dense layer's forward pass: {@code z = x w} ({@code x} {@code rows x k}, {@code w} {@code k x n}, as
     * {@link #gemm} with alpha 1 and beta 0), then {@link #biasActivationForward}{@code (z, bias, rows, n, f, alpha,
     * y)}. Exactly those two ops, whose checks apply; a backend may fuse them where that is faster, with the same
     * results bit for bit (the CUDA backend folds a product split over k straight into the bias and activation).
     * One exception: where {@code f.derivativeFromOutput()} (relu, linear), {@code z} is scratch whose contents
     * afterwards are unspecified, and {@code y} may come from any of the backend's ways of computing the product
     * (the CUDA backend may run the layer as one cuBLASLt product with the bias and activation in its epilogue,
     * which writes y alone). The layers read such an activation's derivative from y.
     */
    default void denseForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f, float alpha,
                              Slice z, Slice y) {
        gemm(false, false, rows, n, k, 1f, x, w, 0f, z);
        biasActivationForward(z, bias, rows, n, f, alpha, y);
    }

    /**
     * A softmax output layer's forward pass and its cross-entropy: {@link #denseForward}{@code (x, w, bias, rows, k,
     * n, SOFTMAX, 0, z, y)}, then {@link #softmaxCrossEntropy}{@code (z, labels, sparseLabels, rows, n, probs, dlogits,
     * gradScale, stats)}. Exactly those ops, whose checks apply; a backend may run the softmax and the loss in one
     * kernel (the GPU backends do).
     */
    default void denseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z, Slice y,
                                          Slice labels, boolean sparseLabels, Slice probs, Slice dlogits,
                                          float gradScale, Slice stats) {
        denseForward(x, w, bias, rows, k, n, ActivationFunction.SOFTMAX, 0f, z, y);
        softmaxCrossEntropy(z, labels, sparseLabels, rows, n, probs, dlogits, gradScale, stats);
    }

    /**
     * {@link #denseSoftmaxCrossEntropy(Slice, Slice, Slice, int, int, int, Slice, Slice, Slice, boolean, Slice, Slice,
     * float, Slice)}, then the layer's bias gradient, {@link #columnSums}{@code (dlogits, rows, n, dbias)}: the same
     * bits, which a backend may compute inside the loss op (where {@link #biasGradientWithLoss} says so: the OpenCL
     * backend sums the columns in the loss kernel's last work-group, a launch less). {@code dbias} null: the op alone.
     *
     * @throws IllegalArgumentException where {@code dbias} is non-null and {@code dlogits} null, or where
     *                                  {@code dbias} is shorter than {@code n} or shares memory with {@code dlogits}
     */
    default void denseSoftmaxCrossEntropy(Slice x, Slice w, Slice bias, int rows, int k, int n, Slice z, Slice y,
                                          Slice labels, boolean sparseLabels, Slice probs, Slice dlogits,
                                          float gradScale, Slice stats, Slice dbias) {
        denseSoftmaxCrossEntropy(x, w, bias, rows, k, n, z, y, labels, sparseLabels, probs, dlogits, gradScale, stats);
        if (dbias != null) {
            columnSums(dlogits, rows, n, dbias);
        }
    }

    /**
     * Whether {@link #denseSoftmaxCrossEntropy(Slice, Slice, Slice, int, int, int, Slice, Slice, Slice, boolean, Slice,
     * Slice, float, Slice, Slice)} computes a {@code rows x n} softmax layer's bias gradient inside the loss op, so
     * that a layer gains by asking for it there rather than summing the columns in its backward pass. No device work.
     * The default: never.
     */
    default boolean biasGradientWithLoss(int rows, int n) {
        return false;
    }

    /**
     * A dense layer's forward pass and the Dropout after it: {@link #denseForward}{@code (x, w, bias, rows, k, n, f,
     * alpha, z, y)}, then {@link #dropoutForward}{@code (y, yDropped, rows * n, rate, seed, stream, counters)}. Exactly
     * those ops, whose checks apply; a backend may drop the outputs as it writes them (the GPU backends do for an
     * element-wise {@code f}: one pass less).
     */
    default void denseDropoutForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                     float alpha, Slice z, Slice y, Slice yDropped, float rate, long seed, int stream,
                                     Slice counters) {
        denseForward(x, w, bias, rows, k, n, f, alpha, z, y);
        dropoutForward(y, yDropped, rows * n, rate, seed, stream, counters);
    }

    /**
     * An activation layer's forward pass and the Dropout after it: {@link #biasActivationForward}{@code (x, null,
     * rows, cols, f, alpha, y)}, then {@link #dropoutForward}{@code (y, yDropped, rows * cols, rate, seed, stream,
     * counters)}. Exactly those ops, whose checks apply; a backend may drop the outputs as it writes them (the GPU
     * backends do for an element-wise {@code f}). Its backward pass is {@link #activationDropoutBackward} with
     * {@code z = x} and no bias.
     */
    default void activationDropoutForward(Slice x, int rows, int cols, ActivationFunction f, float alpha, Slice y,
                                          Slice yDropped, float rate, long seed, int stream, Slice counters) {
        biasActivationForward(x, null, rows, cols, f, alpha, y);
        dropoutForward(y, yDropped, rows * cols, rate, seed, stream, counters);
    }

    /**
     * The backward pass of {@link #denseDropoutForward} down to the layer's pre-activation:
     * {@link #dropoutBackward}{@code (dyDropped, dz, rows * cols, rate, seed, stream, counters)}, then
     * {@link #activationBackward}{@code (z, y, dz, rows, cols, f, alpha, dz, dbias)}. {@code dz} may alias
     * {@code dyDropped}; a backend may drop each gradient as it reads it.
     */
    default void activationDropoutBackward(Slice z, Slice y, Slice dyDropped, int rows, int cols, ActivationFunction f,
                                           float alpha, Slice dz, Slice dbias, float rate, long seed, int stream,
                                           Slice counters) {
        dropoutBackward(dyDropped, dz, rows * cols, rate, seed, stream, counters);
        activationBackward(z, y, dz, rows, cols, f, alpha, dz, dbias);
    }

    /**
     * A dense layer's input gradient, computed inside the backward pass of the dense layer below it (whose output it
     * is the gradient of): {@link #gemm}{@code (false, true, rows, cols, k, 1, dzNext, wNext, 0, dz)}
     * ({@code dzNext}, {@code rows x k}, is the upper layer's gradient at its pre-activation, {@code wNext} its
     * {@code cols x k} weights), then {@link #activationBackward}{@code (z, y, dz, rows, cols, f, alpha, dz, dbias)},
     * or with {@code counters} non-null (a Dropout between the layers) {@link #activationDropoutBackward}{@code (z,
     * y, dz, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters)}. Exactly those ops, whose checks apply;
     * a backend may compute the product inside the activation's kernel, with the same bits: one kernel less on the
     * path back through the layers (the GPU backends do for a thin product, {@code k} at most
     * {@link GemmVariant#THIN_K}, and CUDA folds a product split over k there).
     */
    default void inputGradientActivationBackward(Slice dzNext, Slice wNext, int k, Slice z, Slice y, int rows,
                                                 int cols, ActivationFunction f, float alpha, Slice dz, Slice dbias,
                                                 float rate, long seed, int stream, Slice counters) {
        gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dz);
        if (counters == null) {
            activationBackward(z, y, dz, rows, cols, f, alpha, dz, dbias);
        } else {
            activationDropoutBackward(z, y, dz, rows, cols, f, alpha, dz, dbias, rate, seed, stream, counters);
        }
    }

    /**
     * {@link #inputGradientActivationBackward(Slice, Slice, int, Slice, Slice, int, int, ActivationFunction, float,
     * Slice, Slice, float, long, int, Slice)} with the upper layer's weight gradient too, where this layer's output
     * {@code y} is that layer's input (no Dropout between them): {@link #gemm}{@code (true, false, cols, k, rows, 1, y,
     * dzNext, 0, dwNext)} ({@code dwNext}, {@code cols x k}, the upper layer's weight gradient), then that op. The same
     * bits, which a backend may compute inside the op where {@link #weightGradientWithInputGradient} says so (the
     * OpenCL backend in activation_backward beside a thin product: a launch less). {@code dwNext} null: that op alone.
     *
     * @throws IllegalArgumentException where {@code dwNext} is non-null and there is a Dropout ({@code counters}
     *                                  non-null with a rate above 0: the layer above reads the dropped output), or
     *                                  {@code dwNext} shares memory with another argument
     */
    default void inputGradientActivationBackward(Slice dzNext, Slice wNext, Slice dwNext, int k, Slice z, Slice y,
                                                 int rows, int cols, ActivationFunction f, float alpha, Slice dz,
                                                 Slice dbias, float rate, long seed, int stream, Slice counters) {
        if (dwNext != null) {
            OpChecks.noDropoutUnderWeightGradient(rate, counters);
            gemm(true, false, cols, k, rows, 1f, y, dzNext, 0f, dwNext);
        }
        inputGradientActivationBackward(dzNext, wNext, k, z, y, rows, cols, f, alpha, dz, dbias, rate, seed, stream,
                counters);
    }

    /**
     * Whether {@link #inputGradientActivationBackward(Slice, Slice, Slice, int, Slice, Slice, int, int,
     * ActivationFunction, float, Slice, Slice, float, long, int, Slice)} computes the upper layer's weight gradient
     * inside the op for a layer of {@code cols} units under one of {@code k} units, {@code rows} rows, so that the
     * upper layer gains by leaving its weight gradient there. No device work. The default: never (the CUDA backend
     * runs weight gradients on a graph branch beside the path back through the layers).
     */
    default boolean weightGradientWithInputGradient(int rows, int cols, int k) {
        return false;
    }

    /**
     * A dense layer's forward pass and the training forward pass of the batch norm right after it:
     * {@link #denseForward}{@code (x, w, bias, rows, k, n, f, alpha, z, y)}, then
     * {@link #batchNormForwardTraining}{@code (y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar, out,
     * saveMean, saveInvStd)}, or with {@code counters} non-null (a Dropout after the batch norm)
     * {@link #batchNormDropoutForward} with the same arguments and {@code rate, seed, stream, counters}. Exactly those
     * ops, whose checks apply; a backend may run the bias, the activation and the batch norm in one kernel after the
     * product (CUDA's batchnorm_forward_training does, folding a split product too): one kernel less.
     */
    default void denseBatchNormForward(Slice x, Slice w, Slice bias, int rows, int k, int n, ActivationFunction f,
                                       float alpha, Slice z, Slice y, Slice gamma, Slice beta, float eps,
                                       float momentum, Slice runningMean, Slice runningVar, Slice out, Slice saveMean,
                                       Slice saveInvStd, float rate, long seed, int stream, Slice counters) {
        denseForward(x, w, bias, rows, k, n, f, alpha, z, y);
        if (counters == null) {
            batchNormForwardTraining(y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar, out, saveMean,
                    saveInvStd);
        } else {
            batchNormDropoutForward(y, rows, n, gamma, beta, eps, momentum, runningMean, runningVar, out, saveMean,
                    saveInvStd, rate, seed, stream, counters);
        }
    }

    /**
     * A batch norm's backward pass between the dense layers around it, each end optional. With {@code dzNext}
     * non-null, first the input gradient of the dense layer above, as {@link #inputGradientActivationBackward}
     * computes it: {@link #gemm}{@code (false, true, rows, cols, k, 1, dzNext, wNext, 0, dy)}. Then
     * {@link #batchNormBackward}{@code (x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta)}, or with
     * {@code counters} non-null {@link #batchNormDropoutBackward} with the same arguments and {@code rate, seed,
     * stream, counters}. Then, with {@code zBelow} non-null, the backward pass of the activation of the dense layer
     * below, whose output {@code x} is: {@link #activationBackward}{@code (zBelow, x, dx, rows, cols, fBelow,
     * alphaBelow, dx, dbiasBelow)}. {@code dy} is left undefined. Exactly those ops, whose checks apply; a backend may
     * run them as one kernel with the same bits (CUDA's batchnorm_backward does), which saves a GPU step the launch
     * of the product and of the activation's backward pass.
     */
    default void batchNormBackwardBetween(Slice dzNext, Slice wNext, int k, Slice x, Slice dy, int rows, int cols,
                                          Slice gamma, Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma,
                                          Slice dbeta, float rate, long seed, int stream, Slice counters,
                                          Slice zBelow, ActivationFunction fBelow, float alphaBelow,
                                          Slice dbiasBelow) {
        if (dzNext != null) {
            gemm(false, true, rows, cols, k, 1f, dzNext, wNext, 0f, dy);
        }
        if (counters == null) {
            batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        } else {
            batchNormDropoutBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rate, seed,
                    stream, counters);
        }
        if (zBelow != null) {
            activationBackward(zBelow, x, dx, rows, cols, fBelow, alphaBelow, dx, dbiasBelow);
        }
    }

    /**
     * Issues {@code ops} as a branch that may run beside the ops issued after this call, until
     * {@link #joinBranches()}: how a GPU backend takes the weight gradients of a layer off the path that carries
     * the input gradient back to the layer before, so that both products run at once. The caller promises that,
     * until the join, nothing issued after the branch writes what the branch reads or reads or writes what it
     * writes; the branch itself sees everything issued before it. Branches run in order among themselves.
     *
     * <p>The default issues {@code ops} in place, which keeps every promise trivially; the CUDA backend runs
     * branches on a second stream while it records a step as a graph, so that the graph has parallel paths.
     */
    default void branch(Runnable ops) {
        ops.run();
    }

    /**
     * Makes every op issued from now on wait for the branches issued so far ({@link #branch}); nothing when there
     * are none. Waiting ops ({@link #download}, {@link #synchronize}) and the end of a recording join too.
     */
    default void joinBranches() {
    }

    /**
     * Whether {@link #branch} may run its ops beside those issued after it (the CUDA backend's second stream); false
     * where branches run in place, in issue order (the default). The engine updates each layer on its own only
     * where that pays: beside the backward pass here, or on the host's processor (while its gradients are in cache).
     */
    default boolean runsBranchesBeside() {
        return false;
    }

    /**
     * The most device memory, in bytes, this backend has held at once since it was created: its buffers plus the
     * work space and scratch its ops allocate (not the driver's own context and modules). -1 where the memory is
     * the JVM's heap (the cpu backend), which the JVM's own memory beans report.
     */
    default long peakDeviceBytes() {
        return -1;
    }

    /** Frees every buffer this backend still holds and its device resources. Idempotent. */
    @Override
    void close();

    // ---------------------------------------------------------------- metrics: device accumulators

    // Each adds one batch to small I32 count buffers, so that a training step with metrics reads nothing back:
    // the host reads the counts once per epoch (dev.dendrite.metrics finishes each metric from them). The batch is
    // pred (F32 rows x cols) against targets: I32 class indices, one per row (sparseLabels), or F32 rows x cols.
    // An output is predicted positive when pred > threshold (NaN never is) and truly positive when its target is
    // non-zero (sparse: c == label). Counts are integers, so every backend gives the same counts in any order;
    // a sparse label outside [0, cols) is a miss here (the loss op of the same step reports it). rows may be 0.

    /**
     * Adds the confusion counts of every output (the batch flattened, as Keras's confusion metrics) at each of
     * {@code numThresholds} thresholds ({@code thresholds}, F32) to {@code counts} (I32, {@code 4 * numThresholds}):
     * {@code [tp, fp, tn, fn]} of threshold 0, then of threshold 1, ...
     */
    void metricConfusion(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, Slice thresholds,
                         int numThresholds, Slice counts);

    /**
     * Adds every output to AUC's buckets for {@code numBuckets} evenly spaced thresholds (Keras's
     * {@code num_thresholds}): bucket {@code max(0, ceil(clip(p, 0, 1) * (numBuckets - 1)) - 1)} in float32 (NaN:
     * bucket 0), truly positive outputs to {@code counts[bucket]}, the others to {@code counts[numBuckets + bucket]}
     * ({@code counts}: I32, {@code 2 * numBuckets}).
     */
    void metricBuckets(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, int numBuckets,
                       Slice counts);

    /**
     * Adds the batch's hits of {@code kind} to {@code hits[0]} (I32): rows whose first arg-max is their class
     * ({@link MetricHit#ARG_MAX}; a dense row's class is its target's first arg-max), rows whose class is among
     * the {@code k} largest outputs ({@link MetricHit#TOP_K}, {@code k >= 1}, may exceed {@code cols}), or outputs
     * whose {@code pred > threshold} (1 or 0) equals the target ({@link MetricHit#BINARY}, threshold in [0, 1]).
     * {@code k} and {@code threshold} are ignored by the kinds that do not use them.
     */
    void metricHits(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, MetricHit kind, int k,
                    float threshold, Slice hits);

    /**
     * Adds F1's per-class counts to {@code counts} (I32, {@code 4 * cols}: true positives of every class, then
     * false positives, false negatives, and the true samples of each class). An output is predicted when
     * {@code pred > threshold}, or, with {@code threshold} NaN (Keras's F1Score default), when it equals its row's
     * maximum and exceeds 1e-9 in magnitude (a row holding NaN predicts nothing).
     */
    void metricClassCounts(Slice pred, Slice targets, boolean sparseLabels, int rows, int cols, float threshold,
                           Slice counts);
}
