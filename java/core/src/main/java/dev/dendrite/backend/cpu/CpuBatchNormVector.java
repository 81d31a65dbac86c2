package dev.dendrite.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuBatchNormOps}'s loops over the rows of a range of columns, on whole vectors of columns read in place: the
 * same operations in the same order per column as the staged float loops ({@link CpuLoops#kahanAdd} and its
 * neighbours), so the results are bit for bit theirs (lane-wise add, subtract, multiply and divide round as the
 * scalar operators do, and nothing is fused).
 *
 * <p>Why: batch norm runs on a batch's few rows (64 in bn256), where the staged loops copy every row segment to a
 * tile and make a short superword loop of each, keeping the per-column sums in memory. Here a group of columns keeps
 * its running sums in registers for all the rows, four vectors side by side so that the Kahan chains of four groups
 * overlap. The scaling runs on the GEMM kernel's own float species, for the reason {@link CpuDropoutVector} gives.
 */
final class CpuBatchNormVector implements CpuBatchNormOps.Loops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void sums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] sum, float[] carry) {
        kahanColumns(false, x, xOff, rows, cols, c0, w, null, sum, carry);
    }

    @Override
    public void squaredDeviationSums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] mean,
                                     float[] sum, float[] carry) {
        kahanColumns(true, x, xOff, rows, cols, c0, w, mean, sum, carry);
    }

    /** The Kahan sums per column of x, or of {@code (x - mean)^2} when {@code squared}; two vectors at a time. */
    private static void kahanColumns(boolean squared, float[] x, int xOff, int rows, int cols, int c0, int w,
                                     float[] mean, float[] sum, float[] carry) {
        int j = 0;
        for (; j <= w - 2 * L; j += 2 * L) {
            FloatVector m0 = squared ? FloatVector.fromArray(S, mean, j) : null;
            FloatVector m1 = squared ? FloatVector.fromArray(S, mean, j + L) : null;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector k0 = FloatVector.zero(S);
            FloatVector k1 = FloatVector.zero(S);
            for (int r = 0, at = xOff + c0 + j; r < rows; r++, at += cols) {
                FloatVector v0 = FloatVector.fromArray(S, x, at);
                FloatVector v1 = FloatVector.fromArray(S, x, at + L);
                if (squared) {
                    v0 = v0.sub(m0);
                    v1 = v1.sub(m1);
                    v0 = v0.mul(v0);
                    v1 = v1.mul(v1);
                }
                FloatVector y0 = v0.sub(k0);
                FloatVector y1 = v1.sub(k1);
                FloatVector t0 = s0.add(y0);
                FloatVector t1 = s1.add(y1);
                k0 = t0.sub(s0).sub(y0);
                k1 = t1.sub(s1).sub(y1);
                s0 = t0;
                s1 = t1;
            }
            s0.intoArray(sum, j);
            s1.intoArray(sum, j + L);
            k0.intoArray(carry, j);
            k1.intoArray(carry, j + L);
        }
        for (; j < w; j++) {
            float s = 0f;
            float k = 0f;
            for (int r = 0, at = xOff + c0 + j; r < rows; r++, at += cols) {
                float v = x[at];
                if (squared) {
                    float d = v - mean[j];
                    v = d * d;
                }
                float y = v - k;
                float t = s + y;
                k = (t - s) - y;
                s = t;
            }
            sum[j] = s;
            carry[j] = k;
        }
    }

    @Override
    public void normalize(float[] x, int xOff, float[] y, int yOff, int rows, int cols, int c0, int w, float[] mean,
                          float[] inv, float[] g, float[] b) {
        int j = 0;
        for (; j <= w - L; j += L) {
            FloatVector m = FloatVector.fromArray(S, mean, j);
            FloatVector iv = FloatVector.fromArray(S, inv, j);
            FloatVector gv = FloatVector.fromArray(S, g, j);
            FloatVector bv = FloatVector.fromArray(S, b, j);
            for (int r = 0, xa = xOff + c0 + j, ya = yOff + c0 + j; r < rows; r++, xa += cols, ya += cols) {
                gv.mul(FloatVector.fromArray(S, x, xa).sub(m)).mul(iv).add(bv).intoArray(y, ya);
            }
        }
        for (; j < w; j++) {
            for (int r = 0, xa = xOff + c0 + j, ya = yOff + c0 + j; r < rows; r++, xa += cols, ya += cols) {
                y[ya] = g[j] * (x[xa] - mean[j]) * inv[j] + b[j];
            }
        }
    }

    @Override
    public void gradientSums(float[] x, int xOff, float[] dy, int dyOff, int rows, int cols, int c0, int w,
                             float[] mean, float[] inv, float[] sumDy, float[] carryDy, float[] sumDyXhat,
                             float[] carryDyXhat) {
        int j = 0;
        for (; j <= w - L; j += L) {
            FloatVector m = FloatVector.fromArray(S, mean, j);
            FloatVector iv = FloatVector.fromArray(S, inv, j);
            FloatVector s0 = FloatVector.zero(S);
            FloatVector k0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector k1 = FloatVector.zero(S);
            for (int r = 0, xa = xOff + c0 + j, da = dyOff + c0 + j; r < rows; r++, xa += cols, da += cols) {
                FloatVector gr = FloatVector.fromArray(S, dy, da);
                FloatVector xhat = FloatVector.fromArray(S, x, xa).sub(m).mul(iv);
                FloatVector y0 = gr.sub(k0);
                FloatVector t0 = s0.add(y0);
                k0 = t0.sub(s0).sub(y0);
                s0 = t0;
                FloatVector y1 = gr.mul(xhat).sub(k1);
                FloatVector t1 = s1.add(y1);
                k1 = t1.sub(s1).sub(y1);
                s1 = t1;
            }
            s0.intoArray(sumDy, j);
            k0.intoArray(carryDy, j);
            s1.intoArray(sumDyXhat, j);
            k1.intoArray(carryDyXhat, j);
        }
        for (; j < w; j++) {
            float s0 = 0f;
            float k0 = 0f;
            float s1 = 0f;
            float k1 = 0f;
            for (int r = 0, xa = xOff + c0 + j, da = dyOff + c0 + j; r < rows; r++, xa += cols, da += cols) {
                float gr = dy[da];
                float xhat = (x[xa] - mean[j]) * inv[j];
                float y0 = gr - k0;
                float t0 = s0 + y0;
                k0 = (t0 - s0) - y0;
                s0 = t0;
                float y1 = gr * xhat - k1;
                float t1 = s1 + y1;
                k1 = (t1 - s1) - y1;
                s1 = t1;
            }
            sumDy[j] = s0;
            carryDy[j] = k0;
            sumDyXhat[j] = s1;
            carryDyXhat[j] = k1;
        }
    }

    @Override
    public void inputGradient(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols,
                              int c0, int w, float[] mean, float[] inv, float[] g, float[] sumDy, float[] sumDyXhat,
                              float n) {
        int j = 0;
        for (; j <= w - L; j += L) {
            FloatVector m = FloatVector.fromArray(S, mean, j);
            FloatVector iv = FloatVector.fromArray(S, inv, j);
            FloatVector scale = FloatVector.fromArray(S, g, j).mul(iv).div(n);
            FloatVector sd = FloatVector.fromArray(S, sumDy, j);
            FloatVector sdx = FloatVector.fromArray(S, sumDyXhat, j);
            for (int r = 0, xa = xOff + c0 + j, da = dyOff + c0 + j, oa = dxOff + c0 + j; r < rows;
                 r++, xa += cols, da += cols, oa += cols) {
                FloatVector xhat = FloatVector.fromArray(S, x, xa).sub(m).mul(iv);
                FloatVector inner = FloatVector.fromArray(S, dy, da).mul(n).sub(sd).sub(xhat.mul(sdx));
                scale.mul(inner).intoArray(dx, oa);
            }
        }
        for (; j < w; j++) {
            float scale = g[j] * inv[j] / n;
            for (int r = 0, xa = xOff + c0 + j, da = dyOff + c0 + j, oa = dxOff + c0 + j; r < rows;
                 r++, xa += cols, da += cols, oa += cols) {
                float xhat = (x[xa] - mean[j]) * inv[j];
                dx[oa] = scale * (n * dy[da] - sumDy[j] - xhat * sumDyXhat[j]);
            }
        }
    }
}
