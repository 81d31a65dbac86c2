package dev.dendrite.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Locale;

import javax.imageio.ImageIO;

/** Writes the drawing as SVG elements; raster images go in as base64 PNG so the file stands alone. */
final class SvgCanvas implements Canvas {
    private final StringBuilder sb = new StringBuilder();
    private final double width;
    private final double height;
    private double ox;
    private double oy;

    SvgCanvas(double width, double height) {
        this.width = width;
        this.height = height;
    }

    String svg() {
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" "
                + "viewBox=\"0 0 %s %s\" font-family=\"%s\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                n(width), n(height), n(width), n(height), Fonts.SVG_FAMILY) + sb + "</svg>\n";
    }

    private static String n(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String rgb(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    @Override
    public void polyline(double[] x, double[] y, int n, Color color, double width, boolean dashed) {
        if (n < 2) {
            return;
        }
        sb.append("<polyline fill=\"none\" stroke=\"").append(rgb(color)).append("\" stroke-width=\"").append(n(width))
                .append("\" stroke-linejoin=\"round\"");
        sb.append(dashed ? " stroke-dasharray=\"" + n(3 * width) + "," + n(2 * width) + "\"" : " stroke-linecap=\"round\"");
        sb.append(" points=\"");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(n(ox + x[i])).append(',').append(n(oy + y[i]));
        }
        sb.append("\"/>\n");
    }

    @Override
    public void rect(double x, double y, double w, double h, Color fill, Color stroke, double strokeWidth) {
        sb.append(String.format(Locale.ROOT, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"",
                n(ox + x), n(oy + y), n(w), n(h), fill == null ? "none" : rgb(fill)));
        if (stroke != null) {
            sb.append(" stroke=\"").append(rgb(stroke)).append("\" stroke-width=\"").append(n(strokeWidth)).append('"');
        }
        sb.append("/>\n");
    }

    @Override
    public void circle(double cx, double cy, double r, Color fill) {
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\"/>%n", n(ox + cx),
                n(oy + cy), n(r), rgb(fill)));
    }

    @Override
    public void text(double x, double y, String text, double size, boolean bold, Color color, Anchor anchor,
            boolean vertical) {
        String a = anchor == Anchor.START ? "start" : anchor == Anchor.MIDDLE ? "middle" : "end";
        sb.append(String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" font-size=\"%s\" fill=\"%s\" text-anchor=\"%s\"",
                n(ox + x), n(oy + y), n(size), rgb(color), a));
        if (bold) {
            sb.append(" font-weight=\"bold\"");
        }
        if (vertical) {
            sb.append(String.format(Locale.ROOT, " transform=\"rotate(-90 %s %s)\"", n(ox + x), n(oy + y)));
        }
        sb.append('>').append(escape(text)).append("</text>\n");
    }

    @Override
    public void image(double x, double y, double w, double h, BufferedImage img) {
        sb.append(String.format(Locale.ROOT, "<image x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
                + "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,%s\"/>%n",
                n(ox + x), n(oy + y), n(w), n(h), Base64.getEncoder().encodeToString(png(img))));
    }

    static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory stream: not expected
        }
        return out.toByteArray();
    }

    @Override
    public void translate(double dx, double dy) {
        ox += dx;
        oy += dy;
    }
}
