package dev.dendrite.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.plot.Chart;

/**
 * One self-contained HTML page per comparison: the shared setup, the results table (best row marked), every
 * chart as inline SVG, and each run's settings. No scripts, styles or images from elsewhere, so it opens offline
 * and can be mailed as one file.
 */
final class HtmlReport {
    private HtmlReport() {
    }

    static String html(ComparisonResult result, Map<String, Chart> charts) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>Dendrite comparison</title>\n<style>\n")
                .append("body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:24px;color:#222;max-width:1320px}\n")
                .append("table{border-collapse:collapse;margin:8px 0 20px}\n")
                .append("th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}\n")
                .append("th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n")
                .append("tr.best td{background:#e8f4e8;font-weight:bold}\n")
                .append(".chart svg{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}\n")
                .append(".wide{overflow-x:auto}\ncode{background:#f6f6f6;padding:1px 4px}\n</style>\n</head>\n<body>\n");
        sb.append("<h1>Comparison of ").append(result.runs().size()).append(" runs</h1>\n");
        sb.append("<p>Every run used the same data, split, preprocessing and seed:</p>\n<ul>\n");
        result.setup().forEach((k, v) -> sb.append("<li>").append(esc(k)).append(": <code>").append(esc(String.valueOf(v)))
                .append("</code></li>\n"));
        sb.append("</ul>\n<p>The best epoch of a run is the one with the highest validation accuracy; the test figures "
                + "and the saved model are those of its weights. The best run is marked.</p>\n");
        sb.append("<table>\n<tr><th>run</th><th>best val accuracy</th><th>at epoch</th><th>test accuracy</th>"
                + "<th>test loss</th><th>final train loss</th><th>time (s)</th><th>parameters</th></tr>\n");
        RunResult best = result.best();
        for (RunResult r : result.runs()) {
            sb.append(r == best ? "<tr class=\"best\">" : "<tr>").append("<td>").append(esc(r.name())).append("</td>")
                    .append(td(r.bestValAccuracy())).append("<td>").append(r.bestEpoch()).append("</td>")
                    .append(td(r.testAccuracy())).append(td(r.testLoss())).append(td(r.finalLoss()))
                    .append(String.format(Locale.ROOT, "<td>%.1f</td><td>%,d</td></tr>%n", r.seconds(), r.parameters()));
        }
        sb.append("</table>\n");
        String[][] captions = {{"curves", "Loss and accuracy per epoch (training solid, validation dashed)"},
            {"val_accuracy", "Validation accuracy per epoch"}, {"learning_rate", "Learning rate per epoch"},
            {"confusion", "Confusion matrix of the best run on the test set"},
            {"samples", "Test images with the best run's predictions"}};
        for (String[] c : captions) {
            Chart chart = charts.get(c[0]);
            if (chart != null) {
                String svg = chart.toSvg();
                svg = svg.substring(svg.indexOf("<svg"));
                sb.append("<h2>").append(esc(c[1])).append("</h2>\n<div class=\"chart\">\n").append(svg).append("</div>\n");
            }
        }
        sb.append("<h2>Settings of each run</h2>\n");
        List<String> keys = new ArrayList<>();
        result.runs().forEach(r -> r.config().keySet().forEach(k -> {
            if (!keys.contains(k)) {
                keys.add(k);
            }
        }));
        keys.sort(java.util.Comparator.comparingInt(k -> RunConfig.KEYS.contains(k) ? RunConfig.KEYS.indexOf(k) : 99));
        sb.append("<div class=\"wide\"><table>\n<tr><th>run</th>");
        keys.forEach(k -> sb.append("<th>").append(esc(k)).append("</th>"));
        sb.append("</tr>\n");
        for (RunResult r : result.runs()) {
            sb.append("<tr><td>").append(esc(r.name())).append("</td>");
            for (String k : keys) {
                Object v = r.config().get(k);
                sb.append("<td>").append(v == null ? "" : esc(String.valueOf(v))).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table></div>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static String td(double v) {
        return "<td>" + (Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : String.valueOf(v)) + "</td>";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
