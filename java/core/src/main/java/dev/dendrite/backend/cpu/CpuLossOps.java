package dev.dendrite.backend.cpu;

import static dev.dendrite.backend.OpChecks.badLabel;
import static dev.dendrite.backend.cpu.CpuSlices.floats;
import static dev.dendrite.backend.cpu.CpuSlices.ints;

import dev.dendrite.backend.LossOps;
import dev.dendrite.backend.RegressionKind;
import dev.dendrite.backend.Slice;

/**
 * The CPU's fused losses: softmax and sigmoid cross-entropy, mean squared error; each adds its totals to stats.
 */
record CpuLossOps(CpuParallel par) implements LossOps {
    @Override
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                    Slice classWeights, Slice rowWeights, Slice probs, Slice dlogits, float gradScale,
                                    Slice stats) {
        String op = "softmaxCrossEntropy";
        CpuFloats zs = CpuFloats.of(logits);
        CpuFloats cw = CpuFloats.of(classWeights);
        CpuFloats rw = CpuFloats.of(rowWeights);
        int[] li = sparseLabels ? ints(labels) : null;
        CpuFloats tf = sparseLabels ? null : CpuFloats.of(labels);
        CpuFloats ps = CpuFloats.of(probs);
        CpuFloats gs = CpuFloats.of(dlogits);
        int lo = labels.offset();
        if (sparseLabels) {
            for (int r = 0; r < rows; r++) {
                int label = li[lo + r];
                if (label < 0 || label >= cols) {
                    throw new IllegalArgumentException(badLabel(op, label, r, cols));
                }
            }
        }
        par.reduceRows(rows, cols, floats(stats), stats.offset(), (r0, r1, out, at) -> {
            double loss = 0;
            double correct = 0;
            for (int r = r0; r < r1; r++) {
                int rb = r * cols;
                // Arg-max of the logits (first index on ties) and the log-sum-exp, shifted by the maximum.
                int best = 0;
                float max = zs.get(rb);
                for (int c = 1; c < cols; c++) {
                    if (zs.get(rb + c) > max) {
                        max = zs.get(rb + c);
                        best = c;
                    }
                }
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += Math.exp((double) zs.get(rb + c) - max);
                }
                double shift = max + Math.log(sum); // log p_c = z_c - shift
                int label;
                double rowLoss = 0;
                if (sparseLabels) {
                    label = li[lo + r];
                    rowLoss = shift - zs.get(rb + label);
                } else {
                    label = 0;
                    float tmax = tf.get(rb);
                    for (int c = 0; c < cols; c++) {
                        float t = tf.get(rb + c);
                        if (t > tmax) {
                            tmax = t;
                            label = c;
                        }
                        if (t != 0) { // 0 * log p is 0 even where p underflows to 0
                            rowLoss -= t * (zs.get(rb + c) - shift);
                        }
                    }
                }
                // Keras's class_weight and sample_weight scale the row's loss and gradient, not its accuracy.
                double w = weight(cw, label, rw, r);
                loss += w * rowLoss;
                if (best == label) {
                    correct++;
                }
                double rowScale = gradScale * w;
                for (int c = 0; c < cols; c++) {
                    double p = Math.exp(zs.get(rb + c) - shift);
                    ps.set(rb + c, (float) p);
                    if (gs != null) {
                        double t = sparseLabels ? (c == label ? 1 : 0) : tf.get(rb + c);
                        gs.set(rb + c, (float) (rowScale * (p - t)));
                    }
                }
            }
            out[at] = loss;
            out[at + 1] = correct;
        });
    }

    @Override
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice classWeights,
                                    Slice rowWeights, Slice probs, Slice dlogits, float gradScale, Slice stats) {
        CpuFloats zs = CpuFloats.of(logits);
        CpuFloats cw = CpuFloats.of(classWeights);
        CpuFloats rw = CpuFloats.of(rowWeights);
        CpuFloats ts = CpuFloats.of(targets);
        CpuFloats ps = CpuFloats.of(probs);
        CpuFloats gs = CpuFloats.of(dlogits);
        double scale = (double) gradScale / cols;
        par.reduceRows(rows, cols, floats(stats), stats.offset(), (r0, r1, out, at) -> {
            double loss = 0;
            double correct = 0;
            for (int r = r0; r < r1; r++) {
                double rowLoss = 0;
                int rowCorrect = 0;
                // A binary classifier's class weight (one output): its target's class, t > 0.5 (Keras rounds it).
                double w = weight(cw, cw == null ? 0 : ts.get(r * cols) > 0.5f ? 1 : 0, rw, r);
                double rowScale = scale * w;
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    double z = zs.get(i);
                    double t = ts.get(i);
                    // max(z, 0) - z t + log(1 + exp(-|z|)): no exp of a positive number, no log of 0.
                    rowLoss += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
                    double p = CpuActivations.sigmoid(z);
                    float pf = (float) p;
                    ps.set(i, pf);
                    if ((pf > 0.5f) == (t > 0.5)) {
                        rowCorrect++;
                    }
                    if (gs != null) {
                        gs.set(i, (float) (rowScale * (p - t)));
                    }
                }
                loss += w * rowLoss / cols;
                correct += (double) rowCorrect / cols;
            }
            out[at] = loss;
            out[at + 1] = correct;
        });
    }

    @Override
    public void regressionLoss(Slice pred, Slice targets, int rows, int cols, RegressionKind kind, float delta,
                               Slice rowWeights, Slice dpred, float gradScale, Slice stats) {
        CpuFloats rw = CpuFloats.of(rowWeights);
        CpuFloats xs = CpuFloats.of(pred);
        CpuFloats ts = CpuFloats.of(targets);
        CpuFloats gs = CpuFloats.of(dpred);
        double scale = (double) gradScale / cols;
        par.reduceRows(rows, cols, floats(stats), stats.offset(), (r0, r1, out, at) -> {
            double loss = 0;
            double correct = 0;
            for (int r = r0; r < r1; r++) {
                int base = r * cols;
                double rowLoss = 0;
                int bestP = 0;
                int bestT = 0;
                double w = weight(null, 0, rw, r);
                double rowScale = scale * w;
                for (int c = 0; c < cols; c++) {
                    float p = xs.get(base + c);
                    float t = ts.get(base + c);
                    double d = (double) p - t;
                    rowLoss += regressionTerm(kind, d, delta);
                    if (p > xs.get(base + bestP)) {
                        bestP = c;
                    }
                    if (t > ts.get(base + bestT)) {
                        bestT = c;
                    }
                    if (gs != null) {
                        gs.set(base + c, (float) (rowScale * regressionDerivative(kind, d, delta)));
                    }
                }
                loss += w * rowLoss / cols;
                boolean hit = cols > 1
                        ? bestP == bestT
                        : Math.abs((double) xs.get(base) - ts.get(base)) < 0.5;
                if (hit) {
                    correct++;
                }
            }
            out[at] = loss;
            out[at + 1] = correct;
        });
    }

    /** A row's weight: its class's in {@code cw} times its own in {@code rw}, 1 for a null table (the kernels'). */
    private static double weight(CpuFloats cw, int k, CpuFloats rw, int r) {
        float w = cw == null ? 1f : cw.get(k);
        return rw == null ? w : w * rw.get(r);
    }

    /**
     * One output's term of a regression loss of error {@code d}, in double: the kernels' dendrite_regression_term
     * (kernels/common/losses.h).
     */
    static double regressionTerm(RegressionKind kind, double d, float delta) {
        double a = Math.abs(d);
        return switch (kind) {
            case ABSOLUTE_ERROR -> a;
            case HUBER -> a <= delta ? 0.5 * d * d : delta * a - 0.5 * delta * (double) delta;
            case SQUARED_ERROR -> d * d;
            case LOG_COSH -> logCosh(a);
        };
    }

    /** {@code log(cosh a)} for {@code a >= 0}, the kernels' dendrite_log_cosh in double (no cancellation). */
    private static double logCosh(double a) {
        if (a < 10) {
            double m = Math.expm1(a);
            return Math.log1p(m * m / (2 * (1 + m)));
        }
        return a + Math.log1p(Math.exp(-2 * a)) - Math.log(2);
    }

    /**
     * {@link #regressionTerm}'s derivative in {@code d}: sign(d) (0 and NaN kept), Huber's d or delta sign(d), 2d,
     * tanh(d).
     */
    static double regressionDerivative(RegressionKind kind, double d, float delta) {
        return switch (kind) {
            case ABSOLUTE_ERROR -> d > 0 ? 1 : d < 0 ? -1 : d;
            case HUBER -> Math.abs(d) <= delta ? d : d > 0 ? delta : -delta;
            case SQUARED_ERROR -> 2 * d;
            case LOG_COSH -> Math.tanh(d);
        };
    }
}
