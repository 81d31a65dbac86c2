package dev.dendrite.plot;

import java.awt.Font;
import java.awt.font.FontRenderContext;

/**
 * Text measurement for layout. Both canvases lay out with Java2D's metrics of the logical font "SansSerif"
 * (DejaVu Sans on Linux), and the SVG asks for the same family first, so labels fit in both.
 */
final class Fonts {
    static final String SVG_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif";
    private static final FontRenderContext FRC = new FontRenderContext(null, true, true);

    private Fonts() {
    }

    static Font font(double size, boolean bold) {
        return new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) size);
    }

    static double width(String text, double size, boolean bold) {
        return font(size, bold).getStringBounds(text, FRC).getWidth();
    }

    /** {@code text} cut with an ellipsis so that it is at most {@code max} points wide. */
    static String fit(String text, double size, boolean bold, double max) {
        if (width(text, size, bold) <= max) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && width(t + "…", size, bold) > max) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }
}
