package dev.dendrite.backend;

/**
 * The optimizer family of the op set: each update is one pass over a flat buffer, with the learning rate read
 * from {@code hyper[}{@link Backend#HYPER_LR}{@code ]} and the step from
 * {@code counters[}{@link Backend#COUNTER_STEP}{@code ]}.
 *
 * <p>{@link Backend} extends this interface, so the signatures and contracts here are the ops' own (one source of
 * truth). A backend's family class implements it; {@link AbstractBackend} calls that class once the op's checks
 * have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface OptimizerOps {
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
}
