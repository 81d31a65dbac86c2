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
 */
public interface Backend extends AutoCloseable {

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

    // ---------------------------------------------------------------- dense algebra

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with {@code C} {@code m x n}, {@code op(A)} {@code m x k} and
     * {@code op(B)} {@code k x n}. {@code A} is stored {@code m x k} ({@code k x m} when {@code transA}) and
     * {@code B} {@code k x n} ({@code n x k} when {@code transB}), all row-major and densely packed. With
     * {@code beta == 0} the previous contents of C are ignored (NaN included).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Slice a, Slice b, float beta, Slice c);

    /**
     * Overwrites {@code out[c] = sum over r of x[r, c]}: the bias gradient when the upstream gradient is
     * already with respect to the pre-activation.
     */
    void columnSums(Slice x, int rows, int cols, Slice out);

    // ---------------------------------------------------------------- activations

    /**
     * Forward pass of bias + activation. If {@code bias} is non-null, first adds {@code bias[c]} to every row of
     * {@code z} in place (so that {@code z} holds the pre-activation the backward pass needs); then overwrites
     * {@code y = f(z)}. {@code y} may alias {@code z} only for {@link ActivationFunction#LINEAR}.
     */
    void biasActivationForward(Slice z, Slice bias, int rows, int cols,
                               ActivationFunction f, float alpha, Slice y);

    /**
     * Backward pass of an activation: overwrites {@code dz = dy * f'(z)} (for softmax, the row-wise
     * Jacobian-vector product {@code y * (dy - sum(dy * y))}), given the forward's {@code z} and {@code y}.
     * {@code dz} may alias {@code dy}. If {@code dbias} is non-null it is overwritten with the column sums of
     * {@code dz}, fused into the same pass.
     */
    void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols,
                            ActivationFunction f, float alpha, Slice dz, Slice dbias);

    // ---------------------------------------------------------------- losses (each adds to stats)

    /**
     * Fused, numerically stable softmax + cross-entropy. Overwrites {@code probs = softmax(logits)} row-wise.
     * Labels are class indices ({@link DType#I32}, length {@code rows}) when {@code sparseLabels}, else target
     * distributions (F32, {@code rows x cols}). Adds the summed per-row loss {@code -sum t * log p} to
     * {@code stats[STAT_LOSS]} and the number of rows whose arg-max matches the label's to
     * {@code stats[STAT_ACCURACY]}. If {@code dlogits} is non-null, overwrites it with
     * {@code gradScale * (p - t)}. Sparse labels outside {@code [0, cols)} are the caller's error.
     */
    void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                             Slice probs, Slice dlogits, float gradScale, Slice stats);

    /**
     * Fused, numerically stable sigmoid + binary cross-entropy on F32 targets in {@code [0, 1]}. Overwrites
     * {@code probs = sigmoid(logits)}. A row's loss is the mean over its {@code cols} outputs (as Keras's
     * {@code binary_crossentropy}); its accuracy the fraction of outputs with {@code (p > 0.5) == (t > 0.5)}.
     * If {@code dlogits} is non-null, overwrites it with {@code gradScale * (p - t) / cols}.
     */
    void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols,
                             Slice probs, Slice dlogits, float gradScale, Slice stats);

    /**
     * Mean squared error: a row's loss is {@code mean over cols of (pred - t)^2}; its accuracy is 1 when the
     * arg-max of pred and target agree ({@code cols > 1}) or when {@code |pred - t| < 0.5} ({@code cols == 1}).
     * If {@code dpred} is non-null, overwrites it with {@code gradScale * 2 (pred - t) / cols}.
     */
    void meanSquaredError(Slice pred, Slice targets, int rows, int cols,
                          Slice dpred, float gradScale, Slice stats);

    // ---------------------------------------------------------------- regularisation

    /** Adds {@code l1 * sign(w) + 2 * l2 * w} to {@code grad} for the first {@code n} elements. */
    void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2);

    /** Adds {@code scale * (l1 * sum |w| + l2 * sum w^2)} to {@code stats[STAT_LOSS]}. */
    void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats);

    // ---------------------------------------------------------------- dropout

    /**
     * Inverted dropout: overwrites {@code y[i] = keep(i) ? x[i] / (1 - rate) : 0}. {@code keep(i)} is
     * {@link Philox#uniform}{@code (seed, i, counters[COUNTER_STEP], stream) >= rate} (word {@code i & 3} of the
     * Philox block {@code i / 4}), so the mask is a pure function of its coordinates: the backward pass regenerates
     * it instead of storing it, and every backend draws the same mask. {@code y} may alias {@code x}.
     */
    void dropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters);

    /** Overwrites {@code dx[i] = keep(i) ? dy[i] / (1 - rate) : 0} with the forward's mask. May alias. */
    void dropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters);

    // ---------------------------------------------------------------- batch normalisation (per column)

    /**
     * Training-mode batch normalisation over the rows: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}
     * with the batch's mean and biased variance. Overwrites {@code saveMean} and {@code saveInvStd}
     * ({@code 1 / sqrt(var + eps)}) for the backward pass and updates the running statistics as Keras does:
     * {@code running = momentum * running + (1 - momentum) * batch} (the biased variance). {@code gamma}
     * ({@code null} = ones) and {@code beta} ({@code null} = zeros) have length {@code cols}.
     */
    void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                  float momentum, Slice runningMean, Slice runningVar,
                                  Slice y, Slice saveMean, Slice saveInvStd);

    /** Inference-mode batch normalisation with the running statistics. */
    void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                   Slice runningMean, Slice runningVar, Slice y);

    /**
     * Backward of {@link #batchNormForwardTraining}: overwrites {@code dx}, {@code dgamma} and {@code dbeta},
     * each only when non-null ({@code dx == null}: the layer is the first to train and only its parameter
     * gradients are wanted).
     */
    void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma,
                           Slice saveMean, Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta);

    // ---------------------------------------------------------------- optimizers (one pass over a flat buffer)

    /**
     * Keras SGD. Without momentum ({@code velocity == null}): {@code p -= lr * g}. With momentum:
     * {@code v = momentum * v - lr * g}; then {@code p += v}, or with Nesterov {@code p += momentum * v - lr * g}.
     */
    void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper,
                   float momentum, boolean nesterov);

    /**
     * Keras Adam, with {@code t = counters[COUNTER_STEP] + 1}:
     * {@code m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2);
     * p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)}. With AMSGrad ({@code vMax} non-null)
     * {@code vMax = max(vMax, v)} replaces {@code v} in the step.
     */
    void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                    Slice counters, float beta1, float beta2, float eps);

    /**
     * Keras RMSprop: {@code ms = rho * ms + (1 - rho) g^2}; centered: {@code mg = rho * mg + (1 - rho) g} and
     * {@code denom = ms - mg^2}, else {@code denom = ms}; {@code inc = lr * g / sqrt(denom + eps)}; with
     * momentum ({@code mom} non-null) {@code mom = momentum * mom + inc; p -= mom}, else {@code p -= inc}.
     */
    void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                       float rho, float momentum, float eps);

    /** Keras Adagrad: {@code acc += g^2; p -= lr * g / sqrt(acc + eps)}. */
    void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps);

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
     * Overwrites {@code out[0..n)} with the epoch's shuffle: the permutation that sorts {@code i} by
     * {@code (Philox.bits(seed, i, epoch, PERMUTATION_STREAM), i)}. Defined by its keys, so every backend gives
     * the same order for the same seed and epoch.
     */
    void randomPermutation(Slice out, int n, long seed, int epoch);

    /** Increments both counters by one: issued once at the end of every training step. */
    void advanceCounters(Slice counters);

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
}
