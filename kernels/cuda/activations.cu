/*
 * activations.cu - bias + activation forward, and activation backward fused with the bias gradient.
 *
 * Why these shapes: in a small MLP every layer's bias add, activation and (backward) bias-gradient column
 * sum would each be a launch and a full pass over a batch x units matrix. Forward fuses the bias add into the
 * activation (z is updated in place because the backward pass needs the pre-activation). Backward fuses
 * dz = dy * f'(z) with the column sums of dz: a block owns 32 adjacent columns over all rows, so the bias
 * gradient comes out of the same pass, in a fixed order, with no second kernel and no atomics.
 *
 * The activation math (codes DENDRITE_ACT_*, values and derivatives) is kernels/common/activations.h.
 * Softmax is row-wise: one warp per row, shuffles for the max and the sum.
 */
#include "common.cuh"
#include "activations.h"

/* z[r, c] += bias[c] (bias may be null), then y = f(z). y may alias z only for LINEAR. */
DENDRITE_KERNEL void bias_activation_forward(float *z, const float *bias, int rows, int cols, int act,
                                             float alpha, float *y) {
    unsigned int total = (unsigned int) rows * (unsigned int) cols;
    for (unsigned int i = DENDRITE_GRID_START; i < total; i += DENDRITE_GRID_STRIDE) {
        float v = z[i];
        if (bias != nullptr) {
            v += bias[i % (unsigned int) cols];
            z[i] = v;
        }
        y[i] = dendrite_activation(act, alpha, v);
    }
}

/*
 * Row-wise softmax after the optional bias add (stored into z): one warp per row, so the max and the sum
 * are two shuffle reductions; lanes stride over the columns. Rows are assigned warp-stride over the grid.
 */
DENDRITE_KERNEL void softmax_forward(float *z, const float *bias, int rows, int cols, float *y) {
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        float *zr = z + (size_t) r * cols;
        float *yr = y + (size_t) r * cols;
        float m = -INFINITY;
        for (int c = lane; c < cols; c += 32) {
            float v = zr[c];
            if (bias != nullptr) {
                v += bias[c];
                zr[c] = v;
            }
            m = fmaxf(m, v);
        }
        m = dendrite_warp_max(m);
        float s = 0.0f;
        for (int c = lane; c < cols; c += 32) {
            float e = expf(zr[c] - m);
            yr[c] = e;
            s += e;
        }
        s = dendrite_warp_sum(s);
        for (int c = lane; c < cols; c += 32) {
            yr[c] = yr[c] / s;
        }
    }
}

/* dz = dy * f'(z), element-wise, without a bias gradient. dz may alias dy. */
DENDRITE_KERNEL void activation_backward(const float *z, const float *dy, float *dz, int n, int act,
                                         float alpha) {
    for (unsigned int i = DENDRITE_GRID_START; i < (unsigned int) n; i += DENDRITE_GRID_STRIDE) {
        dz[i] = dy[i] * dendrite_activation_derivative(act, alpha, z[i]);
    }
}

/*
 * dz = dy * f'(z) and dbias[c] = sum over rows of dz[r, c], in one pass. Block (32, DENDRITE_TILE_ROWS),
 * grid ceil(cols / 32): thread (x, y) handles column blockIdx.x * 32 + x for rows y, y + blockDim.y, ...
 * dz may alias dy (each element is read, then written, by the same thread).
 */
DENDRITE_KERNEL void __launch_bounds__(DENDRITE_TILE_THREADS)
activation_backward_bias(const float *z, const float *dy, float *dz, float *dbias, int rows, int cols, int act,
                         float alpha) {
    int c = blockIdx.x * DENDRITE_TILE_COLS + threadIdx.x;
    dendrite_kahan acc = dendrite_kahan_zero();
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += blockDim.y) {
            size_t i = (size_t) r * cols + c;
            float d = dy[i] * dendrite_activation_derivative(act, alpha, z[i]);
            dz[i] = d;
            acc = dendrite_kahan_add(acc, d);
        }
    }
    float total = dendrite_tile_column_sum(acc.sum);
    if (threadIdx.y == 0 && c < cols) {
        dbias[c] = total;
    }
}

/*
 * Softmax backward, one warp per row: dz = y * (dy - sum(dy * y)). dz may alias dy: every lane has read
 * its dy before the shuffle that completes the dot product, and writes only its own columns after it.
 */
DENDRITE_KERNEL void softmax_backward(const float *y, const float *dy, float *dz, int rows, int cols) {
    int lane = threadIdx.x & 31;
    int warps = (gridDim.x * blockDim.x) >> 5;
    for (int r = (int) (DENDRITE_GRID_START >> 5); r < rows; r += warps) {
        const float *yr = y + (size_t) r * cols;
        const float *dyr = dy + (size_t) r * cols;
        float *dzr = dz + (size_t) r * cols;
        float dot = 0.0f;
        for (int c = lane; c < cols; c += 32) {
            dot += dyr[c] * yr[c];
        }
        dot = dendrite_warp_sum(dot);
        for (int c = lane; c < cols; c += 32) {
            dzr[c] = yr[c] * (dyr[c] - dot);
        }
    }
}
