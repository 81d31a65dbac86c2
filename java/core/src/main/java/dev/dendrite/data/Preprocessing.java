package dev.dendrite.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Input preprocessing that is <em>fitted on the training data only</em> and then applied unchanged to training,
 * validation, test and prediction inputs, so that no statistic of the held-out data leaks into the model:
 * <pre>{@code
 * Preprocessing p = Preprocessing.fit(Preprocessing.Kind.STANDARDIZE, train.images());
 * ByteTensor xTrain = p.apply(train.images());
 * ByteTensor xTest = p.apply(test.images());   // uses the training mean and std
 * }</pre>
 *
 * <p>Every kind is a per-feature affine map {@code value = (x - offset[f]) / divisor[f]}, where {@code x} is the
 * value the model would see without this preprocessing ({@link Inputs#get}), computed in float as
 * {@code x * scale[f] + shift[f]} with {@code scale = 1 / divisor} and {@code shift = -offset / divisor}.
 * On a {@link ByteTensor} it is
 * applied as the tensor's own transform ({@link ByteTensor#withTransform}), so the pixels stay bytes and a GPU
 * backend applies it while gathering each batch; on a {@link Tensor} a new transformed tensor is returned.
 *
 * <p>Statistics are accumulated in double precision; standard deviations are population ones (divide by the
 * count, as NumPy and scikit-learn do).
 */
public final class Preprocessing {
    /** The available preprocessing kinds, with the names the command line uses. */
    public enum Kind {
        /** No change. */
        NONE("none"),
        /**
         * To [0, 1]: raw bytes are divided by 255 (the byte range, as in the Keras notebooks, so a test image
         * brighter than any training image still maps into range); other inputs use the global minimum and
         * maximum of the training data.
         */
        SCALE("scale"),
        /** Subtract the global mean of the training data. */
        CENTER("center"),
        /** Subtract the global mean and divide by the global standard deviation of the training data. */
        STANDARDIZE("standardize"),
        /**
         * Subtract each feature's (pixel's) training mean and divide by its training standard deviation. A feature
         * that is constant in the training data (standard deviation 0, e.g. an always-black corner pixel) is
         * divided by 1 instead, so it becomes 0 rather than NaN or infinity.
         */
        STANDARDIZE_PER_FEATURE("standardize-per-feature");

        private final String cliName;

        Kind(String cliName) {
            this.cliName = cliName;
        }

        /** The name used on the command line and in saved models, e.g. {@code "standardize-per-feature"}. */
        public String cliName() {
            return cliName;
        }

        /**
         * The kind with this {@link #cliName()} (case-insensitive, surrounding blanks ignored).
         *
         * @throws IllegalArgumentException naming the unknown value and listing the valid ones
         */
        public static Kind parse(String name) {
            Objects.requireNonNull(name, "name");
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Kind k : values()) {
                if (k.cliName.equals(n)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown preprocessing '" + name + "'; expected one of "
                    + names());
        }

        /** All command-line names, e.g. for a help text. */
        public static String names() {
            StringBuilder sb = new StringBuilder();
            for (Kind k : values()) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                sb.append(k.cliName);
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return cliName;
        }
    }

    private final Kind kind;
    private final float[] offset;
    private final float[] divisor;
    private final int constantFeatures;

    private Preprocessing(Kind kind, float[] offset, float[] divisor, int constantFeatures) {
        this.kind = kind;
        this.offset = offset;
        this.divisor = divisor;
        this.constantFeatures = constantFeatures;
    }

    /** Parses {@code kindName} (see {@link Kind#parse}) and fits it on {@code train}. */
    public static Preprocessing fit(String kindName, Inputs train) {
        return fit(Kind.parse(kindName), train);
    }

    /**
     * Computes the statistics {@code kind} needs from {@code train}, which should be the training data only.
     *
     * @throws IllegalArgumentException if {@code train} has no samples or (except for {@link Kind#NONE}) holds
     *         a value that is not finite
     */
    public static Preprocessing fit(Kind kind, Inputs train) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(train, "train");
        int n = train.rows();
        int f = train.sampleSize();
        if (n < 1) {
            throw new IllegalArgumentException("cannot fit preprocessing '" + kind + "' on 0 samples; expected"
                    + " training data with at least one sample");
        }
        if (kind != Kind.NONE) {
            Labels.requireFinite(train, "training data for preprocessing '" + kind + "'");
        }
        switch (kind) {
            case NONE:
                return new Preprocessing(kind, new float[f], filled(f, 1f), 0);
            case SCALE: {
                double min;
                double max;
                if (train instanceof ByteTensor b && b.scale() == null) {
                    min = 0;
                    max = 255;
                } else {
                    min = Double.POSITIVE_INFINITY;
                    max = Double.NEGATIVE_INFINITY;
                    for (int r = 0; r < n; r++) {
                        for (int j = 0; j < f; j++) {
                            float v = train.get(r, j);
                            min = Math.min(min, v);
                            max = Math.max(max, v);
                        }
                    }
                }
                double range = max - min;
                int constant = range > 0 ? 0 : f;
                return new Preprocessing(kind, filled(f, (float) min), filled(f, range > 0 ? (float) range : 1f),
                        constant);
            }
            case CENTER:
            case STANDARDIZE: {
                double mean = 0;
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < f; j++) {
                        mean += train.get(r, j);
                    }
                }
                mean /= (double) n * f;
                if (kind == Kind.CENTER) {
                    return new Preprocessing(kind, filled(f, (float) mean), filled(f, 1f), 0);
                }
                // Second pass over the deviations: sum(x^2) - n*mean^2 loses digits when the mean is large.
                double ss = 0;
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < f; j++) {
                        double d = train.get(r, j) - mean;
                        ss += d * d;
                    }
                }
                double std = Math.sqrt(ss / ((double) n * f));
                int constant = std > 0 ? 0 : f;
                return new Preprocessing(kind, filled(f, (float) mean), filled(f, std > 0 ? (float) std : 1f),
                        constant);
            }
            case STANDARDIZE_PER_FEATURE: {
                double[] mean = new double[f];
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < f; j++) {
                        mean[j] += train.get(r, j);
                    }
                }
                for (int j = 0; j < f; j++) {
                    mean[j] /= n;
                }
                double[] ss = new double[f];
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < f; j++) {
                        double d = train.get(r, j) - mean[j];
                        ss[j] += d * d;
                    }
                }
                float[] off = new float[f];
                float[] div = new float[f];
                int constant = 0;
                for (int j = 0; j < f; j++) {
                    double std = Math.sqrt(ss[j] / n);
                    off[j] = (float) mean[j];
                    // float can round a tiny positive std to 0; treat that as constant too.
                    if ((float) std > 0) {
                        div[j] = (float) std;
                    } else {
                        div[j] = 1f;
                        constant++;
                    }
                }
                return new Preprocessing(kind, off, div, constant);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /** The kind of preprocessing. */
    public Kind kind() {
        return kind;
    }

    /** The number of features per sample it was fitted on (and applies to). */
    public int features() {
        return offset.length;
    }

    /**
     * Per feature, what is subtracted: the training minimum ({@link Kind#SCALE}), mean (center, standardize) or
     * 0 ({@link Kind#NONE}). A copy.
     */
    public float[] offset() {
        return offset.clone();
    }

    /**
     * Per feature, what the difference is divided by: the training range max - min ({@link Kind#SCALE}),
     * standard deviation (standardize; 1 where that was 0) or 1 (none, center). A copy.
     */
    public float[] divisor() {
        return divisor.clone();
    }

    /** The per-feature {@code scale} of {@code value = x * scale + shift}: {@code 1 / divisor}. */
    public float[] scale() {
        float[] s = new float[divisor.length];
        for (int j = 0; j < s.length; j++) {
            s[j] = 1f / divisor[j];
        }
        return s;
    }

    /** The per-feature {@code shift} of {@code value = x * scale + shift}: {@code -offset / divisor}. */
    public float[] shift() {
        float[] s = new float[offset.length];
        for (int j = 0; j < s.length; j++) {
            s[j] = offset[j] == 0 ? 0f : -offset[j] / divisor[j]; // avoid a confusing -0.0
        }
        return s;
    }

    /**
     * How many features were constant in the training data, so that their divisor was set to 1 instead of 0
     * ({@link Kind#STANDARDIZE_PER_FEATURE}; for the global kinds either 0 or all features).
     */
    public int constantFeatures() {
        return constantFeatures;
    }

    /**
     * Applies the fitted map to bytes: the result shares {@code x}'s pixels and carries the map as its transform,
     * composed with any transform {@code x} already had.
     *
     * @throws IllegalArgumentException if {@code x} has a different number of features than the training data
     */
    public ByteTensor apply(ByteTensor x) {
        checkFeatures(x);
        if (kind == Kind.NONE) {
            return x;
        }
        float[] s = scale();
        float[] h = shift();
        float[] oldScale = x.scale();
        if (oldScale != null) {
            // (p * s0 + h0) * s + h  =  p * (s0 * s) + (h0 * s + h)
            float[] oldShift = x.shift();
            for (int j = 0; j < s.length; j++) {
                h[j] = oldShift[j] * s[j] + h[j];
                s[j] = oldScale[j] * s[j];
            }
        }
        return x.withTransform(s, h);
    }

    /**
     * Applies the fitted map to floats, returning a new tensor of the same shape ({@code x} is not changed).
     *
     * @throws IllegalArgumentException if {@code x} has a different number of features than the training data
     */
    public Tensor apply(Tensor x) {
        checkFeatures(x);
        int n = x.rows();
        int f = x.sampleSize();
        float[] src = x.array();
        int base = x.arrayOffset();
        // The same x * scale + shift arithmetic as a ByteTensor transform, so bytes and the same values as
        // floats give bit-identical model inputs.
        float[] s = scale();
        float[] h = shift();
        float[] out = new float[Math.multiplyExact(n, f)];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < f; j++) {
                out[r * f + j] = src[base + r * f + j] * s[j] + h[j];
            }
        }
        return Tensor.wrap(out, x.shape());
    }

    /**
     * Applies the fitted map: a {@link ByteTensor} stays bytes with a transform, anything else becomes a new
     * {@link Tensor}.
     */
    public Inputs apply(Inputs x) {
        if (x instanceof ByteTensor b) {
            return apply(b);
        }
        return apply(x.toTensor());
    }

    /** The dataset with its images transformed; labels, class names and source unchanged. */
    public Dataset apply(Dataset d) {
        return d.withImages(apply(d.images()));
    }

    private void checkFeatures(Inputs x) {
        if (x.sampleSize() != offset.length) {
            throw new IllegalArgumentException("preprocessing '" + kind + "' was fitted on samples of "
                    + offset.length + " features; this input has " + x.sampleSize() + " per sample (shape "
                    + Arrays.toString(x.sampleShape()) + ")");
        }
    }

    /**
     * The fitted parameters for storing with a model, using only {@link String}, {@link Double} and
     * {@code float[]} values: {@code "kind"} (the {@link Kind#cliName()}), {@code "features"},
     * {@code "offset"}, {@code "divisor"} and {@code "constantFeatures"}. The arrays are copies.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.cliName());
        m.put("features", (double) offset.length);
        m.put("offset", offset.clone());
        m.put("divisor", divisor.clone());
        m.put("constantFeatures", (double) constantFeatures);
        return m;
    }

    /**
     * Rebuilds a fitted preprocessing from {@link #toMap()}'s output. {@code "offset"} and {@code "divisor"} may
     * be {@code float[]} or {@code double[]}; {@code "features"} and {@code "constantFeatures"} are optional
     * (checked when present).
     *
     * @throws IllegalArgumentException naming a missing or malformed entry
     */
    public static Preprocessing fromMap(Map<String, ?> map) {
        Objects.requireNonNull(map, "map");
        Object k = map.get("kind");
        if (!(k instanceof String)) {
            throw new IllegalArgumentException("preprocessing entry 'kind' is " + describe(k)
                    + "; expected a String, one of " + Kind.names());
        }
        Kind kind = Kind.parse((String) k);
        float[] off = floats(map, "offset");
        float[] div = floats(map, "divisor");
        if (off.length != div.length || off.length == 0) {
            throw new IllegalArgumentException("preprocessing entries 'offset' (" + off.length + " values) and"
                    + " 'divisor' (" + div.length + " values); expected the same non-zero length");
        }
        Object features = map.get("features");
        if (features != null && (!(features instanceof Number) || ((Number) features).doubleValue() != off.length)) {
            throw new IllegalArgumentException("preprocessing entry 'features' is " + describe(features)
                    + "; expected " + off.length + ", the length of 'offset'");
        }
        for (int j = 0; j < off.length; j++) {
            if (!Float.isFinite(off[j])) {
                throw new IllegalArgumentException("preprocessing entry 'offset' has " + off[j] + " at feature "
                        + j + "; expected a finite number");
            }
            if (!Float.isFinite(div[j]) || div[j] == 0) {
                throw new IllegalArgumentException("preprocessing entry 'divisor' has " + div[j] + " at feature "
                        + j + "; expected a finite non-zero number");
            }
        }
        int constant = 0;
        Object c = map.get("constantFeatures");
        if (c != null) {
            double cv = c instanceof Number ? ((Number) c).doubleValue() : Double.NaN;
            if (!(cv >= 0 && cv <= off.length && cv == Math.rint(cv))) {
                throw new IllegalArgumentException("preprocessing entry 'constantFeatures' is " + describe(c)
                        + "; expected a whole number in [0, " + off.length + "]");
            }
            constant = (int) cv;
        }
        return new Preprocessing(kind, off, div, constant);
    }

    private static float[] floats(Map<String, ?> map, String key) {
        Object v = map.get(key);
        if (v instanceof float[] a) {
            return a.clone();
        }
        if (v instanceof double[] a) {
            float[] out = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = (float) a[i];
            }
            return out;
        }
        if (v instanceof java.util.List<?> list) {
            // The form JSON gives back when a model file's metadata is parsed.
            float[] out = new float[list.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(list.get(i) instanceof Number n)) {
                    throw new IllegalArgumentException("preprocessing entry '" + key + "' holds " + describe(list.get(i))
                            + " at index " + i + "; expected numbers");
                }
                out[i] = n.floatValue();
            }
            return out;
        }
        throw new IllegalArgumentException("preprocessing entry '" + key + "' is " + describe(v)
                + "; expected a float[], double[] or a list of numbers");
    }

    private static String describe(Object v) {
        if (v == null) {
            return "missing";
        }
        String s = String.valueOf(v);
        if (s.length() > 40) {
            s = s.substring(0, 40) + "...";
        }
        return "'" + s + "' (" + v.getClass().getSimpleName() + ")";
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    @Override
    public String toString() {
        String stats = switch (kind) {
            case NONE -> "";
            case SCALE -> ": min " + offset[0] + ", max " + (offset[0] + divisor[0]);
            case CENTER -> ": mean " + offset[0];
            case STANDARDIZE -> ": mean " + offset[0] + ", std " + divisor[0];
            case STANDARDIZE_PER_FEATURE -> ": per-feature mean and std"
                    + (constantFeatures > 0 ? ", " + constantFeatures + " constant feature(s) left unscaled" : "");
        };
        return "Preprocessing[" + kind + ", " + offset.length + " features" + stats + "]";
    }
}
