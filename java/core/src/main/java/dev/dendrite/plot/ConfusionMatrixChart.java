package dev.dendrite.plot;

import java.awt.Color;
import java.util.Locale;

/**
 * A confusion matrix as a heat map: one row per true class, one column per predicted class, each cell showing
 * its count and shaded by the share of its row (so a dark diagonal means each class is mostly recognised,
 * whatever the class sizes). The title gives the overall accuracy.
 */
public final class ConfusionMatrixChart extends Chart {
    private static final double FONT = 12;
    private final String title;
    private final int[][] counts;
    private final String[] classNames;
    private final double cell;
    private final double labelW;

    /**
     * Counts each (true, predicted) pair.
     *
     * @throws IllegalArgumentException if the arrays differ in length or a label is outside [0, classes)
     */
    public static int[][] count(int[] truth, int[] predicted, int classes) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException(truth.length + " true labels and " + predicted.length
                    + " predictions; expected the same number");
        }
        int[][] m = new int[classes][classes];
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes) {
                throw new IllegalArgumentException("sample " + i + " has true label " + truth[i] + " and prediction "
                        + predicted[i] + "; expected both in [0, " + classes + ")");
            }
            m[truth[i]][predicted[i]]++;
        }
        return m;
    }

    public ConfusionMatrixChart(String title, int[][] counts, String[] classNames) {
        int k = classNames.length;
        if (counts.length != k) {
            throw new IllegalArgumentException("confusion matrix has " + counts.length + " rows for " + k
                    + " class names; expected one row per class");
        }
        for (int[] row : counts) {
            if (row.length != k) {
                throw new IllegalArgumentException("confusion matrix row has " + row.length + " cells for " + k
                        + " classes; expected a square matrix");
            }
        }
        this.title = title;
        this.counts = new int[k][];
        for (int i = 0; i < k; i++) {
            this.counts[i] = counts[i].clone();
        }
        this.classNames = classNames.clone();
        double w = 0;
        for (String n : classNames) {
            w = Math.max(w, Fonts.width(n, FONT, false));
        }
        labelW = w;
        cell = Math.max(34, Math.min(56, 560.0 / Math.max(1, k)));
    }

    @Override
    public double width() {
        return 40 + labelW + 10 + cell * classNames.length + 20;
    }

    @Override
    public double height() {
        return 64 + cell * classNames.length + 10 + labelW + 34;
    }

    @Override
    void draw(Canvas c) {
        int k = classNames.length;
        long total = 0;
        long right = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                total += counts[i][j];
                if (i == j) {
                    right += counts[i][j];
                }
            }
        }
        double left = 40 + labelW + 10;
        double top = 64;
        String head = total == 0 ? title
                : String.format(Locale.ROOT, "%s (accuracy %.4f, %d samples)", title, (double) right / total, total);
        c.text(12, 24, Fonts.fit(head, 15, true, width() - 20), 15, true, Palette.TEXT, Canvas.Anchor.START, false);
        c.text(12, 44, "each cell: count; shade: share of its true class", FONT - 1, false, Palette.AXIS,
                Canvas.Anchor.START, false);
        double cellFont = Math.min(FONT, cell / 3.2);
        for (int i = 0; i < k; i++) {
            long rowSum = 0;
            for (int v : counts[i]) {
                rowSum += v;
            }
            for (int j = 0; j < k; j++) {
                double share = rowSum == 0 ? 0 : (double) counts[i][j] / rowSum;
                double x = left + j * cell;
                double y = top + i * cell;
                c.rect(x, y, cell, cell, Palette.blues(share), Color.WHITE, 1);
                c.text(x + cell / 2, y + cell / 2 + cellFont / 3, Integer.toString(counts[i][j]), cellFont, i == j,
                        share > 0.5 ? Color.WHITE : Palette.TEXT, Canvas.Anchor.MIDDLE, false);
            }
            c.text(left - 6, top + i * cell + cell / 2 + 4, classNames[i], FONT, false, Palette.TEXT,
                    Canvas.Anchor.END, false);
        }
        for (int j = 0; j < k; j++) {
            c.text(left + j * cell + cell / 2 + 4, top + k * cell + 6, classNames[j], FONT, false, Palette.TEXT,
                    Canvas.Anchor.END, true);
        }
        c.text(18, top + k * cell / 2, "true label", FONT + 1, true, Palette.TEXT, Canvas.Anchor.MIDDLE, true);
        c.text(left + k * cell / 2, height() - 12, "predicted label", FONT + 1, true, Palette.TEXT,
                Canvas.Anchor.MIDDLE, false);
    }
}
