package dev.dendrite.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;

/**
 * What a chart draws on. Every chart draws itself once against this interface, and {@link PngCanvas} (Java2D)
 * and {@link SvgCanvas} (SVG text) turn the same drawing into a PNG or an SVG, so the two files always agree.
 * Coordinates are in points from the top left, y down.
 */
interface Canvas {
    /** Where a text's x coordinate sits on the text. */
    enum Anchor { START, MIDDLE, END }

    /** A polyline through the first {@code n} points; {@code dashed} draws it as a dashed line. */
    void polyline(double[] x, double[] y, int n, Color color, double width, boolean dashed);

    default void line(double x1, double y1, double x2, double y2, Color color, double width, boolean dashed) {
        polyline(new double[] {x1, x2}, new double[] {y1, y2}, 2, color, width, dashed);
    }

    /** A rectangle, filled when {@code fill} is not null, outlined when {@code stroke} is not null. */
    void rect(double x, double y, double w, double h, Color fill, Color stroke, double strokeWidth);

    void circle(double cx, double cy, double r, Color fill);

    /**
     * One line of text whose baseline passes through {@code (x, y)}; {@code vertical} turns it a quarter
     * counter-clockwise about that point (for a y axis label).
     */
    void text(double x, double y, String text, double size, boolean bold, Color color, Anchor anchor,
            boolean vertical);

    /** A raster image scaled to the box with nearest-neighbour sampling (pixels stay square). */
    void image(double x, double y, double w, double h, BufferedImage image);

    /** Moves the origin; charts placed side by side draw through this. */
    void translate(double dx, double dy);
}
