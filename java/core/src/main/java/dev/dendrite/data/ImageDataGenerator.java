package dev.dendrite.data;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.backend.Interpolation;
import dev.dendrite.backend.Philox;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.RandomAffine;
import dev.dendrite.layers.RandomFlip;
import dev.dendrite.layers.RandomRotation;
import dev.dendrite.layers.RandomTranslation;
import dev.dendrite.layers.RandomZoom;

/**
 * Keras's legacy {@code ImageDataGenerator}, the notebooks' augmentation, with their argument names as methods.
 * Notebook code translates line for line:
 * <pre>{@code
 * datagen = ImageDataGenerator(rotation_range=10, zoom_range=0.1,        ImageDataGenerator datagen = new ImageDataGenerator()
 *                              width_shift_range=0.1,                        .rotationRange(10).zoomRange(0.1)
 *                              height_shift_range=0.1)                       .widthShiftRange(0.1).heightShiftRange(0.1);
 * model.fit(datagen.flow(x, y, batch_size=64), epochs=5)                  model.fit(datagen.flow(x, y, 64), ...);
 * }</pre>
 *
 * <p>Two ways to use it:
 * <ul>
 *   <li>{@link #flow} gives a {@link DataSource} whose batches are shuffled and augmented on the CPU, with the
 *       very formulas of the augmentation layers ({@link Augment}): one combined affine map per image, as the
 *       legacy generator applies it (rotation, shift, shear and zoom in one resampling), drawn from
 *       Philox(seed, epoch * batches + batch index, image index in the batch), so a batch is a pure function of its
 *       epoch and index (safe to prefetch on another thread, repeatable with the same seed).</li>
 *   <li>{@link #asLayer} gives the same transform as one layer ({@link RandomAffine}) to put first in the model,
 *       so that augmentation runs on the model's backend, inside the recorded training step (the fast path);
 *       {@link #asLayers} gives Keras 3's one layer per transform.</li>
 * </ul>
 *
 * <p>The ranges: {@code rotation_range} and {@code shear_range} in degrees, a rotation drawn from
 * {@code [-r, r]}; {@code width_shift_range} / {@code height_shift_range} as fractions of the width / height
 * (values of 1 or more are pixels, as Keras reads them); {@code zoom_range} z for zooms in {@code [1 - z, 1 + z]}
 * drawn for each axis (above 1 shows more of the image); flips with probability 1/2; {@code fill_mode} (default
 * nearest, the legacy default) and {@code cval}; {@code rescale} multiplies after the transform. Bilinear
 * interpolation (the legacy interpolation_order=1). The featurewise and samplewise standardisations, ZCA whitening,
 * brightness_range, channel_shift_range and preprocessing_function are not built: their setters refuse, saying so.
 */
public final class ImageDataGenerator {
    /** The Philox stream of {@code flow}'s draws, apart from any layer's (layer indices are small). */
    static final int FLOW_STREAM = 0x7fff_ff00;

    private double rotationRange;
    private double widthShiftRange;
    private double heightShiftRange;
    private double shearRange;
    private double zoomLo = 1;
    private double zoomHi = 1;
    private boolean horizontalFlip;
    private boolean verticalFlip;
    private FillMode fillMode = FillMode.NEAREST;
    private double cval;
    private double rescale = 1;

    /** {@code rotation_range}: degrees, a rotation drawn from [-degrees, degrees]. */
    public ImageDataGenerator rotationRange(double degrees) {
        this.rotationRange = nonNegative("rotation_range", degrees, 360);
        return this;
    }

    /** {@code width_shift_range}: a fraction of the width (below 1) or pixels (1 or more). */
    public ImageDataGenerator widthShiftRange(double range) {
        this.widthShiftRange = nonNegative("width_shift_range", range, 1e4);
        return this;
    }

    /** {@code height_shift_range}: a fraction of the height (below 1) or pixels (1 or more). */
    public ImageDataGenerator heightShiftRange(double range) {
        this.heightShiftRange = nonNegative("height_shift_range", range, 1e4);
        return this;
    }

    /** {@code shear_range}: degrees, a shear angle drawn from [-degrees, degrees]. */
    public ImageDataGenerator shearRange(double degrees) {
        this.shearRange = nonNegative("shear_range", degrees, 89);
        return this;
    }

    /** {@code zoom_range=z}: zooms drawn from [1 - z, 1 + z] for each axis. */
    public ImageDataGenerator zoomRange(double z) {
        return zoomRange(1 - nonNegative("zoom_range", z, 0.99), 1 + z);
    }

    /** {@code zoom_range=[lower, upper]}: zooms drawn from [lower, upper] for each axis. */
    public ImageDataGenerator zoomRange(double lower, double upper) {
        if (!(lower > 0 && lower <= upper && upper <= 16)) {
            throw new IllegalArgumentException("zoom_range [" + lower + ", " + upper + "]; expected 0 < lower <= "
                    + "upper <= 16");
        }
        this.zoomLo = lower;
        this.zoomHi = upper;
        return this;
    }

    public ImageDataGenerator horizontalFlip(boolean flip) {
        this.horizontalFlip = flip;
        return this;
    }

    public ImageDataGenerator verticalFlip(boolean flip) {
        this.verticalFlip = flip;
        return this;
    }

    /** {@code fill_mode}: constant, nearest (the default), reflect or wrap. */
    public ImageDataGenerator fillMode(String mode) {
        this.fillMode = FillMode.fromName(mode);
        return this;
    }

    /** {@code cval}: the value outside the image for {@code fill_mode="constant"}. */
    public ImageDataGenerator cval(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("cval " + value + "; expected a finite number");
        }
        this.cval = value;
        return this;
    }

    /** {@code rescale}: multiplies every value after the transform (e.g. 1.0 / 255). */
    public ImageDataGenerator rescale(double factor) {
        if (!Double.isFinite(factor) || factor == 0) {
            throw new IllegalArgumentException("rescale " + factor + "; expected a finite, non-zero factor");
        }
        this.rescale = factor;
        return this;
    }

    /** Not built: refuses {@code true}. */
    public ImageDataGenerator featurewiseCenter(boolean on) {
        return notBuilt("featurewise_center", on, "standardise the data first (Preprocessing.fit(\"standard\", x))");
    }

    /** Not built: refuses {@code true}. */
    public ImageDataGenerator featurewiseStdNormalization(boolean on) {
        return notBuilt("featurewise_std_normalization", on,
                "standardise the data first (Preprocessing.fit(\"standard\", x))");
    }

    /** Not built: refuses {@code true}. */
    public ImageDataGenerator samplewiseCenter(boolean on) {
        return notBuilt("samplewise_center", on, "center each image before flow");
    }

    /** Not built: refuses {@code true}. */
    public ImageDataGenerator samplewiseStdNormalization(boolean on) {
        return notBuilt("samplewise_std_normalization", on, "normalise each image before flow");
    }

    /** Not built: refuses {@code true}. */
    public ImageDataGenerator zcaWhitening(boolean on) {
        return notBuilt("zca_whitening", on, "whiten the data before flow");
    }

    private ImageDataGenerator notBuilt(String what, boolean on, String instead) {
        if (on) {
            throw new UnsupportedOperationException(what + "=True is not supported by this ImageDataGenerator; "
                    + instead);
        }
        return this;
    }

    private static double nonNegative(String what, double v, double max) {
        if (!(v >= 0 && v <= max)) {
            throw new IllegalArgumentException(what + " " + v + "; expected a number in [0, " + max + "]");
        }
        return v;
    }

    private static double fraction(double range, int pixels) {
        return range >= 1 ? range / pixels : range;
    }

    /** The combined transform for images of {@code height x width}: what {@link #flow} applies to each image. */
    public AffineAugment spec(int height, int width) {
        float rot = (float) (rotationRange / 360);
        float th = (float) fraction(heightShiftRange, height);
        float tw = (float) fraction(widthShiftRange, width);
        float shear = (float) (shearRange / 360);
        return AffineAugment.IDENTITY.withRotation(-rot, rot).withShift(-th, th, -tw, tw)
                .withZoom((float) zoomLo, (float) zoomHi, (float) zoomLo, (float) zoomHi, false)
                .withShear(-shear, shear).withFlips(horizontalFlip, verticalFlip)
                .withFill(fillMode, Interpolation.BILINEAR, (float) cval);
    }

    /**
     * The same transform as a layer to put first in a model, so that it runs on the model's backend inside the
     * training step: one {@link RandomAffine} (one resampling per image, as {@link #flow} and the legacy generator),
     * the data already scaled (with {@code Preprocessing}).
     *
     * @throws UnsupportedOperationException for a rescale, which has no layer here
     */
    public Layer asLayer(int height, int width) {
        if (rescale != 1) {
            throw new UnsupportedOperationException("rescale has no layer here; scale the data with Preprocessing "
                    + "(Preprocessing.fit(\"scale\", x)) and leave rescale out");
        }
        return new RandomAffine(spec(height, width));
    }

    /**
     * The same transforms as Keras 3's layers, one per transform (each resamples the image once: three times the
     * cost of {@link #asLayer} for rotation, shift and zoom), in the order rotation, translation, zoom, flip.
     *
     * @throws UnsupportedOperationException for a shear or a rescale, which have no such layer here
     */
    public List<Layer> asLayers(int height, int width) {
        if (shearRange != 0 || rescale != 1) {
            throw new UnsupportedOperationException("shear_range and rescale have no Keras 3 layer here; use "
                    + "asLayer() (one RandomAffine, shear included) or flow(), and scale the data with Preprocessing");
        }
        List<Layer> layers = new ArrayList<>();
        if (rotationRange != 0) {
            layers.add(fill(new RandomRotation(rotationRange / 360)));
        }
        if (widthShiftRange != 0 || heightShiftRange != 0) {
            layers.add(fill(new RandomTranslation(fraction(heightShiftRange, height),
                    fraction(widthShiftRange, width))));
        }
        if (zoomLo != 1 || zoomHi != 1) {
            layers.add(fill(new RandomZoom(zoomLo - 1, zoomHi - 1, zoomLo - 1, zoomHi - 1)));
        }
        if (horizontalFlip || verticalFlip) {
            layers.add(new RandomFlip(horizontalFlip && verticalFlip ? "horizontal_and_vertical"
                    : horizontalFlip ? "horizontal" : "vertical"));
        }
        return layers;
    }

    private Layer fill(dev.dendrite.layers.AffineAugmentation layer) {
        return layer.fillMode(fillMode).interpolation(Interpolation.BILINEAR).fillValue(cval);
    }

    /** {@code flow(x, y, batch_size)}: shuffled, augmented batches with class labels; seed 0. */
    public DataSource flow(Inputs x, int[] labels, int batchSize) {
        return flow(x, labels, null, batchSize, true, 0);
    }

    /** {@code flow(x, y, batch_size)} with dense targets. */
    public DataSource flow(Inputs x, Tensor targets, int batchSize) {
        return flow(x, null, targets, batchSize, true, 0);
    }

    /** {@code flow(x, y, batch_size, shuffle, seed)}; one of {@code labels} and {@code targets} may be given. */
    public DataSource flow(Inputs x, int[] labels, Tensor targets, int batchSize, boolean shuffle, long seed) {
        return flow(x, labels, targets, null, batchSize, shuffle, seed);
    }

    /**
     * {@code flow(x, y, batch_size, shuffle, sample_weight, seed)}: each augmented batch also carries its images'
     * weights from {@code sampleWeight} (one per image, finite and {@code >= 0}; or {@code null}).
     */
    public DataSource flow(Inputs x, int[] labels, Tensor targets, float[] sampleWeight, int batchSize,
                           boolean shuffle, long seed) {
        if (x == null) {
            throw new IllegalArgumentException("x is null; expected images");
        }
        int[] shape = x.sampleShape();
        if (!(shape.length == 2 || shape.length == 3 && shape[2] == 1)) {
            throw new IllegalArgumentException("flow takes one-channel images, sample shape (height, width) or "
                    + "(height, width, 1); got " + java.util.Arrays.toString(shape));
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + "; expected at least 1");
        }
        if (labels != null && labels.length != x.rows() || targets != null && targets.rows() != x.rows()) {
            throw new IllegalArgumentException(x.rows() + " images but " + (labels != null ? labels.length + " labels"
                    : targets.rows() + " target rows") + "; expected one per image");
        }
        new DataSource.Batch(x, labels, targets, sampleWeight); // checks the weights' count and values once
        return new AugmentedSource(x, labels, targets, sampleWeight == null ? null : sampleWeight.clone(), batchSize,
                shuffle, seed, spec(shape[0], shape[1]), (float) rescale);
    }

    /** {@link #flow}'s source. */
    private static final class AugmentedSource implements DataSource {
        private final Inputs x;
        private final int[] labels;
        private final Tensor targets;
        private final float[] sampleWeight;
        private final int batchSize;
        private final boolean shuffle;
        private final long seed;
        private final AffineAugment spec;
        private final float rescale;
        private volatile int epoch;

        AugmentedSource(Inputs x, int[] labels, Tensor targets, float[] sampleWeight, int batchSize, boolean shuffle,
                        long seed, AffineAugment spec, float rescale) {
            this.x = x;
            this.labels = labels;
            this.targets = targets;
            this.sampleWeight = sampleWeight;
            this.batchSize = batchSize;
            this.shuffle = shuffle;
            this.seed = seed;
            this.spec = spec;
            this.rescale = rescale;
        }

        @Override
        public int batchesPerEpoch() {
            return (x.rows() + batchSize - 1) / batchSize;
        }

        @Override
        public Batch batch(int index) {
            int batches = batchesPerEpoch();
            if (index < 0 || index >= batches) {
                throw new IndexOutOfBoundsException("batch " + index + "; expected 0 to " + (batches - 1));
            }
            int e = epoch;
            int from = index * batchSize;
            int rows = Math.min(batchSize, x.rows() - from);
            int[] order = order(e);
            int[] picked = java.util.Arrays.copyOfRange(order, from, from + rows);
            int[] shape = x.sampleShape();
            int h = shape[0];
            int w = shape[1];
            float[] in = x.select(picked).toTensor().toArray();
            float[] out = new float[in.length];
            Augment.affine(in, 0, out, 0, 0, rows, h, w, spec, seed, e * batches + index, FLOW_STREAM);
            if (rescale != 1f) {
                for (int i = 0; i < out.length; i++) {
                    out[i] *= rescale;
                }
            }
            int[] full = new int[shape.length + 1];
            full[0] = rows;
            System.arraycopy(shape, 0, full, 1, shape.length);
            Tensor xb = Tensor.wrap(out, full);
            return new Batch(xb, Splits.pick(labels, picked), targets == null ? null : targets.select(picked),
                    Splits.pick(sampleWeight, picked));
        }

        private int orderEpoch = -1;
        private int[] orderCache;

        /** The epoch's order, made once per epoch. */
        private synchronized int[] order(int e) {
            if (e != orderEpoch) {
                orderCache = makeOrder(e);
                orderEpoch = e;
            }
            return orderCache;
        }

        /** Sorted by Philox keys, as the device shuffle ({@link Philox#bits}). */
        private int[] makeOrder(int e) {
            int n = x.rows();
            if (!shuffle) {
                int[] identity = new int[n];
                for (int i = 0; i < n; i++) {
                    identity[i] = i;
                }
                return identity;
            }
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                keys[i] = (Integer.toUnsignedLong(Philox.bits(seed, i, e, Philox.PERMUTATION_STREAM)) << 32) | i;
            }
            java.util.Arrays.sort(keys);
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = (int) keys[i];
            }
            return order;
        }

        @Override
        public void onEpochEnd() {
            epoch++;
        }
    }
}
