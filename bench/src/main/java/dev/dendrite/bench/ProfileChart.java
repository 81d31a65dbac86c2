package dev.dendrite.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.io.Json;

/**
 * Where a training step's time goes: one horizontal stacked bar per profiled run ({@code EpochBenchmark
 * --profile --json F}), split into GEMM, the element-wise kernel families, and host time and gaps (the measured
 * step minus the sum of its ops). Also prints the same numbers as a markdown table for RESULTS.md.
 *
 * <pre>
 * java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.ProfileChart OUT.svg RUN.json [RUN.json ...]
 * </pre>
 */
public final class ProfileChart {
    /** Op-name prefixes per category, in drawing order; the last category takes what the step has left. */
    private static final String[][] CATEGORIES = {
        {"GEMM", "gemm"},
        {"bias + activation", "biasActivation", "activationBackward", "columnSums"},
        {"loss", "softmaxCrossEntropy", "sigmoidCrossEntropy", "meanSquaredError", "regressionLoss", "regularizer"},
        {"batch norm", "batchNorm"},
        {"dropout", "dropout"},
        {"optimizer", "sgdUpdate", "adamUpdate", "rmspropUpdate", "adagradUpdate"},
        {"batch gather", "gather"},
        {"other ops", ""},
    };
    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#d62728",
        "#17becf", "#7f7f7f", "#e0e0e0"};
    private static final String HOST = "host and gaps";

    private ProfileChart() {
    }

    /** One run: its label and microseconds per step per category, the host share last. */
    record Bar(String label, double stepUs, Map<String, Double> parts) {
    }

    @SuppressWarnings("unchecked")
    static Bar read(Path json) throws IOException {
        Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(json));
        Object prof = r.get("profile_us_per_step");
        if (!(prof instanceof Map)) {
            throw new IllegalArgumentException(json + " has no profile_us_per_step: run EpochBenchmark with --profile");
        }
        Map<String, Double> parts = new LinkedHashMap<>();
        for (String[] c : CATEGORIES) {
            parts.put(c[0], 0.0);
        }
        double ops = 0;
        for (Map.Entry<String, Object> e : ((Map<String, Object>) prof).entrySet()) {
            double us = ((Number) e.getValue()).doubleValue();
            ops += us;
            parts.merge(category(e.getKey()), us, Double::sum);
        }
        double step = ((Number) r.get("step_us")).doubleValue();
        parts.put(HOST, Math.max(0, step - ops));
        String backend = String.valueOf(r.get("backend"));
        String label = r.get("network") + " b" + ((Number) r.get("batch_size")).intValue() + ", "
                + backend.split(":")[0];
        return new Bar(label, step, parts);
    }

    static String category(String op) {
        for (String[] c : CATEGORIES) {
            for (int i = 1; i < c.length; i++) {
                if (op.startsWith(c[i])) {
                    return c[0];
                }
            }
        }
        return CATEGORIES[CATEGORIES.length - 1][0];
    }

    static String svg(List<Bar> bars) {
        int left = 230;
        int width = 900;
        int barH = 26;
        int top = 50;
        int plotW = width - left - 30;
        int legendY = top + bars.size() * (barH + 14) + 20;
        int height = legendY + 24 * ((CATEGORIES.length + 1 + 2) / 3) + 20;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">Where a training step's time "
                + "goes (share of the step; microseconds per step at the right)</text>%n", 20));
        for (int b = 0; b < bars.size(); b++) {
            Bar bar = bars.get(b);
            int y = top + b * (barH + 14);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", left - 8,
                    y + barH / 2 + 4, escape(bar.label())));
            double total = bar.parts().values().stream().mapToDouble(Double::doubleValue).sum();
            double x = left;
            int ci = 0;
            for (Map.Entry<String, Double> p : bar.parts().entrySet()) {
                double w = total > 0 ? plotW * p.getValue() / total : 0;
                if (w > 0) {
                    sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                            + "fill=\"%s\"><title>%s: %.1f us</title></rect>%n", x, y, w, barH, COLORS[ci],
                            escape(p.getKey()), p.getValue()));
                }
                x += w;
                ci++;
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.0f us</text>%n",
                    left + plotW + 4 - 60, y - 2, bar.stepUs()));
        }
        List<String> names = new ArrayList<>();
        for (String[] c : CATEGORIES) {
            names.add(c[0]);
        }
        names.add(HOST);
        for (int i = 0; i < names.size(); i++) {
            int lx = 20 + (i % 3) * 290;
            int ly = legendY + (i / 3) * 24;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly, COLORS[i], lx + 20, ly + 12, escape(names.get(i))));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    static String table(List<Bar> bars) {
        StringBuilder sb = new StringBuilder("| run | step (us) |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String name : bars.get(0).parts().keySet()) {
            sb.append(' ').append(name).append(" |");
            rule.append("---|");
        }
        sb.append('\n').append(rule).append('\n');
        for (Bar b : bars) {
            sb.append(String.format(Locale.ROOT, "| %s | %.0f |", b.label(), b.stepUs()));
            for (double v : b.parts().values()) {
                sb.append(String.format(Locale.ROOT, " %.0f (%.0f%%) |", v, 100 * v / b.stepUs()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ProfileChart OUT.svg RUN.json [RUN.json ...]");
            System.exit(2);
        }
        List<Bar> bars = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            bars.add(read(Path.of(args[i])));
        }
        Files.write(Path.of(args[0]), svg(bars).getBytes(StandardCharsets.UTF_8));
        System.out.print(table(bars));
    }
}
