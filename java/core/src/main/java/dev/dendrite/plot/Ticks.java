package dev.dendrite.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Axis ticks at round numbers (1, 2, 2.5 or 5 times a power of ten), and their labels. */
final class Ticks {
    private Ticks() {
    }

    /** About {@code target} round ticks covering [lo, hi]; the first is at or below lo, the last at or above hi. */
    static double[] linear(double lo, double hi, int target) {
        double span = hi - lo;
        double raw = span / Math.max(1, target);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        }
        double first = Math.floor(lo / step + 1e-9) * step;
        double last = Math.ceil(hi / step - 1e-9) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = first + i * step;
            if (Math.abs(t[i]) < step * 1e-9) {
                t[i] = 0;
            }
        }
        return t;
    }

    /**
     * Ticks for a log axis over [lo, hi] (both > 0): powers of ten, with 2 and 5 between when few decades; only
     * those inside [lo, hi] when there are two or more, else the whole decades around it.
     */
    static double[] log(double lo, double hi) {
        int d0 = (int) Math.floor(Math.log10(lo) + 1e-9);
        int d1 = Math.max(d0 + 1, (int) Math.ceil(Math.log10(hi) - 1e-9));
        double[] mult = d1 - d0 <= 2 ? new double[] {1, 2, 5} : new double[] {1};
        List<Double> t = new ArrayList<>();
        for (int d = d0; d <= d1; d++) {
            for (double m : mult) {
                double v = m * Math.pow(10, d);
                if (m == 1 || v >= lo / 1.0001 && v <= hi * 1.0001) {
                    t.add(v);
                }
            }
        }
        // Keep the axis to the data when at least two round values fall inside it; else end on whole decades.
        double[] inside = t.stream().mapToDouble(Double::doubleValue)
                .filter(v -> v >= lo / 1.0001 && v <= hi * 1.0001).toArray();
        return inside.length >= 2 ? inside : t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A short label: integers plainly, small or huge values in scientific notation, else 3 significant digits. */
    static String label(double v) {
        double a = Math.abs(v);
        if (v == Math.rint(v) && a < 1e6) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        if (a != 0 && (a >= 1e6 || a < 1e-3)) {
            String s = String.format(Locale.ROOT, "%.1e", v);
            return s.replace(".0e", "e").replace("e-0", "e-").replace("e+0", "e").replace("e+", "e");
        }
        String s = a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
        if (s.contains(".") && !s.contains("e")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }
}
