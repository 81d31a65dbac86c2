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

    /**
     * Keras's {@code ReLU} layer over {@code n} values: {@code x} above {@code threshold} (clipped to
     * {@code [0, maxValue]} when {@code maxValue} is finite), {@code negativeSlope * (x - threshold)} below it.
     * {@code maxValue} is {@code +Infinity} for none. {@code y} may alias {@code x} exactly.
     */
    void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y);

    /** Overwrites {@code dx = dy * relu'(x)} for {@link #reluForward}'s arguments; {@code dx} may alias {@code dy}. */
    void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold, Slice dx);

    /** PReLU: {@code y[r, c] = x > 0 ? x : alpha[c] * x}. {@code y} may alias {@code x} exactly. */
    void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y);

    /**
     * PReLU backward: overwrites {@code dalpha[c] = sum over r of dy * min(x, 0)} and, when {@code dx} is non-null
     * (it may alias {@code dy}), {@code dx = dy * (x > 0 ? 1 : x < 0 ? alpha[c] : 0)}.
     */
    void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha);

    /**
     * The Rescaling / Normalization map {@code y[r, c] = (x - mean[f]) / max(sqrt(variance[f]), 1e-7) * scale
     * + offset} with {@code f = c % period}; a null {@code mean} counts as 0 and a null {@code variance} as 1, so
     * that both null give {@code x * scale + offset}. {@code period} divides {@code cols}; {@code y} may alias
     * {@code x} exactly.
     */
    void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                       float offset, Slice y);

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

    // ---------------------------------------------------------------- image augmentation

    /**
     * Overwrites {@code y} with the {@code rows} images of {@code x} ({@code height x width} each), each resampled
     * through its own random affine map drawn from {@code spec}'s ranges with Philox counters
     * {@code (2r, counters[COUNTER_STEP], stream)} and {@code (2r + 1, ...)} for image {@code r}: the definition is
     * {@link Augment#affine}. {@code y} must not overlap {@code x}.
     */
    void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed, int stream,
                       Slice counters);

    /**
     * Overwrites {@code y} with the images of {@code x} after {@code spec}'s contrast, brightness and erasing, with
     * the same per-image counters as {@link #augmentAffine}: the definition is {@link Augment#pixels}. {@code y}
     * may alias {@code x}.
     */
    void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed, int stream,
                       Slice counters);

    /**
     * Mixup of one batch (Zhang et al. 2018): writes each sample's {@code lam ~ Beta(alpha, alpha)} to
     * {@code lambdas} ({@code rows} values), {@code xOut[r] = lam x[r] + (1 - lam) x[p(r)]} ({@code xWidth} wide)
     * and {@code yOut[r] = lam y[r] + (1 - lam) y[p(r)]} ({@code classes} wide), with {@code y} I32 class indices
     * made one-hot when {@code sparseLabels}, else F32 targets {@code classes} wide, and {@code p} a permutation of
     * the batch. The draws come from Philox counters {@code (r, counters[COUNTER_STEP], stream + k)}: the
     * definition is {@link Mixup#apply}. The outputs overlap no input. A class index outside
     * {@code [0, classes)} gives that sample a zero row.
     */
    void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha, long seed,
               int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut);

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

    // ---------------------------------------------------------------- layer normalisation (per row)

    /**
     * Layer normalisation of each row: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the row's mean
     * and biased variance over its {@code cols} values; overwrites {@code saveMean} and {@code saveInvStd}
     * ({@code 1 / sqrt(var + eps)}, length {@code rows}) for the backward pass. The same in training and inference.
     * {@code gamma} ({@code null} = ones) and {@code beta} ({@code null} = zeros) have length {@code cols}.
     */
    void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                          Slice saveMean, Slice saveInvStd);

    /**
     * Backward of {@link #layerNormForward}: overwrites {@code dx}, {@code dgamma} ({@code sum over rows of
     * dy * xhat}) and {@code dbeta} ({@code sum over rows of dy}), each only when non-null.
     */
    void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                           Slice dx, Slice dgamma, Slice dbeta);

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

    // ---------------------------------------------------------------- optimizer options (Keras 3, any update rule)

    /**
     * Writes one step's learning rate: {@code out[HYPER_LR] = } {@link ScheduleMath#learningRate}{@code (kind,
     * schedule, counters[COUNTER_STEP], hyper[HYPER_LR])}, with {@code schedule} the F32 parameters of schedule
     * {@code kind} ({@link ScheduleMath}). {@code out} may be {@code hyper}.
     */
    void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out);

    /**
     * Keras's gradient accumulation over {@code steps >= 2} steps: on an update step ({@code (counters[COUNTER_STEP]
     * + 1) % steps == 0}) {@code grads = (grads + accumulator) / steps} and {@code accumulator = 0}; on the others
     * {@code accumulator += grads}. Writes {@code optimizerCounters = [counters[COUNTER_STEP] / steps,
     * counters[COUNTER_BATCH]]}, the iteration Keras's optimizer sees.
     */
    void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                             Slice optimizerCounters);

    /** {@code dst = backup} (n elements) unless {@code (counters[COUNTER_STEP] + 1) % steps == 0}. */
    void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps);

    /**
     * Keras's moving average of the weights, with {@code it = counters[COUNTER_STEP] / accumulationSteps}:
     * {@code m = it == 0 ? 0 : momentum; average = m * average + (1 - m) * params}; then, when
     * {@code overwriteFrequency > 0} and {@code (it + 1) % overwriteFrequency == 0}, {@code params = average}.
     */
    void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                   int overwriteFrequency);

    /**
     * Keras Adamax, with {@code t = counters[COUNTER_STEP] + 1}: {@code m += (g - m)(1 - beta1);
     * u = max(beta2 * u, |g|); p -= lr * m / ((1 - beta1^t)(u + eps))}.
     */
    void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                      float beta1, float beta2, float eps);

    /**
     * Keras Nadam, with {@code t = counters[COUNTER_STEP] + 1}, {@code u_k = beta1 (1 - 0.5 * 0.96^k)} and
     * {@code P_t = u_1 ... u_t}: {@code m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2);
     * p -= lr * (u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t)) / (sqrt(v / (1 - beta2^t)) + eps)}.
     */
    void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                     float beta1, float beta2, float eps);

    /** Keras Lion: {@code p -= lr * sign(beta1 m + (1 - beta1) g); m = beta2 m + (1 - beta2) g}. */
    void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2);

    /**
     * Keras Adadelta: {@code ag = rho ag + (1 - rho) g^2; d = -sqrt(ad + eps) g / sqrt(ag + eps);
     * ad = rho ad + (1 - rho) d^2; p += lr * d}.
     */
    void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper, float rho,
                        float eps);

    /**
     * Keras Ftrl (FTRL-proximal), with {@code e = -lrPower} and {@code l2' = l2 + beta / (2 lr)}:
     * {@code acc' = acc + g^2; linear += g + 2 l2Shrinkage p - (acc'^e - acc^e) / lr * p;
     * p = (clip(linear, -l1, l1) - linear) / (acc'^e / lr + 2 l2'); acc = acc'}.
     */
    void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper, float lrPower,
                    float l1, float l2, float l2Shrinkage, float beta);

    /**
     * Keras Lamb on ONE variable (a weight tensor: issue one call per tensor), with
     * {@code t = counters[COUNTER_STEP] + 1}: {@code m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2);
     * u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps); p -= lr * r * u}, with the trust ratio
     * {@code r = ||p|| / ||u||} over the n elements (1 where either norm is 0), summed on the device.
     */
    void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters, float beta1,
                    float beta2, float eps);

    /**
     * Keras Adafactor on ONE variable of {@code rows x cols} elements, row-major (a vector is {@code 1 x n}; issue
     * one call per tensor), with {@code t = counters[COUNTER_STEP] + 1}, {@code beta = 1 - t^beta2Decay},
     * {@code rho = min(lr, 1 / sqrt(t))}: {@code r = beta r + (1 - beta) rowMean(g^2 + epsilon1)}, {@code c} the same
     * with column means, {@code v = (r / mean(r)) c} where {@code rows >= 2} and {@code cols >= 2}, else
     * {@code v = beta v + (1 - beta)(g^2 + epsilon1)} per element; {@code u = g / sqrt(v)};
     * {@code p -= max(epsilon2, RMS(p)) rho u / max(1, RMS(u) / clipThreshold)}. {@code accumulator} has
     * {@code rows * cols} elements and holds r then c at its start when factored, v otherwise. Every reduction runs
     * on the device.
     */
    void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                         Slice counters, float beta2Decay, float epsilon1, float epsilon2, float clipThreshold);

    /** Keras 3's decoupled weight decay, issued before an update: {@code p -= p * weightDecay * lr}. */
    void weightDecay(Slice params, int n, Slice hyper, float weightDecay);

    /** Keras's {@code clipvalue}: {@code g = clip(g, -clipValue, clipValue)} in place (NaN stays NaN). */
    void clipByValue(Slice grads, int n, float clipValue);

    /**
     * Keras's {@code clipnorm} on one variable's gradient, or {@code global_clipnorm} on all of them: with
     * {@code norm = sqrt(sum g^2)} over the {@code n} elements, {@code g *= clipNorm / max(norm, clipNorm)} in
     * place. The norm never leaves the device.
     */
    void clipByNorm(Slice grads, int n, float clipNorm);

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
