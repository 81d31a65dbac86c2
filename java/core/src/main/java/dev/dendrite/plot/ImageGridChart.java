package dev.dendrite.plot;

import java.awt.image.BufferedImage;
import java.util.Locale;

import dev.dendrite.data.ByteTensor;

/**
 * Sample images in a grid with their labels, as the notebooks' {@code imshow} cells: dark ink on white (matplotlib's
 * "binary" colour map), the predicted class under each image, and wrong predictions framed in red with the
 * true class beside them. Without predictions it shows the true labels only.
 */
public final class ImageGridChart extends Chart {
    private static final double FONT = 11;
    private static final double IMAGE = 64;
    private final String title;
    private final BufferedImage[] images;
    private final String[] truth;
    private final String[] predicted;
    private final int columns;
    private final double cellW;

    /**
     * The first {@code count} rows of {@code images} (2-D samples, e.g. 28 x 28, raw pixel bytes), with their
     * true labels and, if {@code predicted} is not null, the model's predictions.
     *
     * @throws IllegalArgumentException if a sample is not 2-D, or there are fewer rows, labels or predictions
     *         than {@code count}
     */
    public ImageGridChart(String title, ByteTensor images, int[] truth, int[] predicted, String[] classNames,
            int count, int columns) {
        int[] shape = images.sampleShape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("an image grid needs 2-D samples; got sample shape "
                    + java.util.Arrays.toString(shape));
        }
        if (count < 1 || count > images.rows() || count > truth.length
                || predicted != null && count > predicted.length) {
            throw new IllegalArgumentException("cannot show " + count + " images from " + images.rows() + " images, "
                    + truth.length + " labels" + (predicted == null ? "" : " and " + predicted.length + " predictions"));
        }
        if (columns < 1) {
            throw new IllegalArgumentException("columns is " + columns + "; expected at least 1");
        }
        this.title = title;
        this.columns = Math.min(columns, count);
        this.images = new BufferedImage[count];
        this.truth = new String[count];
        this.predicted = predicted == null ? null : new String[count];
        int h = shape[0];
        int w = shape[1];
        for (int r = 0; r < count; r++) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = 255 - images.pixel(r, y * w + x);
                    img.getRaster().setSample(x, y, 0, v);
                }
            }
            this.images[r] = img;
            this.truth[r] = name(classNames, truth[r]);
            if (predicted != null) {
                this.predicted[r] = name(classNames, predicted[r]);
            }
        }
        double widest = IMAGE;
        for (int r = 0; r < count; r++) {
            widest = Math.max(widest, Fonts.width(labelOf(r), FONT, false));
            if (isWrong(r)) {
                widest = Math.max(widest, Fonts.width("true: " + this.truth[r], FONT, false));
            }
        }
        cellW = widest + 14;
    }

    private static String name(String[] classNames, int k) {
        return classNames != null && k >= 0 && k < classNames.length ? classNames[k]
                : String.format(Locale.ROOT, "%d", k);
    }

    private boolean isWrong(int r) {
        return predicted != null && !predicted[r].equals(truth[r]);
    }

    private String labelOf(int r) {
        return predicted == null ? truth[r] : predicted[r];
    }

    private double cellH() {
        return IMAGE + 8 + (predicted == null ? 16 : 30);
    }

    @Override
    public double width() {
        return Math.max(cellW * columns + 20, Fonts.width(title, 15, true) + 24);
    }

    @Override
    public double height() {
        return 66 + cellH() * ((images.length + columns - 1) / columns) + 6;
    }

    @Override
    void draw(Canvas c) {
        int wrong = 0;
        for (int r = 0; r < images.length; r++) {
            wrong += isWrong(r) ? 1 : 0;
        }
        c.text(12, 24, title, 15, true, Palette.TEXT, Canvas.Anchor.START, false);
        String sub = predicted == null ? "true labels"
                : String.format(Locale.ROOT, "label: prediction; red frame: wrong (%d of %d), with the true class",
                        wrong, images.length);
        c.text(12, 44, sub, FONT, false, Palette.AXIS, Canvas.Anchor.START, false);
        for (int r = 0; r < images.length; r++) {
            double x = 10 + cellW * (r % columns);
            double y = 60 + cellH() * (r / columns);
            double ix = x + (cellW - IMAGE) / 2;
            c.image(ix, y, IMAGE, IMAGE, images[r]);
            boolean bad = isWrong(r);
            c.rect(ix - 1.5, y - 1.5, IMAGE + 3, IMAGE + 3, null, bad ? Palette.WRONG : Palette.GRID, bad ? 3 : 1);
            c.text(x + cellW / 2, y + IMAGE + 16, labelOf(r), FONT, bad, bad ? Palette.WRONG : Palette.TEXT,
                    Canvas.Anchor.MIDDLE, false);
            if (bad) {
                c.text(x + cellW / 2, y + IMAGE + 30, "true: " + truth[r], FONT, false, Palette.TEXT,
                        Canvas.Anchor.MIDDLE, false);
            }
        }
    }
}
