package dev.dendrite.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small line chart written as SVG, viewable in any browser: training curves ({@code History.writeSvg}) and
 * benchmark charts. Series may have gaps (NaN values are skipped); the y axis may be logarithmic.
 */
public final class SvgChart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f"};
    private static final int WIDTH = 640;
    private static final int HEIGHT = 400;
    private static final int LEFT = 70;
    private static final int RIGHT = 160;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final List<String> names = new ArrayList<>();
    private final List<double[]> xs = new ArrayList<>();
    private final List<double[]> ys = new ArrayList<>();
    private String[] categories;

    public SvgChart(String title, String xLabel, String yLabel, boolean logY) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logY = logY;
    }

    /**
     * Adds a series; {@code x} and {@code y} have the same length.
     *
     * @throws IllegalArgumentException if the lengths differ, or a y value is not positive on a log axis
     */
    public SvgChart series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values and " + y.length
                    + " y values; expected the same number");
        }
        for (double v : y) {
            if (logY && v <= 0) {
                throw new IllegalArgumentException("series '" + name + "' has y value " + v
                        + "; a logarithmic axis needs values > 0");
            }
        }
        names.add(name);
        xs.add(x.clone());
        ys.add(y.clone());
        return this;
    }

    /**
     * Labels the x axis with names instead of numbers: x value {@code i + 1} is {@code names[i]} (e.g. one
     * network per position, one series per system).
     */
    public SvgChart xCategories(String... names) {
        this.categories = names.clone();
        return this;
    }

    private double ty(double v) {
        return logY ? Math.log10(v) : v;
    }

    /** The chart as SVG text. */
    public String toSvg() {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < names.size(); s++) {
            for (int i = 0; i < xs.get(s).length; i++) {
                double y = ys.get(s)[i];
                if (Double.isFinite(y) && Double.isFinite(xs.get(s)[i])) {
                    x0 = Math.min(x0, xs.get(s)[i]);
                    x1 = Math.max(x1, xs.get(s)[i]);
                    y0 = Math.min(y0, ty(y));
                    y1 = Math.max(y1, ty(y));
                }
            }
        }
        if (x0 > x1) {
            x0 = 0;
            x1 = 1;
            y0 = 0;
            y1 = 1;
        }
        if (x1 == x0) {
            x1 = x0 + 1;
        }
        if (y1 == y0) {
            y1 = y0 + 1;
        }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
        int pw = WIDTH - LEFT - RIGHT;
        int ph = HEIGHT - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT,
                escape(title)));
        for (int t = 0; t <= 5; t++) {
            double v = y0 + (y1 - y0) * t / 5;
            double py = TOP + ph - ph * (v - y0) / (y1 - y0);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, py, LEFT + pw, py));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 6, py + 4, number(logY ? Math.pow(10, v) : v)));
        }
        // x ticks: whole numbers when the data are whole (epochs, batch sizes), else five even steps.
        boolean whole = true;
        for (double[] x : xs) {
            for (double v : x) {
                whole &= v == Math.rint(v);
            }
        }
        double step = categories != null ? 1 : whole ? Math.max(1, Math.ceil((x1 - x0) / 6)) : (x1 - x0) / 5;
        for (double vx = x0; vx <= x1 + 1e-9 * (x1 - x0); vx += step) {
            double px = LEFT + pw * (vx - x0) / (x1 - x0);
            int c = (int) Math.rint(vx) - 1;
            String label = categories != null && c >= 0 && c < categories.length ? escape(categories[c]) : number(vx);
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px,
                    TOP + ph + 18, label));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#444\"/>%n", LEFT, TOP, pw, ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + pw / 2, HEIGHT - 10, escape(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" "
                + "text-anchor=\"middle\">%s%s</text>%n", TOP + ph / 2, escape(yLabel), logY ? " (log scale)" : ""));
        for (int s = 0; s < names.size(); s++) {
            String color = COLORS[s % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < xs.get(s).length; i++) {
                double y = ys.get(s)[i];
                if (!Double.isFinite(y)) {
                    continue;
                }
                double px = LEFT + pw * (xs.get(s)[i] - x0) / (x1 - x0);
                double py = TOP + ph - ph * (ty(y) - y0) / (y1 - y0);
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n",
                        px, py, color));
            }
            sb.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    path, color));
            int ly = TOP + 10 + 20 * s;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"3\"/>%n", LEFT + pw + 12, ly, LEFT + pw + 32, ly, color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + pw + 38, ly + 4,
                    escape(names.get(s))));
        }
        return sb.append("</svg>\n").toString();
    }

    /** Writes the chart atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toSvg().getBytes(StandardCharsets.UTF_8));
    }

    private static String number(double v) {
        double a = Math.abs(v);
        if (v == Math.rint(v) && a < 1e5) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        if (a != 0 && (a >= 1e5 || a < 1e-3)) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        return a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
