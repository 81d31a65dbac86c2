package dev.dendrite.plot;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;

/**
 * Lines over a shared x axis: training curves, several runs on one chart, the learning rate, benchmark timings.
 * Each series has a colour and a line style (solid or dashed); the legend to the right lists each named series
 * once, and an optional style key explains what solid and dashed mean (e.g. train and validation). NaN values
 * leave a gap. The y axis may be logarithmic, and the x axis may name categories instead of numbers.
 */
public final class LineChart extends Chart {
    private static final double TITLE = 15;
    private static final double FONT = 12;

    private record Series(String legend, double[] x, double[] y, Color color, boolean dashed, double width) {
    }

    private record Key(String label, Color color, boolean dashed) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Key> keys = new ArrayList<>();
    private double width = 720;
    private double height = 440;
    private boolean logY;
    private String[] categories;
    private int nextColour;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Size in points (default 720 x 440). */
    public LineChart size(double width, double height) {
        if (!(width >= 200 && height >= 150)) {
            throw new IllegalArgumentException("chart size " + width + " x " + height + " is too small; expected at "
                    + "least 200 x 150 points");
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** A logarithmic y axis (every finite y value must then be positive). */
    public LineChart logY(boolean logY) {
        this.logY = logY;
        return this;
    }

    /** Names the x positions 1, 2, ...: position {@code i + 1} is labelled {@code names[i]}. */
    public LineChart xCategories(String... names) {
        this.categories = names.clone();
        return this;
    }

    /** A solid series in the next colour, listed in the legend under {@code name}. */
    public LineChart series(String name, double[] x, double[] y) {
        return series(name, x, y, nextColour, false);
    }

    /**
     * A series in palette colour {@code colour}, solid or dashed, listed in the legend under {@code name} unless
     * {@code name} is null (e.g. a run's validation curve beside its training curve in the same colour).
     *
     * @throws IllegalArgumentException if x and y differ in length, or a y value is not positive on a log axis
     */
    public LineChart series(String name, double[] x, double[] y, int colour, boolean dashed) {
        return series(name, x, y, colour, dashed, 2);
    }

    /** As {@link #series(String, double[], double[], int, boolean)}, with the line {@code width} points wide. */
    public LineChart series(String name, double[] x, double[] y, int colour, boolean dashed, double width) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values and " + y.length
                    + " y values; expected the same number");
        }
        series.add(new Series(name, x.clone(), y.clone(), Palette.series(colour), dashed, width));
        nextColour = Math.max(nextColour, colour + 1);
        return this;
    }

    /** A legend entry that explains a line style, drawn in grey: {@code styleKey("train", false)}. */
    public LineChart styleKey(String label, boolean dashed) {
        keys.add(new Key(label, Palette.AXIS, dashed));
        return this;
    }

    @Override
    public double width() {
        return width;
    }

    @Override
    public double height() {
        return height;
    }

    private double ty(double v) {
        return logY ? Math.log10(v) : v;
    }

    @Override
    void draw(Canvas c) {
        for (Series s : series) {
            for (double v : s.y) {
                if (logY && Double.isFinite(v) && v <= 0) {
                    throw new IllegalArgumentException("series '" + s.legend + "' has y value " + v
                            + "; a logarithmic axis needs values > 0");
                }
            }
        }
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        boolean wholeX = true;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.x[i]) && Double.isFinite(s.y[i])) {
                    x0 = Math.min(x0, s.x[i]);
                    x1 = Math.max(x1, s.x[i]);
                    y0 = Math.min(y0, s.y[i]);
                    y1 = Math.max(y1, s.y[i]);
                    wholeX &= s.x[i] == Math.rint(s.x[i]);
                }
            }
        }
        if (x0 > x1) { // nothing to draw: an empty frame with a unit range
            x0 = 0;
            x1 = 1;
            y0 = logY ? 1 : 0;
            y1 = logY ? 10 : 1;
        }
        if (categories != null) {
            x0 = Math.min(x0, 1);
            x1 = Math.max(x1, categories.length);
        }
        if (x1 == x0) {
            x0 -= wholeX ? 1 : 0.5;
            x1 += wholeX ? 1 : 0.5;
        }
        double[] yTicks;
        if (logY) {
            yTicks = Ticks.log(y0, y1 == y0 ? y0 * 10 : y1);
        } else {
            if (y1 == y0) {
                double d = y0 == 0 ? 1 : Math.abs(y0) * 0.1;
                y0 -= d;
                y1 += d;
            }
            yTicks = Ticks.linear(y0, y1, 6);
        }
        double ty0 = ty(yTicks[0]);
        double ty1 = ty(yTicks[yTicks.length - 1]);
        if (logY) { // the log ticks may lie inside the data: the axis spans both, with a little room
            ty0 = Math.min(ty0, ty(y0));
            ty1 = Math.max(ty1, ty(y1 == y0 ? y0 * 10 : y1));
            double room = 0.03 * (ty1 - ty0);
            ty0 -= room;
            ty1 += room;
        }
        double[] xTicks;
        if (categories != null) {
            xTicks = new double[categories.length];
            for (int i = 0; i < xTicks.length; i++) {
                xTicks[i] = i + 1;
            }
        } else {
            xTicks = Ticks.linear(x0, x1, 8);
            if (wholeX && xTicks.length > 1 && xTicks[1] - xTicks[0] < 1) {
                xTicks = Ticks.linear(x0, x1, (int) Math.round(x1 - x0));
            }
            // The x axis ends where the data end (the last epoch), so keep only the ticks inside.
            final double lo = x0;
            final double hi = x1;
            double eps = 1e-9 * (hi - lo);
            xTicks = java.util.Arrays.stream(xTicks).filter(t -> t >= lo - eps && t <= hi + eps).toArray();
            if (xTicks.length == 0) {
                xTicks = new double[] {lo, hi};
            }
        }

        // Layout: the legend's width and the tick labels' width decide the plot area.
        List<String> legendNames = new ArrayList<>();
        for (Series s : series) {
            if (s.legend != null && !legendNames.contains(s.legend)) {
                legendNames.add(s.legend);
            }
        }
        double legendW = 0;
        double maxLegend = width * 0.32;
        for (String n : legendNames) {
            legendW = Math.max(legendW, Fonts.width(Fonts.fit(n, FONT, false, maxLegend), FONT, false));
        }
        for (Key k : keys) {
            legendW = Math.max(legendW, Fonts.width(k.label, FONT, false));
        }
        legendW = legendNames.isEmpty() && keys.isEmpty() ? 0 : legendW + 44;
        double tickW = 0;
        for (double t : yTicks) {
            tickW = Math.max(tickW, Fonts.width(Ticks.label(t), FONT, false));
        }
        double left = 26 + tickW + 8;
        double top = 40;
        double bottom = 52;
        double right = 22 + legendW;
        double pw = width - left - right;
        double ph = height - top - bottom;

        c.text(left, 24, Fonts.fit(title, TITLE, true, width - left - 8), TITLE, true, Palette.TEXT,
                Canvas.Anchor.START, false);
        for (double t : yTicks) {
            double py = top + ph - ph * (ty(t) - ty0) / (ty1 - ty0);
            c.line(left, py, left + pw, py, Palette.GRID, 1, false);
            c.text(left - 6, py + 4, Ticks.label(t), FONT, false, Palette.TEXT, Canvas.Anchor.END, false);
        }
        double lastLabelEnd = Double.NEGATIVE_INFINITY;
        for (double t : xTicks) {
            double px = left + pw * (t - x0) / (x1 - x0);
            c.line(px, top + ph, px, top + ph + 4, Palette.AXIS, 1, false);
            String label = categories != null ? categories[(int) t - 1] : Ticks.label(t);
            double lw = Fonts.width(label, FONT, false);
            if (px - lw / 2 > lastLabelEnd + 4) { // skip labels that would overlap their neighbour
                c.text(px, top + ph + 17, label, FONT, false, Palette.TEXT, Canvas.Anchor.MIDDLE, false);
                lastLabelEnd = px + lw / 2;
            }
        }
        c.rect(left, top, pw, ph, null, Palette.AXIS, 1);
        c.text(left + pw / 2, height - 12, xLabel, FONT + 1, false, Palette.TEXT, Canvas.Anchor.MIDDLE, false);
        c.text(18, top + ph / 2, yLabel + (logY ? " (log scale)" : ""), FONT + 1, false, Palette.TEXT,
                Canvas.Anchor.MIDDLE, true);

        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            // A curve equal to a later one would be hidden under it (runs that share a learning rate, or two
            // runs that do not learn): draw it wider for each such later curve, so that it shows as a rim.
            double lineWidth = s.width;
            for (int sj = si + 1; sj < series.size(); sj++) {
                Series t = series.get(sj);
                if (java.util.Arrays.equals(s.x, t.x) && java.util.Arrays.equals(s.y, t.y)) {
                    lineWidth += 2.5;
                }
            }
            double[] px = new double[s.x.length];
            double[] py = new double[s.x.length];
            int n = 0;
            for (int i = 0; i <= s.x.length; i++) {
                boolean ok = i < s.x.length && Double.isFinite(s.x[i]) && Double.isFinite(s.y[i]);
                if (ok) {
                    px[n] = left + pw * (s.x[i] - x0) / (x1 - x0);
                    py[n] = top + ph - ph * (ty(s.y[i]) - ty0) / (ty1 - ty0);
                    n++;
                } else if (n > 0) { // a gap, or the end: draw what has been collected
                    c.polyline(px, py, n, s.color, lineWidth, s.dashed);
                    if (n == 1 || s.x.length <= 30) {
                        for (int j = 0; j < n; j++) {
                            c.circle(px[j], py[j], 0.5 + lineWidth, s.color);
                        }
                    }
                    n = 0;
                }
            }
        }

        double lx = left + pw + 14;
        double ly = top + 8;
        for (String name : legendNames) {
            Series first = series.stream().filter(s -> name.equals(s.legend)).findFirst().orElseThrow();
            c.line(lx, ly, lx + 24, ly, first.color, first.dashed ? 2.5 : 3, first.dashed);
            c.text(lx + 30, ly + 4, Fonts.fit(name, FONT, false, maxLegend), FONT, false, Palette.TEXT,
                    Canvas.Anchor.START, false);
            ly += 19;
        }
        if (!keys.isEmpty() && !legendNames.isEmpty()) {
            ly += 8;
        }
        for (Key k : keys) {
            c.line(lx, ly, lx + 24, ly, k.color, 2, k.dashed);
            c.text(lx + 30, ly + 4, k.label, FONT, false, Palette.TEXT, Canvas.Anchor.START, false);
            ly += 19;
        }
    }
}
