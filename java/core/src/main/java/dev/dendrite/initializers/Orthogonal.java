package dev.dendrite.initializers;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Keras's {@code Orthogonal} (Saxe et al., 2014): a kernel whose rows or columns (the shorter side) are orthonormal,
 * times {@code gain}. As Keras: a normal matrix of {@code max(in, out) x min(in, out)}, its QR factorisation's
 * {@code Q} with each column's sign that of {@code R}'s diagonal (modified Gram-Schmidt in double gives that
 * diagonal positive), transposed where the kernel is wider than tall. Only for matrices: a bias is refused.
 */
public final class Orthogonal extends Initializer {
    private final double gain;

    public Orthogonal() {
        this(1.0);
    }

    /** @throws IllegalArgumentException for a gain that is not finite */
    public Orthogonal(double gain) {
        if (!Double.isFinite(gain)) {
            throw new IllegalArgumentException("orthogonal gain " + gain + "; expected a finite value");
        }
        this.gain = gain;
    }

    /** @throws IllegalArgumentException where the weight is not a {@code fanIn x fanOut} matrix */
    @Override
    public void fill(float[] values, int fanIn, int fanOut, SplittableRandom random) {
        if (values.length != (long) fanIn * fanOut) {
            throw new IllegalArgumentException("orthogonal initializes a matrix (a Dense kernel); got a weight of "
                    + values.length + " values (a vector: use zeros, ones or a random initializer)");
        }
        int m = Math.max(fanIn, fanOut);
        int k = Math.min(fanIn, fanOut);
        double[][] q = new double[k][m]; // the columns of Q
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                q[j][i] = gaussian(random); // row-major draw order, as a (m, k) normal matrix
            }
        }
        for (int j = 0; j < k; j++) {
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < m; i++) {
                    dot += q[p][i] * q[j][i];
                }
                for (int i = 0; i < m; i++) {
                    q[j][i] -= dot * q[p][i];
                }
            }
            double norm = 0;
            for (int i = 0; i < m; i++) {
                norm += q[j][i] * q[j][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < m; i++) {
                q[j][i] /= norm;
            }
        }
        for (int r = 0; r < fanIn; r++) {
            for (int c = 0; c < fanOut; c++) {
                double v = fanIn >= fanOut ? q[c][r] : q[r][c]; // Q is (m, k); a wide kernel takes its transpose
                values[r * fanOut + c] = (float) (gain * v);
            }
        }
    }

    @Override
    public String name() {
        return "orthogonal";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("gain", gain);
    }
}
