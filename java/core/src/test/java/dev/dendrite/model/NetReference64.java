package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Philox;
import dev.dendrite.backend.Reference64;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.ActivityRegularization;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.losses.Loss;
import dev.dendrite.regularizers.Regularizer;

/**
 * An independent float64 forward pass of a {@link Sequential} model in training mode (dropout masks and
 * batch statistics included) and its loss, written from the textbook formulas without any of the library's
 * numeric code, so that finite differences of it check the library's analytic gradients.
 */
final class NetReference64 {
    private final List<Layer> layers;
    private final Loss loss;
    private final long seed;
    private final int step;

    NetReference64(Sequential model, long seed, int step) {
        this.layers = model.layers();
        this.loss = model.loss();
        this.seed = seed;
        this.step = step;
    }

    /**
     * The mean loss over the batch plus the weight penalties.
     *
     * @param weights every weight, as {@link Sequential#getWeights()} orders them, in double
     */
    double loss(List<double[]> weights, double[] x, int rows, int[] labels, double[] targets) {
        double[] a = x.clone();
        int w = 0;
        double penalty = 0;
        ActivationFunction lastAct = ActivationFunction.LINEAR;
        for (int li = 0; li < layers.size(); li++) {
            Layer layer = layers.get(li);
            List<WeightSpec> specs = layer.weights();
            int in = layer.inputSize();
            int out = layer.outputSize();
            for (int k = 0; k < specs.size(); k++) {
                Regularizer r = specs.get(k).regularizer();
                if (r != null) {
                    for (double v : weights.get(w + k)) {
                        penalty += r.l1() * Math.abs(v) + r.l2() * v * v;
                    }
                }
            }
            if (layer instanceof Dense) {
                Dense d = (Dense) layer;
                double[] kernel = weights.get(w);
                double[] bias = specs.size() > 1 ? weights.get(w + 1) : new double[out];
                double[] z = new double[rows * out];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < out; j++) {
                        double s = bias[j];
                        for (int i = 0; i < in; i++) {
                            s += a[r * in + i] * kernel[i * out + j];
                        }
                        z[r * out + j] = s;
                    }
                }
                lastAct = d.activation();
                a = activate(z, rows, out, d.activation(), d.activationAlpha());
            } else if (layer instanceof Activation) {
                Activation act = (Activation) layer;
                lastAct = act.activation();
                a = activate(a, rows, out, act.activation(), ((Number) act.config().get("alpha")).doubleValue());
            } else if (layer instanceof ActivityRegularization ar) { // Keras: the penalty over the batch size
                for (double v : a) {
                    penalty += (ar.l1() * Math.abs(v) + ar.l2() * v * v) / rows;
                }
            } else if (layer instanceof Dropout) {
                double rate = ((Dropout) layer).rate();
                double[] y = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    boolean keep = Philox.uniform(seed, i, step, li) >= (float) rate;
                    y[i] = keep ? a[i] / (1 - rate) : 0;
                }
                a = y;
                lastAct = ActivationFunction.LINEAR;
            } else if (layer instanceof BatchNormalization) {
                double eps = ((Number) layer.config().get("epsilon")).doubleValue();
                double[] gamma = weights.get(w);
                double[] beta = weights.get(w + 1);
                double[] y = new double[a.length];
                for (int j = 0; j < out; j++) {
                    double mean = 0;
                    for (int r = 0; r < rows; r++) {
                        mean += a[r * out + j];
                    }
                    mean /= rows;
                    double var = 0;
                    for (int r = 0; r < rows; r++) {
                        double dlt = a[r * out + j] - mean;
                        var += dlt * dlt;
                    }
                    var /= rows;
                    for (int r = 0; r < rows; r++) {
                        y[r * out + j] = gamma[j] * (a[r * out + j] - mean) / Math.sqrt(var + eps) + beta[j];
                    }
                }
                a = y;
                lastAct = ActivationFunction.LINEAR;
            }
            w += specs.size();
        }
        int cols = layers.get(layers.size() - 1).outputSize();
        return dataLoss(a, rows, cols, labels, targets, lastAct) + penalty;
    }

    private double dataLoss(double[] y, int rows, int cols, int[] labels, double[] t, ActivationFunction lastAct) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double l = 0;
            switch (loss.name()) {
                case "sparse_categorical_crossentropy":
                case "categorical_crossentropy": {
                    double[] p = new double[cols];
                    System.arraycopy(y, r * cols, p, 0, cols);
                    if (loss.fromLogits()) {
                        p = activate(p, 1, cols, ActivationFunction.SOFTMAX, 0);
                    }
                    for (int j = 0; j < cols; j++) {
                        double target = labels != null ? (labels[r] == j ? 1 : 0) : t[r * cols + j];
                        target = target * (1 - loss.labelSmoothing()) + loss.labelSmoothing() / cols;
                        l -= target * Math.log(p[j]);
                    }
                    break;
                }
                case "binary_crossentropy":
                    for (int j = 0; j < cols; j++) {
                        double p = y[r * cols + j];
                        if (loss.fromLogits()) {
                            p = 1 / (1 + Math.exp(-p));
                        }
                        double target = t[r * cols + j] * (1 - loss.labelSmoothing()) + loss.labelSmoothing() / 2;
                        l -= (target * Math.log(p) + (1 - target) * Math.log(1 - p)) / cols;
                    }
                    break;
                default:
                    for (int j = 0; j < cols; j++) {
                        double dlt = y[r * cols + j] - t[r * cols + j];
                        l += dlt * dlt / cols;
                    }
            }
            total += l;
        }
        return total / rows;
    }

    static double[] activate(double[] z, int rows, int cols, ActivationFunction f, double alpha) {
        double[] y = new double[z.length];
        if (f == ActivationFunction.SOFTMAX) {
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, z[r * cols + j]);
                }
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    sum += Math.exp(z[r * cols + j] - max);
                }
                for (int j = 0; j < cols; j++) {
                    y[r * cols + j] = Math.exp(z[r * cols + j] - max) / sum;
                }
            }
            return y;
        }
        for (int i = 0; i < z.length; i++) {
            double v = z[i];
            switch (f) {
                case LINEAR:
                    y[i] = v;
                    break;
                case RELU:
                    y[i] = Math.max(0, v);
                    break;
                case SIGMOID:
                    y[i] = 1 / (1 + Math.exp(-v));
                    break;
                case TANH:
                    y[i] = Math.tanh(v);
                    break;
                case SELU:
                    y[i] = 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1));
                    break;
                case ELU:
                    y[i] = v > 0 ? v : alpha * (Math.exp(v) - 1);
                    break;
                case LEAKY_RELU:
                    y[i] = v > 0 ? v : alpha * v;
                    break;
                case GELU:
                    y[i] = 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                    break;
                case SWISH:
                    y[i] = v / (1 + Math.exp(-v));
                    break;
                default: // Keras's other activations: the float64 definitions the backends are tested against
                    y[i] = Reference64.activation(f, alpha, v);
            }
        }
        return y;
    }

    /**
     * erf in double: the Maclaurin series below |x| = 3 (terms stay under 1e4, so about 1e-12 is kept) and
     * the continued fraction of erfc above it.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            double term = x;
            double sum = x;
            for (int n = 1; n < 200; n++) {
                term *= -x * x / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double t = ax;
        for (int k = 80; k >= 1; k--) {
            t = ax + (k / 2.0) / t;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / t;
        return Math.signum(x) * (1 - erfc);
    }

    static List<double[]> toDouble(List<float[]> weights) {
        List<double[]> out = new ArrayList<>();
        for (float[] w : weights) {
            double[] d = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                d[i] = w[i];
            }
            out.add(d);
        }
        return out;
    }
}
