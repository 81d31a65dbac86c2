package dev.dendrite.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import dev.dendrite.io.ReadLimits;

/**
 * Turns a user's picture (PNG, JPEG, GIF, BMP or any other format {@link ImageIO} reads) of any size and colour
 * into one grayscale sample shaped like MNIST / Fashion-MNIST, a {@link ByteTensor} {@code [1, height, width]}
 * (28 x 28 by default), so that a trained model can classify it:
 *
 * <ol>
 *   <li>Colour becomes luminance {@code 0.299 R + 0.587 G + 0.114 B} (on the stored, gamma-encoded values, as
 *       common image tools do); grayscale images are taken as stored. Transparent pixels are composited over
 *       white, as a viewer shows them on a page.</li>
 *   <li>The picture is resized keeping its aspect ratio so that its longer side fills the target, and centred;
 *       the rest is padded with the picture's own background (the mean of its border). Resizing averages the
 *       exact source area under each target pixel (a box filter), so a large photo shrinks smoothly instead of
 *       aliasing as point sampling would.</li>
 *   <li>Optionally the values are inverted: the datasets show light objects on black, so a dark drawing on
 *       white paper needs inversion. {@link Invert#AUTO} inverts when most of the picture's border is bright
 *       (at least 128), i.e. when the background is light.</li>
 * </ol>
 * The result has raw pixel values 0..255; apply the model's fitted {@link Preprocessing} to it as to any input.
 * For best results crop the picture close to the object first. EXIF orientation of camera photos is not
 * applied (ImageIO ignores it).
 *
 * <p>A file is decoded only after its header's width and height are read and found within
 * {@link ReadLimits#maxImagePixels()} pixels, so a small file claiming an enormous picture fails at once; and a
 * picture whose decoder warns (a truncated PNG or JPEG, which ImageIO would otherwise complete with grey) is
 * rejected rather than classified.
 */
public final class ImageLoader {
    /** Side length of MNIST and Fashion-MNIST images. */
    public static final int DEFAULT_SIZE = 28;

    /** Whether to invert the grayscale values (v becomes 255 - v). */
    public enum Invert {
        /** Keep the values: the picture already shows a light object on a dark background. */
        NEVER,
        /** Invert: the picture shows a dark object on a light background. */
        ALWAYS,
        /** Invert when most of the border is bright (a light background). */
        AUTO
    }

    /** Fraction of the shorter side taken as the border band that decides {@link Invert#AUTO} and the padding. */
    private static final double BORDER_FRACTION = 0.05;

    private ImageLoader() {
    }

    /** Loads {@code file} as a 28 x 28 sample with {@link Invert#AUTO}. */
    public static ByteTensor load(Path file) throws IOException {
        return load(file, DEFAULT_SIZE, DEFAULT_SIZE, Invert.AUTO);
    }

    /** Loads {@code file} as a 28 x 28 sample. */
    public static ByteTensor load(Path file, Invert invert) throws IOException {
        return load(file, DEFAULT_SIZE, DEFAULT_SIZE, invert);
    }

    /**
     * Loads {@code file} as a {@code [1, height, width]} sample.
     *
     * @throws IOException if the file does not exist or is not an image ImageIO can decode
     * @throws IllegalArgumentException if the target size is not positive
     */
    public static ByteTensor load(Path file, int width, int height, Invert invert) throws IOException {
        Objects.requireNonNull(file, "file");
        checkSize(width, height);
        if (!Files.isRegularFile(file)) {
            throw new IOException("image file " + file + (Files.exists(file) ? " is not a regular file"
                    : " does not exist") + "; expected a PNG, JPEG, GIF or BMP picture");
        }
        BufferedImage image = decode(file);
        return fromImage(image, width, height, invert);
    }

    /**
     * Converts an image in memory to a {@code [1, height, width]} sample; see the class description for the
     * steps.
     */
    public static ByteTensor fromImage(BufferedImage image, int width, int height, Invert invert) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(invert, "invert");
        checkSize(width, height);
        int w = image.getWidth();
        int h = image.getHeight();
        // Keep the aspect ratio: the longer side (relative to the target) fills the target.
        double s = Math.min((double) width / w, (double) height / h);
        int tw = Math.max(1, Math.min(width, (int) Math.round(w * s)));
        int th = Math.max(1, Math.min(height, (int) Math.round(h * s)));

        Axis horizontal = Axis.of(w, tw);
        Axis vertical = Axis.of(h, th);
        int band = Math.max(1, (int) Math.round(Math.min(w, h) * BORDER_FRACTION));
        LuminanceRows rows = new LuminanceRows(image);

        // Horizontal pass row by row, so a large photo never needs a full-size float copy.
        float[] narrow = new float[tw * h];
        float[] row = new float[w];
        double borderSum = 0;
        long borderCount = 0;
        long borderBright = 0;
        for (int y = 0; y < h; y++) {
            rows.read(y, row);
            boolean edgeRow = y < band || y >= h - band;
            for (int x = 0; x < w; x++) {
                if (edgeRow || x < band || x >= w - band) {
                    borderSum += row[x];
                    borderCount++;
                    if (row[x] >= 128f) {
                        borderBright++;
                    }
                }
            }
            horizontal.resample(row, 0, 1, narrow, y * tw, 1);
        }
        float[] content = new float[tw * th];
        for (int x = 0; x < tw; x++) {
            vertical.resample(narrow, x, tw, content, x, tw);
        }

        boolean inverted = switch (invert) {
            case NEVER -> false;
            case ALWAYS -> true;
            case AUTO -> borderBright * 2 > borderCount;
        };
        float background = (float) (borderSum / borderCount);
        float[] canvas = new float[width * height];
        Arrays.fill(canvas, background);
        int left = (width - tw) / 2;
        int top = (height - th) / 2;
        for (int y = 0; y < th; y++) {
            System.arraycopy(content, y * tw, canvas, (top + y) * width + left, tw);
        }
        byte[] out = new byte[width * height];
        for (int i = 0; i < out.length; i++) {
            // Round before inverting so that the inverted picture is exactly 255 minus the plain one.
            int v = Math.round(Math.max(0f, Math.min(255f, canvas[i])));
            out[i] = (byte) (inverted ? 255 - v : v);
        }
        return ByteTensor.wrap(out, 1, height, width);
    }

    /**
     * Decodes the first image of {@code file} after checking the size its header declares, and fails on any
     * decoder warning (ImageIO reports truncated data as a warning and fills the rest in).
     */
    private static BufferedImage decode(Path file) throws IOException {
        ImageInputStream in;
        try {
            in = ImageIO.createImageInputStream(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not a readable image: " + e.getMessage(), e);
        }
        if (in == null) {
            throw new IOException(file + " is not a readable image: it cannot be opened");
        }
        try (in) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new Rejected(file + " is not a readable image: no image decoder recognises its content;"
                        + " expected a PNG, JPEG, GIF or BMP picture (readable formats: "
                        + String.join(", ", readableFormats()) + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                long limit = ReadLimits.maxImagePixels();
                if (w < 1 || h < 1 || w * h > limit) {
                    throw new Rejected(file + " declares a picture of " + w + " x " + h + " = " + (w * h)
                            + " pixels; expected 1 to " + limit + " pixels ("
                            + ReadLimits.howToRaise(ReadLimits.MAX_IMAGE_PIXELS) + ")");
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new Rejected(file + " is damaged or truncated: the " + reader.getFormatName()
                            + " decoder warned " + warnings + "; expected an intact picture");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (Rejected e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Decoders report corrupt data with IIOException or, for some formats, runtime exceptions.
            throw new IOException(file + " is not a readable image: " + e.getMessage()
                    + "; expected an intact PNG, JPEG, GIF or BMP picture", e);
        }
    }

    /** A rejection of this class's own, already naming the file; passed through the decoder's error wrapping. */
    private static final class Rejected extends IOException {
        Rejected(String message) {
            super(message);
        }
    }

    /** The installed decoders' format names, once each (ImageIO lists "png" and "PNG" separately). */
    private static TreeSet<String> readableFormats() {
        TreeSet<String> names = new TreeSet<>();
        for (String n : ImageIO.getReaderFormatNames()) {
            names.add(n.toLowerCase(Locale.ROOT));
        }
        return names;
    }

    private static void checkSize(int width, int height) {
        if (width < 1 || height < 1 || (long) width * height > (1 << 24)) {
            throw new IllegalArgumentException("target size " + width + " x " + height
                    + "; expected positive sides with at most 16777216 pixels in all");
        }
    }

    /** Reads one row of an image as luminance 0..255 with transparency composited over white. */
    private static final class LuminanceRows {
        private final BufferedImage image;
        private final Raster raster;
        private final boolean gray;
        private final boolean alpha;
        private final double grayMax;
        private final double alphaMax;
        private final int[] argb;
        private final int[] samples;
        private final int[] alphas;

        LuminanceRows(BufferedImage image) {
            this.image = image;
            this.raster = image.getRaster();
            ColorModel cm = image.getColorModel();
            // getRGB converts a gray image through the linear gray colour space to sRGB, which brightens mid
            // tones (stored 128 reads back as 188); reading the samples keeps the stored values.
            this.gray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel)
                    && raster.getNumBands() == cm.getNumComponents();
            this.alpha = cm.hasAlpha();
            int w = image.getWidth();
            if (gray) {
                this.grayMax = (1L << cm.getComponentSize(0)) - 1;
                this.alphaMax = alpha ? (1L << cm.getComponentSize(1)) - 1 : 1;
                this.samples = new int[w];
                this.alphas = alpha ? new int[w] : null;
                this.argb = null;
            } else {
                this.grayMax = 0;
                this.alphaMax = 0;
                this.samples = null;
                this.alphas = null;
                this.argb = new int[w];
            }
        }

        void read(int y, float[] out) {
            int w = out.length;
            if (gray) {
                raster.getSamples(0, y, w, 1, 0, samples);
                if (alpha) {
                    raster.getSamples(0, y, w, 1, 1, alphas);
                }
                for (int x = 0; x < w; x++) {
                    double l = samples[x] * 255.0 / grayMax;
                    double a = alpha ? alphas[x] / alphaMax : 1.0;
                    out[x] = (float) (a * l + (1 - a) * 255.0);
                }
                return;
            }
            // getRGB delivers non-premultiplied sRGB for every colour model, indexed (GIF) included.
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                double a = alpha ? (p >>> 24) / 255.0 : 1.0;
                double l = 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
                out[x] = (float) (a * l + (1 - a) * 255.0);
            }
        }
    }

    /**
     * Area-averaging resampling of one axis from {@code n} to {@code m} samples: target sample {@code i} covers
     * source interval {@code [i n/m, (i+1) n/m)} and is the coverage-weighted mean of the source samples there.
     */
    private static final class Axis {
        private final int[] first;
        private final float[][] weights;

        private Axis(int[] first, float[][] weights) {
            this.first = first;
            this.weights = weights;
        }

        static Axis of(int n, int m) {
            int[] first = new int[m];
            float[][] weights = new float[m][];
            double step = (double) n / m;
            for (int i = 0; i < m; i++) {
                double a = i * step;
                double b = Math.min(n, (i + 1) * step);
                int k0 = (int) Math.floor(a);
                int k1 = Math.min(n, (int) Math.ceil(b));
                float[] wts = new float[Math.max(1, k1 - k0)];
                for (int k = k0; k < k0 + wts.length; k++) {
                    double cover = Math.min(b, k + 1) - Math.max(a, k);
                    wts[k - k0] = (float) (Math.max(0, cover) / (b - a));
                }
                first[i] = k0;
                weights[i] = wts;
            }
            return new Axis(first, weights);
        }

        void resample(float[] src, int srcStart, int srcStride, float[] dst, int dstStart, int dstStride) {
            for (int i = 0; i < first.length; i++) {
                float[] wts = weights[i];
                int base = srcStart + first[i] * srcStride;
                double sum = 0;
                for (int k = 0; k < wts.length; k++) {
                    sum += wts[k] * src[base + k * srcStride];
                }
                dst[dstStart + i * dstStride] = (float) sum;
            }
        }
    }
}
