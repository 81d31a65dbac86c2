/*
 * activations.h - forward value and derivative of every activation of dev.dendrite.backend.ActivationFunction,
 * plus the row-wise softmax and its Jacobian-vector product.
 *
 * The codes below are the contract with the host (OpenClBackend maps each enum constant to one of them).
 * Conventions at the kinks follow the CPU reference backend: relu'(0) = 0, and leaky_relu, elu and selu use
 * their negative branch at 0; the others' are those of ActivationFunction's Javadoc. Derivatives are computed from
 * the pre-activation z, not from y = f(z): forms in y alone (y (1 - y) for the sigmoid) lose all precision where y
 * rounds to 1.
 */
#ifndef DENDRITE_ACTIVATIONS_H
#define DENDRITE_ACTIVATIONS_H

#include "dialect.h"
#include "sums.h"

#define DENDRITE_ACT_LINEAR 0
#define DENDRITE_ACT_RELU 1
#define DENDRITE_ACT_SIGMOID 2
#define DENDRITE_ACT_TANH 3
#define DENDRITE_ACT_SOFTMAX 4 /* row-wise: see dendrite_softmax_row; the scalar functions return x / 1 */
#define DENDRITE_ACT_SELU 5
#define DENDRITE_ACT_ELU 6
#define DENDRITE_ACT_LEAKY_RELU 7
#define DENDRITE_ACT_GELU 8
#define DENDRITE_ACT_SWISH 9
#define DENDRITE_ACT_SOFTPLUS 10
#define DENDRITE_ACT_SOFTSIGN 11
#define DENDRITE_ACT_RELU6 12
#define DENDRITE_ACT_HARD_SIGMOID 13
#define DENDRITE_ACT_HARD_SILU 14
#define DENDRITE_ACT_MISH 15
#define DENDRITE_ACT_EXPONENTIAL 16
#define DENDRITE_ACT_CELU 17 /* Keras's default alpha 1: ELU's formula with alpha 1 */
#define DENDRITE_ACT_LOG_SIGMOID 18
#define DENDRITE_ACT_TANH_SHRINK 19
#define DENDRITE_ACT_HARD_TANH 20
#define DENDRITE_ACT_SOFT_SHRINK 21 /* Keras's default threshold 0.5, as HARD_SHRINK's */
#define DENDRITE_ACT_HARD_SHRINK 22
#define DENDRITE_ACT_SPARSE_PLUS 23
#define DENDRITE_ACT_SPARSE_SIGMOID 24
#define DENDRITE_ACT_SQUAREPLUS 25 /* Keras's default b = 4 */

/* SELU constants of Klambauer et al. (2017), as Keras uses them. */
#define DENDRITE_SELU_ALPHA 1.6732632423543772f
#define DENDRITE_SELU_SCALE 1.0507009873554805f
#define DENDRITE_INV_SQRT2 0.70710678118654752f
#define DENDRITE_INV_SQRT_2PI 0.39894228040143268f

/* The logistic function; neither branch exponentiates a positive number, so nothing overflows. */
DENDRITE_DEVICE float dendrite_sigmoid(float x) {
    if (x >= 0.0f) {
        return 1.0f / (1.0f + dendrite_expf(-x));
    }
    float e = dendrite_expf(x);
    return e / (1.0f + e);
}

/* The standard normal CDF as erfc(-x / sqrt 2) / 2: no cancellation in the left tail, unlike 1 + erf. */
DENDRITE_DEVICE float dendrite_normal_cdf(float x) {
    return 0.5f * dendrite_erfcf(-x * DENDRITE_INV_SQRT2);
}

/* log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)): exp never overflows, and nothing cancels for x << 0. */
DENDRITE_DEVICE float dendrite_softplus(float x) {
    return dendrite_fmaxf(x, 0.0f) + dendrite_log1pf(dendrite_expf(-dendrite_fabsf(x)));
}

/* 1 - tanh(z)^2 = 4 e / (1 + e)^2 with e = exp(-2|z|): never 1 - (something near 1). */
DENDRITE_DEVICE float dendrite_sech2(float z) {
    float e = dendrite_expf(-2.0f * dendrite_fabsf(z));
    float d = 1.0f + e;
    return 4.0f * e / (d * d);
}

/*
 * x - tanh(x). Below |x| = 1/4 the difference would cancel (it is about x^3 / 3), so there it is the Maclaurin
 * series to x^13, whose first omitted term is below 1e-8 of the sum.
 */
DENDRITE_DEVICE float dendrite_tanh_shrink(float x) {
    if (dendrite_fabsf(x) < 0.25f) {
        float x2 = x * x;
        float p = -21844.0f / 6081075.0f;
        p = p * x2 + 1382.0f / 155925.0f;
        p = p * x2 - 62.0f / 2835.0f;
        p = p * x2 + 17.0f / 315.0f;
        p = p * x2 - 2.0f / 15.0f;
        p = p * x2 + 1.0f / 3.0f;
        return x * x2 * p;
    }
    return x - dendrite_tanhf(x);
}

/* Keras 3's hard_sigmoid, relu6(x + 3) / 6 (also hard_silu's factor). */
DENDRITE_DEVICE float dendrite_hard_sigmoid(float x) {
    float v = x + 3.0f;
    return (v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v)) / 6.0f;
}

/* sqrt(x^2 + 4), squareplus's root; beyond 1e18 the 4 is below half an ulp of x^2, and x^2 could overflow. */
DENDRITE_DEVICE float dendrite_squareplus_root(float x) {
    float a = dendrite_fabsf(x);
    return a > 1e18f ? a : dendrite_sqrtf(x * x + 4.0f);
}

/* f(x) for an element-wise activation; alpha is leaky_relu's slope or elu's saturation. */
DENDRITE_DEVICE float dendrite_activation(int act, float alpha, float x) {
    switch (act) {
        case DENDRITE_ACT_RELU:
            return x < 0.0f ? 0.0f : x; /* NaN stays NaN, as with Math.max */
        case DENDRITE_ACT_SIGMOID:
            return dendrite_sigmoid(x);
        case DENDRITE_ACT_TANH:
            return dendrite_tanhf(x);
        case DENDRITE_ACT_SELU:
            return x > 0.0f ? DENDRITE_SELU_SCALE * x
                            : DENDRITE_SELU_SCALE * DENDRITE_SELU_ALPHA * dendrite_expm1f(x);
        case DENDRITE_ACT_ELU:
            return x > 0.0f ? x : alpha * dendrite_expm1f(x);
        case DENDRITE_ACT_LEAKY_RELU:
            return x < 0.0f ? alpha * x : x;
        case DENDRITE_ACT_GELU:
            return x * dendrite_normal_cdf(x);
        case DENDRITE_ACT_SWISH:
            return x * dendrite_sigmoid(x);
        case DENDRITE_ACT_SOFTPLUS:
            return dendrite_softplus(x);
        case DENDRITE_ACT_SOFTSIGN:
            return x / (1.0f + dendrite_fabsf(x));
        case DENDRITE_ACT_RELU6:
            return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
        case DENDRITE_ACT_HARD_SIGMOID:
            return dendrite_hard_sigmoid(x);
        case DENDRITE_ACT_HARD_SILU:
            return x * dendrite_hard_sigmoid(x);
        case DENDRITE_ACT_MISH:
            return x * dendrite_tanhf(dendrite_softplus(x));
        case DENDRITE_ACT_EXPONENTIAL:
            return dendrite_expf(x);
        case DENDRITE_ACT_CELU:
            return x > 0.0f ? x : dendrite_expm1f(x);
        case DENDRITE_ACT_LOG_SIGMOID:
            return -dendrite_softplus(-x);
        case DENDRITE_ACT_TANH_SHRINK:
            return dendrite_tanh_shrink(x);
        case DENDRITE_ACT_HARD_TANH:
            return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
        case DENDRITE_ACT_SOFT_SHRINK: /* the comparison that NaN fails picks a branch that keeps it */
            return dendrite_fabsf(x) <= 0.5f ? 0.0f : (x > 0.0f ? x - 0.5f : x + 0.5f);
        case DENDRITE_ACT_HARD_SHRINK:
            return dendrite_fabsf(x) <= 0.5f ? 0.0f : x;
        case DENDRITE_ACT_SPARSE_PLUS: {
            float v = x + 1.0f;
            return x <= -1.0f ? 0.0f : (x >= 1.0f ? x : 0.25f * v * v);
        }
        case DENDRITE_ACT_SPARSE_SIGMOID:
            return x <= -1.0f ? 0.0f : (x >= 1.0f ? 1.0f : 0.5f * (x + 1.0f));
        case DENDRITE_ACT_SQUAREPLUS: {
            /* (x + r) / 2, and for x < 0 its equal 2 / (r - x), where x + r would cancel */
            float r = dendrite_squareplus_root(x);
            return x >= 0.0f ? 0.5f * (x + r) : 2.0f / (r - x);
        }
        default: /* LINEAR */
            return x;
    }
}

/* f'(z) for an element-wise activation, from the pre-activation z. */
DENDRITE_DEVICE float dendrite_activation_derivative(int act, float alpha, float z) {
    switch (act) {
        case DENDRITE_ACT_RELU:
            return z > 0.0f ? 1.0f : 0.0f;
        case DENDRITE_ACT_SIGMOID: {
            /* s (1 - s) = e / (1 + e)^2 with e = exp(-|z|): symmetric, and never 1 - (something near 1). */
            float e = dendrite_expf(-dendrite_fabsf(z));
            float d = 1.0f + e;
            return e / (d * d);
        }
        case DENDRITE_ACT_TANH:
            return dendrite_sech2(z);
        case DENDRITE_ACT_SELU:
            return z > 0.0f ? DENDRITE_SELU_SCALE : DENDRITE_SELU_SCALE * DENDRITE_SELU_ALPHA * dendrite_expf(z);
        case DENDRITE_ACT_ELU:
            return z > 0.0f ? 1.0f : alpha * dendrite_expf(z);
        case DENDRITE_ACT_LEAKY_RELU:
            return z > 0.0f ? 1.0f : alpha;
        case DENDRITE_ACT_GELU:
            return dendrite_normal_cdf(z) + z * DENDRITE_INV_SQRT_2PI * dendrite_expf(-0.5f * z * z);
        case DENDRITE_ACT_SWISH: {
            float s = dendrite_sigmoid(z);
            return s + z * s * (1.0f - s);
        }
        case DENDRITE_ACT_SOFTPLUS:
            return dendrite_sigmoid(z);
        case DENDRITE_ACT_SOFTSIGN: {
            float t = 1.0f / (1.0f + dendrite_fabsf(z));
            return t * t;
        }
        case DENDRITE_ACT_RELU6:
            return z > 0.0f && z < 6.0f ? 1.0f : 0.0f;
        case DENDRITE_ACT_HARD_SIGMOID:
            return z > -3.0f && z < 3.0f ? 1.0f / 6.0f : 0.0f;
        case DENDRITE_ACT_HARD_SILU: /* at -3 and 3 the outer side's 0 and 1, as JAX */
            return z <= -3.0f ? 0.0f : (z >= 3.0f ? 1.0f : (2.0f * z + 3.0f) / 6.0f);
        case DENDRITE_ACT_MISH: {
            /* tanh(sp) + z sigmoid(z) sech^2(sp), with sigmoid(z) = 1 - exp(-sp): batchnorm_backward, which inlines
             * this, keeps its 32 registers on sm_90 so (with dendrite_sigmoid(z) it took 41). Not 1 - t^2 for
             * sech^2: a tanh 1 ulp short of 1 would make that z 1e-7 where it is 0 (PoCL's tanh(100)). */
            float sp = dendrite_softplus(z);
            return dendrite_tanhf(sp) + z * -dendrite_expm1f(-sp) * dendrite_sech2(sp);
        }
        case DENDRITE_ACT_EXPONENTIAL:
            return dendrite_expf(z);
        case DENDRITE_ACT_CELU:
            return z > 0.0f ? 1.0f : dendrite_expf(z);
        case DENDRITE_ACT_LOG_SIGMOID:
            return dendrite_sigmoid(-z);
        case DENDRITE_ACT_TANH_SHRINK: {
            float t = dendrite_tanhf(z);
            return t * t;
        }
        case DENDRITE_ACT_HARD_TANH: /* 1 at -1 and 1, as JAX and TensorFlow */
            return z >= -1.0f && z <= 1.0f ? 1.0f : 0.0f;
        case DENDRITE_ACT_SOFT_SHRINK:
        case DENDRITE_ACT_HARD_SHRINK:
            return dendrite_fabsf(z) > 0.5f ? 1.0f : 0.0f;
        case DENDRITE_ACT_SPARSE_PLUS:
            return z <= -1.0f ? 0.0f : (z >= 1.0f ? 1.0f : 0.5f * (z + 1.0f));
        case DENDRITE_ACT_SPARSE_SIGMOID:
            return z > -1.0f && z < 1.0f ? 0.5f : 0.0f;
        case DENDRITE_ACT_SQUAREPLUS: {
            /* (1 + z / r) / 2, and for z < 0 its equal 2 / (r (r - z)) */
            float r = dendrite_squareplus_root(z);
            return z >= 0.0f ? 0.5f * (1.0f + z / r) : 2.0f / (r * (r - z));
        }
        default: /* LINEAR */
            return 1.0f;
    }
}

/*
 * Element i of bias + activation forward (of a matrix with cols columns): z[i] += bias[i % cols] when has_bias,
 * so that z keeps the pre-activation, then y[i] = f(z[i]). y may alias z only for LINEAR. The body of both
 * dialects' bias_activation_forward and of CUDA's gemm_fold_bias_activation, which must give the same bits.
 */
DENDRITE_DEVICE void dendrite_bias_activation_element(DENDRITE_GLOBAL float *z, const DENDRITE_GLOBAL float *bias,
                                                      int has_bias, int i, int cols, int act, float alpha,
                                                      DENDRITE_GLOBAL float *y) {
    float v = z[i];
    if (has_bias) {
        v += bias[i % cols];
        z[i] = v;
    }
    y[i] = dendrite_activation(act, alpha, v);
}

/*
 * Softmax of one row of n elements, y = exp(z - max z) / sum exp(z - max z). Subtracting the maximum keeps
 * every exponent <= 0, so nothing overflows. y may alias z exactly.
 */
DENDRITE_DEVICE void dendrite_softmax_row(const DENDRITE_GLOBAL float *z, DENDRITE_GLOBAL float *y, int n) {
    if (n <= 0) {
        return;
    }
    float max = z[0];
    for (int i = 1; i < n; i++) {
        max = dendrite_fmaxf(max, z[i]);
    }
    dendrite_kahan sum = dendrite_kahan_zero();
    for (int i = 0; i < n; i++) {
        float e = dendrite_expf(z[i] - max);
        y[i] = e;
        sum = dendrite_kahan_add(sum, e);
    }
    float inv = 1.0f / sum.sum;
    for (int i = 0; i < n; i++) {
        y[i] = y[i] * inv;
    }
}

/*
 * A softmax layer's row on one work-item: bias[c] added into z (when has_bias; z then holds the pre-activation the
 * backward pass needs), then y = softmax(z). For OpenCL's softmax_forward and the loss kernels that run it first
 * (CUDA's warp version is dendrite_softmax_row_warp).
 */
DENDRITE_DEVICE void dendrite_bias_softmax_row(DENDRITE_GLOBAL float *z, const DENDRITE_GLOBAL float *bias,
                                               int has_bias, DENDRITE_GLOBAL float *y, int n) {
    if (has_bias) {
        for (int c = 0; c < n; c++) {
            z[c] += bias[c];
        }
    }
    dendrite_softmax_row(z, y, n);
}

/*
 * Softmax backward for one row: the Jacobian-vector product dz = y * (dy - sum(dy * y)). dz may alias dy
 * exactly: the dot product reads every dy before the first dz is written.
 */
DENDRITE_DEVICE void dendrite_softmax_backward_row(const DENDRITE_GLOBAL float *y, const DENDRITE_GLOBAL float *dy,
                                                   DENDRITE_GLOBAL float *dz, int n) {
    dendrite_kahan dot = dendrite_kahan_zero();
    for (int i = 0; i < n; i++) {
        dot = dendrite_kahan_add(dot, dy[i] * y[i]);
    }
    for (int i = 0; i < n; i++) {
        dz[i] = y[i] * (dy[i] - dot.sum);
    }
}

/*
 * Keras's ReLU layer, relu(x, negative_slope, max_value, threshold), as keras.activations.relu computes it:
 * x above the threshold (clipped to [0, max_value] when has_max), negative_slope * (x - threshold) below it.
 * With a slope, no max_value and no threshold Keras calls leaky_relu, so that case is DENDRITE_ACT_LEAKY_RELU's.
 */
DENDRITE_DEVICE float dendrite_relu_layer(float x, float slope, int has_max, float max_value, float threshold) {
    if (slope != 0.0f && !has_max && threshold == 0.0f) {
        return dendrite_activation(DENDRITE_ACT_LEAKY_RELU, slope, x);
    }
    float v = threshold != 0.0f ? (x > threshold ? x : 0.0f) : (x > 0.0f ? x : 0.0f);
    if (has_max) {
        v = v < 0.0f ? 0.0f : (v > max_value ? max_value : v);
    }
    float below = threshold - x;
    return slope != 0.0f && below > 0.0f ? v - slope * below : v;
}

/*
 * Its derivative. Kinks take the derivative of the flat side: 0 at x == threshold (relu'(0) = 0, as TF and
 * JAX define it) and at x == max_value (relu6's and clip's convention in JAX); the leaky case is leaky_relu's.
 */
DENDRITE_DEVICE float dendrite_relu_layer_derivative(float x, float slope, int has_max, float max_value,
                                                     float threshold) {
    if (slope != 0.0f && !has_max && threshold == 0.0f) {
        return dendrite_activation_derivative(DENDRITE_ACT_LEAKY_RELU, slope, x);
    }
    int pass = x > threshold && (!has_max || (x > 0.0f && x < max_value));
    return pass ? 1.0f : (x < threshold ? slope : 0.0f);
}

/* PReLU (He et al., 2015) as Keras computes it, relu(x) - alpha * relu(-x): so the derivative at 0 is 0. */
DENDRITE_DEVICE float dendrite_prelu(float x, float alpha) {
    return x > 0.0f ? x : (x < 0.0f ? alpha * x : 0.0f * x);
}

DENDRITE_DEVICE float dendrite_prelu_derivative(float x, float alpha) {
    return x > 0.0f ? 1.0f : (x < 0.0f ? alpha : 0.0f);
}

/* d prelu / d alpha = -relu(-x) = min(x, 0). */
DENDRITE_DEVICE float dendrite_prelu_alpha_derivative(float x) {
    return x < 0.0f ? x : 0.0f;
}

/* Keras's backend.epsilon(), the floor of Normalization's standard deviation. */
#define DENDRITE_NORMALIZATION_EPSILON 1e-7f

/*
 * The per-feature affine map of the Rescaling and Normalization layers:
 * (x - mean) / max(sqrt(variance), 1e-7) * scale + offset, in Keras's order of operations (Normalization
 * divides, Rescaling multiplies). With mean 0 and variance 1 it is Rescaling's x * scale + offset.
 */
DENDRITE_DEVICE float dendrite_feature_affine(float x, float mean, float variance, float scale, float offset) {
    float sd = dendrite_fmaxf(dendrite_sqrtf(variance), DENDRITE_NORMALIZATION_EPSILON);
    return (x - mean) / sd * scale + offset;
}

#endif /* DENDRITE_ACTIVATIONS_H */
