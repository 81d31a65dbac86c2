package dev.dendrite.backend;

/**
 * The optimizer family of a backend: {@link Backend#sgdUpdate}, {@link Backend#adamUpdate},
 * {@link Backend#rmspropUpdate} and {@link Backend#adagradUpdate}, called by {@link AbstractBackend} once their
 * checks have passed.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public interface OptimizerOps {
    void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper, float momentum, boolean nesterov);

    void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper, Slice counters,
                    float beta1, float beta2, float eps);

    void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper, float rho,
                       float momentum, float eps);

    void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps);

    void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                      float beta1, float beta2, float eps);

    void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                     float beta1, float beta2, float eps);

    void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2);

    void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper, float rho,
                        float eps);

    void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper, float lrPower,
                    float l1, float l2, float l2Shrinkage, float beta);

    void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters, float beta1,
                    float beta2, float eps);

    void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                         Slice counters, float beta2Decay, float epsilon1, float epsilon2, float clipThreshold);

    void weightDecay(Slice params, int n, Slice hyper, float weightDecay);

    void clipByValue(Slice grads, int n, float clipValue);

    void clipByNorm(Slice grads, int n, float clipNorm);
}
