package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.Slice;

/**
 * Keras's {@code ActivityRegularization(l1=0.0, l2=0.0)}: passes its input through unchanged and adds
 * {@code (l1 * sum |x| + l2 * sum x^2) / batch size} to the loss, in training and in evaluation as Keras 3 does (the
 * logged {@code loss} and {@code val_loss} include it). After a layer it makes that layer's outputs sparse or small:
 * Géron's sparse autoencoder puts {@code ActivityRegularization(l1=1e-3)} after its coding layer. The gradient it adds
 * to its input's is {@code (l1 * sign(x) + 2 * l2 * x) / batch size}, with sign(0) = 0 (as for the weight penalties).
 *
 * <p>Keras's {@code Dense(activity_regularizer=...)} is the same penalty on the layer's output: put this layer after
 * the Dense.
 */
public final class ActivityRegularization extends ShapePreserving {
    private final float l1;
    private final float l2;

    /** @throws IllegalArgumentException for a negative, NaN or infinite factor */
    public ActivityRegularization(double l1, double l2) {
        this.l1 = nonNegative("ActivityRegularization", "l1", l1);
        this.l2 = nonNegative("ActivityRegularization", "l2", l2);
    }

    public float l1() {
        return l1;
    }

    public float l2() {
        return l2;
    }

    @Override
    public String className() {
        return "ActivityRegularization";
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int n = ctx.rows() * outputSize();
        ctx.backend().copy(x.slice(0, n), y.slice(0, n));
        Slice stats = ctx.lossStats();
        if (stats != null) { // the statistics hold per-sample sums: the mean's penalty counts once per row
            ctx.backend().regularizerPenalty(x, n, l1, l2, 1f, stats);
        }
    }

    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            int rows = ctx.rows();
            int n = rows * outputSize();
            ctx.backend().copy(dy.slice(0, n), dx.slice(0, n));
            ctx.backend().regularizerGradient(x, dx, n, l1 / rows, l2 / rows);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("l1", (double) l1);
        m.put("l2", (double) l2);
        return m;
    }
}
