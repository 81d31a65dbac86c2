package dev.dendrite.backend;

/**
 * Float64 references of the optimizer updates and gradient options beyond {@link Reference64}'s four, written from
 * Keras 3's source (keras/src/optimizers/*.py), independently of the backends' code. States are updated in place.
 */
final class OptimizerReference64 {
    private OptimizerReference64() {
    }

    static void adamax(double[] p, double[] g, double[] m, double[] u, double lr, int t, double b1, double b2,
                       double eps) {
        double b1Power = Math.pow(b1, t);
        for (int i = 0; i < p.length; i++) {
            m[i] += (g[i] - m[i]) * (1 - b1);
            u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
            p[i] -= lr * m[i] / ((1 - b1Power) * (u[i] + eps));
        }
    }

    /** Keras's u_product as a product of every step's factor, from step 1 to t. */
    static void nadam(double[] p, double[] g, double[] m, double[] v, double lr, int t, double b1, double b2,
                      double eps) {
        double product = 1;
        for (int k = 1; k <= t; k++) {
            product *= b1 * (1 - 0.5 * Math.pow(0.96, k));
        }
        double ut = b1 * (1 - 0.5 * Math.pow(0.96, t));
        double ut1 = b1 * (1 - 0.5 * Math.pow(0.96, t + 1));
        double productNext = product * ut1;
        double b2Power = Math.pow(b2, t);
        for (int i = 0; i < p.length; i++) {
            m[i] += (g[i] - m[i]) * (1 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
            double mHat = ut1 * m[i] / (1 - productNext) + (1 - ut) * g[i] / (1 - product);
            double vHat = v[i] / (1 - b2Power);
            p[i] -= mHat * lr / (Math.sqrt(vHat) + eps);
        }
    }

    /** Returns the values {@code c = beta1 m + (1 - beta1) g} whose signs the step took. */
    static double[] lion(double[] p, double[] g, double[] m, double lr, double b1, double b2) {
        double[] c = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            c[i] = m[i] * b1 + g[i] * (1 - b1);
            p[i] -= lr * Math.signum(c[i]);
            m[i] = m[i] * b2 + g[i] * (1 - b2);
        }
        return c;
    }

    static void adadelta(double[] p, double[] g, double[] accGrad, double[] accDelta, double lr, double rho,
                         double eps) {
        for (int i = 0; i < p.length; i++) {
            accGrad[i] = rho * accGrad[i] + (1 - rho) * g[i] * g[i];
            double delta = -(Math.sqrt(accDelta[i] + eps) * g[i]) / Math.sqrt(accGrad[i] + eps);
            accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
            p[i] += lr * delta;
        }
    }

    static void ftrl(double[] p, double[] g, double[] acc, double[] linear, double lr, double lrPower, double l1,
                     double l2, double l2Shrinkage, double beta) {
        double l2Total = l2 + beta / (2 * lr);
        for (int i = 0; i < p.length; i++) {
            double gradToUse = g[i] + 2 * l2Shrinkage * p[i];
            double newAcc = acc[i] + g[i] * g[i];
            linear[i] += gradToUse - (Math.pow(newAcc, -lrPower) - Math.pow(acc[i], -lrPower)) / lr * p[i];
            double quadratic = Math.pow(newAcc, -lrPower) / lr + 2 * l2Total;
            double clipped = Math.min(Math.max(linear[i], -l1), l1);
            p[i] = (clipped - linear[i]) / quadratic;
            acc[i] = newAcc;
        }
    }

    /** Lamb on one variable (the whole array). */
    static void lamb(double[] p, double[] g, double[] m, double[] v, double lr, int t, double b1, double b2,
                     double eps) {
        double[] u = new double[p.length];
        double wSquares = 0;
        double uSquares = 0;
        for (int i = 0; i < p.length; i++) {
            m[i] += (g[i] - m[i]) * (1 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
            u[i] = (m[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + eps);
            wSquares += p[i] * p[i];
            uSquares += u[i] * u[i];
        }
        double wNorm = Math.sqrt(wSquares);
        double uNorm = Math.sqrt(uSquares);
        double ratio = wNorm > 0 ? (uNorm > 0 ? wNorm / uNorm : 1) : 1;
        for (int i = 0; i < p.length; i++) {
            p[i] -= ratio * lr * u[i];
        }
    }

    static void weightDecay(double[] p, double lr, double wd) {
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] - p[i] * wd * lr;
        }
    }

    /** Keras's {@code _clip_by_norm}: {@code g * c / max(||g||, c)}. */
    static void clipByNorm(double[] g, double c) {
        double sum = 0;
        for (double x : g) {
            sum += x * x;
        }
        double norm = sum > 0 ? Math.sqrt(sum) : sum;
        for (int i = 0; i < g.length; i++) {
            g[i] = g[i] * c / Math.max(norm, c);
        }
    }

    static void clipByValue(double[] g, double c) {
        for (int i = 0; i < g.length; i++) {
            g[i] = Math.min(Math.max(g[i], -c), c);
        }
    }
}
