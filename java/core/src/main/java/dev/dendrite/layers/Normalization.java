package dev.dendrite.layers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import dev.dendrite.backend.Slice;
import dev.dendrite.data.Inputs;
import dev.dendrite.initializers.Initializer;

/**
 * Keras's {@code Normalization} preprocessing layer: {@code (x - mean) / max(sqrt(variance), 1e-7)} with the
 * statistics of the training data, learnt by {@link #adapt} (or given), and saved with the model as its
 * non-trainable weights {@code mean} and {@code variance}:
 * <pre>{@code
 * Normalization norm = new Normalization();
 * norm.adapt(train.images());            // per-pixel mean and variance, on the training data only
 * Sequential model = new Sequential(new Input(28, 28), norm, new Flatten(), new Dense(10, "softmax"));
 * }</pre>
 *
 * <p>{@code axis} is Keras's: -1 (the default) keeps the last dimension, one statistic per value of it (per
 * pixel column of a 28 x 28 image, per feature of flat samples); null keeps none, one statistic for all values.
 * Variances are population ones (divide by the count), as Keras's {@code adapt}. {@code invert=True} is not
 * supported.
 */
public final class Normalization extends ShapePreserving {
    private final Integer axis;
    private final boolean given;
    private float[] mean;
    private float[] variance;
    /** Whether a model has already copied the statistics into its weights; adapt can no longer reach them. */
    private boolean materialized;

    /** Per feature of the last axis, statistics to come from {@link #adapt}. */
    public Normalization() {
        this(-1);
    }

    /** @param axis -1, or null for one statistic over all values */
    public Normalization(Integer axis) {
        this(axis, null, null);
    }

    /**
     * With given statistics, one per kept feature (or one value, broadcast), as Keras's {@code mean} and
     * {@code variance} arguments.
     *
     * @throws IllegalArgumentException for an axis other than -1 or null, only one of mean and variance, lengths
     *                                  that differ, or a negative or non-finite variance
     */
    public Normalization(Integer axis, double[] mean, double[] variance) {
        if (axis != null && axis != -1) {
            throw badArgument("Normalization", "axis", axis, "-1 or null (Dendrite's layers see flat rows)");
        }
        if ((mean == null) != (variance == null)) {
            throw new IllegalArgumentException("Normalization mean " + Arrays.toString(mean) + " and variance "
                    + Arrays.toString(variance) + "; expected both or neither");
        }
        if (mean != null && (mean.length != variance.length || mean.length == 0)) {
            throw new IllegalArgumentException("Normalization mean has " + mean.length + " values and variance "
                    + variance.length + "; expected the same number, at least one");
        }
        this.axis = axis;
        this.given = mean != null;
        if (given) {
            this.mean = new float[mean.length];
            this.variance = new float[mean.length];
            for (int i = 0; i < mean.length; i++) {
                this.mean[i] = finite("Normalization", "mean[" + i + "]", mean[i]);
                this.variance[i] = nonNegative("Normalization", "variance[" + i + "]", variance[i]);
            }
        }
    }

    public Integer axis() {
        return axis;
    }

    /**
     * Learns the mean and (population) variance of each kept feature from {@code data}, in double precision,
     * as Keras's {@code adapt}. Call it before the model is built (before {@code fit}, {@code build} or
     * {@code summary} of a model with an {@code Input}).
     *
     * @throws IllegalStateException    once a model holds the layer's weights, or if it was given statistics
     * @throws IllegalArgumentException for empty data, or data whose samples do not fit the layer's input shape
     */
    public Normalization adapt(Inputs data) {
        if (given) {
            throw new IllegalStateException("Normalization '" + name() + "' was given its mean and variance; adapt"
                    + " learns them instead: expected new Normalization() without statistics");
        }
        if (materialized) {
            throw new IllegalStateException("Normalization '" + name() + "' is already part of a built model, "
                    + "whose weights adapt cannot change; expected adapt before the model is built (before fit, "
                    + "build or summary)");
        }
        int[] shape = data.sampleShape();
        if (isBuilt() && !Arrays.equals(shape, inputShape())) {
            throw new IllegalArgumentException("Normalization '" + name() + "' adapt: samples of shape "
                    + formatShape(shape) + "; expected " + formatShape(inputShape()));
        }
        int rows = data.rows();
        if (rows == 0) {
            throw new IllegalArgumentException("Normalization adapt: data has 0 rows; expected at least one");
        }
        int size = product(shape);
        int period = period(shape);
        double[] sum = new double[period];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < size; j++) {
                sum[j % period] += data.get(r, j);
            }
        }
        double count = (double) rows * (size / period);
        double[] mu = new double[period];
        for (int f = 0; f < period; f++) {
            mu[f] = sum[f] / count;
        }
        double[] sq = new double[period];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < size; j++) {
                double d = data.get(r, j) - mu[j % period];
                sq[j % period] += d * d;
            }
        }
        mean = new float[period];
        variance = new float[period];
        for (int f = 0; f < period; f++) {
            mean[f] = (float) mu[f];
            variance[f] = (float) (sq[f] / count);
        }
        return this;
    }

    /** Statistics per row of {@code shape}: its last dimension for axis -1, one for axis null. */
    private int period(int[] shape) {
        return axis == null ? 1 : shape[shape.length - 1];
    }

    /** Keras's shape of the statistics: the kept axis, or {@code [1]} (Keras: a scalar) for axis null. */
    private int[] statShape() {
        return new int[] {period(inputShape())};
    }

    @Override
    protected int[] computeOutputShape(int[] inputShape) {
        int period = period(inputShape);
        if (mean != null && mean.length != period && mean.length != 1) {
            throw new IllegalArgumentException("Normalization '" + name() + "' holds " + mean.length
                    + " statistics but its input " + formatShape(inputShape) + " needs " + period + " (axis "
                    + axis + "); expected adapt or mean/variance on data of this shape");
        }
        return inputShape;
    }

    @Override
    public List<WeightSpec> weights() {
        int n = statShape()[0];
        return List.of(
                new WeightSpec("mean", statShape(), new Stored(mean, n, 0f), null, false),
                new WeightSpec("variance", statShape(), new Stored(variance, n, 1f), null, false));
    }

    @Override
    public void forward(LayerContext ctx, Slice x, Slice y, boolean training) {
        int cols = outputSize();
        ctx.backend().featureAffine(x, ctx.rows(), cols, ctx.weight(0), ctx.weight(1), statShape()[0], 1f, 0f, y);
    }

    /** The gradient of {@code (x - mean) / sd} is {@code dy / sd}: the same op without the mean. */
    @Override
    public void backward(LayerContext ctx, Slice x, Slice y, Slice dy, Slice dx) {
        if (dx != null) {
            ctx.backend().featureAffine(dy, ctx.rows(), outputSize(), null, ctx.weight(1), statShape()[0], 1f, 0f,
                    dx);
        }
    }

    @Override
    public String className() {
        return "Normalization";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("axis", axis == null ? List.of() : List.of(axis)); // as Keras writes it
        m.put("mean", given ? toDoubles(mean) : null);
        m.put("variance", given ? toDoubles(variance) : null);
        m.put("invert", false);
        return m;
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /**
     * Starts the weight from the layer's statistics (adapted or given, one value broadcast to all) or, without
     * any, from Keras's zeros and ones; marks the statistics as copied into a model.
     */
    private final class Stored extends Initializer {
        private final float[] values;
        private final int n;
        private final float fallback;

        Stored(float[] values, int n, float fallback) {
            this.values = values;
            this.n = n;
            this.fallback = fallback;
        }

        @Override
        public void fill(float[] out, int fanIn, int fanOut, SplittableRandom random) {
            materialized = true;
            for (int i = 0; i < n; i++) {
                out[i] = values == null ? fallback : values[values.length == 1 ? 0 : i];
            }
        }

        @Override
        public String name() {
            return "constant";
        }
    }
}
