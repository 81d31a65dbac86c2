package dev.dendrite.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

import dev.dendrite.io.AtomicFiles;

/**
 * A picture that can be written as PNG (Java2D, headless) or SVG from one drawing. {@link #write(Path)} picks
 * the format from the file name.
 */
public abstract class Chart {
    /** PNG pixels per point: 2 keeps text sharp on high-density screens and in printed reports. */
    public static final double PNG_SCALE = 2;

    /** Width in points (the SVG's width; the PNG is {@link #PNG_SCALE} times wider in pixels). */
    public abstract double width();

    public abstract double height();

    /** Draws the chart with its top left at the canvas's origin. */
    abstract void draw(Canvas canvas);

    /** The chart as an SVG document. */
    public String toSvg() {
        SvgCanvas c = new SvgCanvas(width(), height());
        draw(c);
        return c.svg();
    }

    /** The chart as an image, {@link #PNG_SCALE} pixels per point. */
    public BufferedImage toImage() {
        PngCanvas c = new PngCanvas(width(), height(), PNG_SCALE);
        draw(c);
        return c.image();
    }

    /** The chart as PNG bytes. */
    public byte[] toPng() {
        return SvgCanvas.png(toImage());
    }

    /**
     * Writes the chart atomically, as PNG when the name ends in {@code .png} and SVG when it ends in {@code .svg}.
     *
     * @throws IllegalArgumentException for any other ending, naming the file
     */
    public void write(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            AtomicFiles.write(file, toPng());
        } else if (name.endsWith(".svg")) {
            AtomicFiles.write(file, toSvg().getBytes(StandardCharsets.UTF_8));
        } else {
            throw new IllegalArgumentException("cannot tell the picture format of '" + file
                    + "'; expected a name ending in .png or .svg");
        }
    }

    /** Charts side by side, {@code columns} to a row, each in a cell as large as the largest. */
    public static Chart grid(int columns, Chart... charts) {
        return new ChartGrid(columns, charts);
    }
}
