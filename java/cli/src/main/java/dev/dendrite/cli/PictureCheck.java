package dev.dendrite.cli;

import java.awt.Dimension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import dev.dendrite.data.ByteTensor;

/**
 * Whether a picture can carry an object for {@code predict} to classify. A softmax always sums to one, so a
 * blank page, a 1x1 pixel or a nearly uniform picture still gets a confident-looking class; {@code predict}
 * refuses those unless told to go ahead ({@code --force}).
 */
final class PictureCheck {
    /** Fewer pixels than this on either side cannot show an object (the models see 28x28). */
    static final int MIN_SIDE = 8;
    /**
     * The least standard deviation, in grey levels 0-255, of the converted picture's pixels. Fashion-MNIST's and
     * MNIST's images have about 80-90 (an object on a black background); a photo of a plain wall or an empty page
     * has a few levels of noise.
     */
    static final double MIN_SPREAD = 8;

    private PictureCheck() {
    }

    /**
     * Why {@code pixels} (the converted picture, {@code [1, h, w]} grey levels) from {@code file} should not be
     * classified, or null when it looks usable.
     */
    static String problem(Path file, ByteTensor pixels) {
        Dimension size = originalSize(file);
        if (size != null && (size.width < MIN_SIDE || size.height < MIN_SIDE)) {
            return "it is only " + size.width + "x" + size.height + " pixels; a picture needs at least " + MIN_SIDE
                    + "x" + MIN_SIDE + " to show an object";
        }
        int n = pixels.sampleSize();
        double sum = 0;
        double sumSq = 0;
        int min = 255;
        int max = 0;
        for (int j = 0; j < n; j++) {
            int v = pixels.pixel(0, j);
            sum += v;
            sumSq += (double) v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = sum / n;
        double spread = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        if (spread < MIN_SPREAD) {
            return String.format(Locale.ROOT, "it is %s (grey levels %d to %d, standard deviation %.1f; a picture "
                    + "of an object has at least %.0f)", max == min ? "blank" : "nearly uniform", min, max, spread,
                    MIN_SPREAD);
        }
        return null;
    }

    /** The picture's width and height from its header, or null when no reader says. */
    private static Dimension originalSize(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new Dimension(reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
