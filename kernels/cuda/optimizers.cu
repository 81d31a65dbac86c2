/*
 * optimizers.cu - one fused kernel per optimizer over the flat parameter buffer.
 *
 * Why: a compiled model keeps every trainable parameter in one contiguous buffer and every gradient in
 * another, so one launch updates the whole model (PyTorch's "fused" optimizers, here the only kind). The
 * learning rate is read from hyper[0] and Adam's t from counters[0] + 1 on the device, so a captured graph
 * replays with the current schedule and step. The update rules, and the load-rule-store of one element, are
 * kernels/common/optimizers.h, shared with OpenCL; these kernels only walk the elements. Optional state buffers
 * are null pointers.
 */
#include "common.cuh"
#include "optimizers.h"

/*
 * Keras SGD: p -= lr g; with momentum (velocity non-null) v = momentum v - lr g, p += v (or Nesterov).
 * advance (non-null only for a step's last update, Backend.updateThenAdvanceCounters): the step counters, which the
 * kernel's last block advances (common.cuh); the same for adam_update.
 */
DENDRITE_KERNEL void sgd_update(float *params, const float *grads, float *velocity, int n, const float *hyper,
                                float momentum, int nesterov, int *advance, int *control) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        if (velocity == nullptr) {
            params[i] = dendrite_sgd(params[i], grads[i], lr);
        } else {
            dendrite_sgd_momentum_step(params, grads, velocity, i, lr, momentum, nesterov);
        }
    }
    dendrite_advance_counters_when_last(advance, control);
}

/* Lane j of a float4. */
__device__ __forceinline__ float &adam_lane(float4 &q, int j) {
    return j == 0 ? q.x : j == 1 ? q.y : j == 2 ? q.z : q.w;
}

/*
 * Keras Adam with t = counters[0] + 1; AMSGrad when v_max is non-null.
 *
 * Adam streams seven arrays (four read, three written: about 1 GB a step for wide4096's 38M parameters), so where
 * all four are 16-byte aligned (a layer's part of the buffers usually is) a thread moves four elements with float4
 * loads and stores, and the rest one by one; every element goes through the same dendrite_adam, so the bits do not
 * depend on the path. vectors == 0 (-Ddendrite.cuda.vectorAdam=false) keeps one element a thread everywhere.
 */
DENDRITE_KERNEL void adam_update(float *params, const float *grads, float *m, float *v, float *v_max, int n,
                                 const float *hyper, const int *counters, float beta1, float beta2, float eps,
                                 int vectors, int *advance, int *control) {
    dendrite_pdl_begin();
    /* Both bias corrections folded into one step size: per thread, once, outside the loop. */
    float step_size = dendrite_adam_step_size(hyper[0], beta1, beta2, counters[0] + 1);
    int amsgrad = v_max != nullptr;
    unsigned int first_single = 0;
    bool aligned = ((reinterpret_cast<size_t>(params) | reinterpret_cast<size_t>(grads) | reinterpret_cast<size_t>(m)
                     | reinterpret_cast<size_t>(v)) & 15u) == 0;
    if (vectors && aligned && !amsgrad) {
        unsigned int quads = (unsigned int) n / 4u;
        for (unsigned int q = DENDRITE_GRID_START; q < quads; q += DENDRITE_GRID_STRIDE) {
            float4 p4 = reinterpret_cast<float4 *>(params)[q];
            float4 g4 = reinterpret_cast<const float4 *>(grads)[q];
            float4 m4 = reinterpret_cast<float4 *>(m)[q];
            float4 v4 = reinterpret_cast<float4 *>(v)[q];
            for (int j = 0; j < 4; j++) {
                dendrite_adam_state s;
                s.param = adam_lane(p4, j);
                s.m = adam_lane(m4, j);
                s.v = adam_lane(v4, j);
                s.v_max = 0.0f;
                s = dendrite_adam(s, adam_lane(g4, j), step_size, beta1, beta2, eps, 0);
                adam_lane(p4, j) = s.param;
                adam_lane(m4, j) = s.m;
                adam_lane(v4, j) = s.v;
            }
            reinterpret_cast<float4 *>(params)[q] = p4;
            reinterpret_cast<float4 *>(m)[q] = m4;
            reinterpret_cast<float4 *>(v)[q] = v4;
        }
        first_single = quads * 4u;
    }
    for (unsigned int i = first_single + DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_adam_step(params, grads, m, v, v_max, i, step_size, beta1, beta2, eps, amsgrad);
    }
    dendrite_advance_counters_when_last(advance, control);
}

/* Keras RMSprop: centered when mg is non-null, with momentum when mom is non-null. */
DENDRITE_KERNEL void rmsprop_update(float *params, const float *grads, float *ms, float *mom, float *mg, int n,
                                    const float *hyper, float rho, float momentum, float eps) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    int centered = mg != nullptr;
    int use_momentum = mom != nullptr;
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_rmsprop_step(params, grads, ms, mom, mg, i, lr, rho, momentum, eps, centered, use_momentum);
    }
}

/* Keras Adagrad: acc += g^2; p -= lr g / sqrt(acc + eps). */
DENDRITE_KERNEL void adagrad_update(float *params, const float *grads, float *accumulator, int n,
                                    const float *hyper, float eps) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_adagrad_step(params, grads, accumulator, i, lr, eps);
    }
}

/* Keras Adamax with t = counters[0] + 1. */
DENDRITE_KERNEL void adamax_update(float *params, const float *grads, float *m, float *u, int n, const float *hyper,
                                   const int *counters, float beta1, float beta2, float eps) {
    dendrite_pdl_begin();
    float step_size = hyper[0] / dendrite_one_minus_pow(beta1, counters[0] + 1);
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_adamax_step(params, grads, m, u, i, step_size, beta1, beta2, eps);
    }
}

/* Keras Nadam with t = counters[0] + 1; the momentum schedule's coefficients once per thread. */
DENDRITE_KERNEL void nadam_update(float *params, const float *grads, float *m, float *v, int n, const float *hyper,
                                  const int *counters, float beta1, float beta2, float eps) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    dendrite_nadam_coefficients c = dendrite_nadam_coefficients_at(beta1, beta2, counters[0] + 1);
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_nadam_step(params, grads, m, v, i, lr, c, beta1, beta2, eps);
    }
}

/* Keras Lion. */
DENDRITE_KERNEL void lion_update(float *params, const float *grads, float *m, int n, const float *hyper, float beta1,
                                 float beta2) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_lion_step(params, grads, m, i, lr, beta1, beta2);
    }
}

/* Keras Adadelta. */
DENDRITE_KERNEL void adadelta_update(float *params, const float *grads, float *acc_grad, float *acc_delta, int n,
                                     const float *hyper, float rho, float eps) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_adadelta_step(params, grads, acc_grad, acc_delta, i, lr, rho, eps);
    }
}

/* Keras 3's decoupled weight decay: p -= p * wd * lr, with lr read from hyper[0]. */
DENDRITE_KERNEL void weight_decay(float *params, int n, const float *hyper, float wd) {
    dendrite_pdl_begin();
    float wd_lr = wd * hyper[0];
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        params[i] = dendrite_weight_decay(params[i], wd_lr);
    }
}

/* clipvalue: every gradient clipped to [-c, c]. */
DENDRITE_KERNEL void clip_by_value(float *grads, int n, float c) {
    dendrite_pdl_begin();
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        grads[i] = dendrite_clip_value(grads[i], c);
    }
}

/*
 * clipnorm (one launch per variable) and global_clipnorm (one launch over the whole buffer): ONE block sums the
 * squares (Kahan per thread, then the fixed block tree, so deterministic), and the same block scales. One block
 * keeps it a single recordable launch with no scratch memory; a model's variables are at most a few million
 * elements, a few passes of one SM's bandwidth.
 */
DENDRITE_KERNEL void clip_by_norm(float *grads, int n, float c) {
    dendrite_pdl_begin();
    __shared__ float scale;
    dendrite_kahan sq = dendrite_kahan_zero();
    for (unsigned int i = threadIdx.x; i < (unsigned int) n; i += blockDim.x) {
        float g = grads[i];
        sq = dendrite_kahan_add(sq, g * g);
    }
    float total = dendrite_block_kahan_sum(sq);
    if (threadIdx.x == 0) {
        scale = dendrite_clip_norm_scale(total, c);
    }
    __syncthreads();
    float f = scale;
    for (unsigned int i = threadIdx.x; i < (unsigned int) n; i += blockDim.x) {
        grads[i] *= f;
    }
}

/* Keras Ftrl; l2 already includes beta / (2 lr), folded in here from hyper[0] so that a schedule reaches it. */
DENDRITE_KERNEL void ftrl_update(float *params, const float *grads, float *accumulator, float *linear, int n,
                                 const float *hyper, float lr_power, float l1, float l2, float l2_shrinkage,
                                 float beta) {
    dendrite_pdl_begin();
    float lr = hyper[0];
    float l2_total = l2 + beta / (2.0f * lr);
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dendrite_ftrl_step(params, grads, accumulator, linear, i, lr, -lr_power, l1, l2_total, l2_shrinkage);
    }
}

/*
 * Keras Lamb on ONE variable (one launch per weight tensor, one block, as clip_by_norm): the first pass updates
 * m and v and sums w^2 and the direction's squares, the block tree gives the trust ratio, the second pass
 * recomputes each direction from the stored m and v and applies it. t = counters[0] + 1.
 */
DENDRITE_KERNEL void lamb_update(float *params, const float *grads, float *m, float *v, int n, const float *hyper,
                                 const int *counters, float beta1, float beta2, float eps) {
    dendrite_pdl_begin();
    __shared__ float ratio;
    int t = counters[0] + 1;
    float c1 = 1.0f / dendrite_one_minus_pow(beta1, t);
    float c2 = 1.0f / dendrite_one_minus_pow(beta2, t);
    dendrite_kahan w_sq = dendrite_kahan_zero();
    dendrite_kahan u_sq = dendrite_kahan_zero();
    for (unsigned int i = threadIdx.x; i < (unsigned int) n; i += blockDim.x) {
        float g = grads[i];
        float mi = dendrite_dot2(beta1, m[i], 1.0f - beta1, g);
        float vi = dendrite_dot2(beta2, v[i], 1.0f - beta2, g * g);
        m[i] = mi;
        v[i] = vi;
        float w = params[i];
        float u = dendrite_lamb_direction(mi, vi, c1, c2, eps);
        w_sq = dendrite_kahan_add(w_sq, w * w);
        u_sq = dendrite_kahan_add(u_sq, u * u);
    }
    float2 norms_sq = dendrite_block_kahan_sum2(w_sq, u_sq);
    if (threadIdx.x == 0) {
        ratio = dendrite_lamb_ratio(norms_sq.x, norms_sq.y);
    }
    __syncthreads();
    float step = ratio * hyper[0];
    for (unsigned int i = threadIdx.x; i < (unsigned int) n; i += blockDim.x) {
        params[i] -= step * dendrite_lamb_direction(m[i], v[i], c1, c2, eps);
    }
}

/*
 * Keras Adafactor on ONE variable of rows x cols elements (one launch per weight tensor, one block, as lamb_update;
 * the layout of acc is in kernels/common/optimizers.h). Factored: a thread per row averages g^2 + eps1 into r (and
 * sums w^2 and r), then a thread per column into c; the block tree gives mean(r); a pass sums the directions'
 * squares; the last pass recomputes each direction and applies it. Unfactored: one pass updates v and sums w^2
 * and u^2. t = counters[0] + 1.
 */
DENDRITE_KERNEL void adafactor_update(float *params, const float *grads, float *acc, int rows, int cols,
                                      const float *hyper, const int *counters, float decay, float eps1, float eps2,
                                      float clip) {
    dendrite_pdl_begin();
    __shared__ float shared_r_mean;
    __shared__ float shared_step;
    int t = counters[0] + 1;
    int n = rows * cols;
    float beta = dendrite_adafactor_beta2(t, decay);
    float rho = dendrite_adafactor_rho(hyper[0], t);
    int factored = dendrite_adafactor_factored(rows, cols);
    dendrite_kahan w_sq = dendrite_kahan_zero();
    dendrite_kahan u_sq = dendrite_kahan_zero();
    if (factored) {
        dendrite_kahan r_sum = dendrite_kahan_zero();
        for (unsigned int i = threadIdx.x; i < (unsigned int) rows; i += blockDim.x) {
            dendrite_kahan row = dendrite_kahan_zero();
            for (int j = 0; j < cols; j++) {
                float g = grads[i * cols + j];
                float w = params[i * cols + j];
                row = dendrite_kahan_add(row, g * g + eps1);
                w_sq = dendrite_kahan_add(w_sq, w * w);
            }
            float r = dendrite_adafactor_average(acc[i], row.sum / (float) cols, beta);
            acc[i] = r;
            r_sum = dendrite_kahan_add(r_sum, r);
        }
        for (unsigned int j = threadIdx.x; j < (unsigned int) cols; j += blockDim.x) {
            dendrite_kahan col = dendrite_kahan_zero();
            for (int i = 0; i < rows; i++) {
                float g = grads[i * cols + j];
                col = dendrite_kahan_add(col, g * g + eps1);
            }
            acc[rows + j] = dendrite_adafactor_average(acc[rows + j], col.sum / (float) rows, beta);
        }
        float r_total = dendrite_block_kahan_sum(r_sum); /* its barriers also publish r and c */
        if (threadIdx.x == 0) {
            shared_r_mean = r_total / (float) rows;
        }
        __syncthreads();
        float r_mean = shared_r_mean;
        for (unsigned int k = threadIdx.x; k < (unsigned int) n; k += blockDim.x) {
            float v = dendrite_adafactor_factored_v(acc[k / cols], r_mean, acc[rows + k % cols]);
            float u = grads[k] / dendrite_sqrtf(v);
            u_sq = dendrite_kahan_add(u_sq, u * u);
        }
    } else {
        for (unsigned int k = threadIdx.x; k < (unsigned int) n; k += blockDim.x) {
            float g = grads[k];
            float w = params[k];
            float v = dendrite_adafactor_average(acc[k], g * g + eps1, beta);
            acc[k] = v;
            float u = g / dendrite_sqrtf(v);
            w_sq = dendrite_kahan_add(w_sq, w * w);
            u_sq = dendrite_kahan_add(u_sq, u * u);
        }
    }
    float2 norms_sq = dendrite_block_kahan_sum2(w_sq, u_sq);
    if (threadIdx.x == 0) {
        shared_step = dendrite_adafactor_step(norms_sq.x, norms_sq.y, n, rho, eps2, clip);
    }
    __syncthreads();
    float step = shared_step;
    float r_mean = factored ? shared_r_mean : 0.0f;
    for (unsigned int k = threadIdx.x; k < (unsigned int) n; k += blockDim.x) {
        float v = factored ? dendrite_adafactor_factored_v(acc[k / cols], r_mean, acc[rows + k % cols]) : acc[k];
        params[k] -= step * (grads[k] / dendrite_sqrtf(v));
    }
}
