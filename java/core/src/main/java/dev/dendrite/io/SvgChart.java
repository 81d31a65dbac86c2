package dev.dendrite.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.dendrite.plot.LineChart;

/**
 * A line chart written as SVG, kept for the benchmark charts that use it; it draws through
 * {@link LineChart}, which also writes PNG (use that in new code). Series may have gaps (NaN values are
 * skipped); the y axis may be logarithmic.
 */
public final class SvgChart {
    private final LineChart chart;
    private final boolean logY;

    public SvgChart(String title, String xLabel, String yLabel, boolean logY) {
        this.chart = new LineChart(title, xLabel, yLabel).logY(logY);
        this.logY = logY;
    }

    /**
     * Adds a series; {@code x} and {@code y} have the same length.
     *
     * @throws IllegalArgumentException if the lengths differ, or a y value is not positive on a log axis
     */
    public SvgChart series(String name, double[] x, double[] y) {
        for (double v : y) {
            if (logY && v <= 0) {
                throw new IllegalArgumentException("series '" + name + "' has y value " + v
                        + "; a logarithmic axis needs values > 0");
            }
        }
        chart.series(name, x, y);
        return this;
    }

    /**
     * Labels the x axis with names instead of numbers: x value {@code i + 1} is {@code names[i]} (e.g. one
     * network per position, one series per system).
     */
    public SvgChart xCategories(String... names) {
        chart.xCategories(names);
        return this;
    }

    /** The chart as SVG text. */
    public String toSvg() {
        return chart.toSvg();
    }

    /** Writes the chart atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toSvg().getBytes(StandardCharsets.UTF_8));
    }
}
