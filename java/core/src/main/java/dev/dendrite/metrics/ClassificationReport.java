package dev.dendrite.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;
import dev.dendrite.model.Sequential;

/**
 * The confusion matrix and the per-class precision, recall, F1 and support of a classifier's predictions, with
 * class names: what scikit-learn's {@code confusion_matrix} and {@code classification_report} give a Keras user.
 * A sample's predicted class is the arg-max of its outputs (the first on ties); a one-unit output is two classes,
 * 1 when the output is above 0.5. Where a ratio is 0/0 (a class never predicted, or absent) it is 0, as
 * scikit-learn's {@code zero_division=0}.
 */
public final class ClassificationReport {
    private final List<String> classNames;
    private final long[][] matrix;

    private ClassificationReport(List<String> classNames, long[][] matrix) {
        this.classNames = classNames;
        this.matrix = matrix;
    }

    /** The report of {@code model}'s predictions on {@code x} against class-index {@code labels}. */
    public static ClassificationReport evaluate(Sequential model, Inputs x, int[] labels, List<String> classNames) {
        return of(model.predict(x), labels, classNames);
    }

    /**
     * The report of {@code predictions} ({@code [rows, classes]}, or {@code [rows, 1]} for a yes/no output)
     * against {@code labels}; {@code classNames} null names the classes by number.
     *
     * @throws IllegalArgumentException naming a label outside the classes, a row-count mismatch or a wrong
     *         number of class names
     */
    public static ClassificationReport of(Tensor predictions, int[] labels, List<String> classNames) {
        int rows = predictions.rows();
        int cols = predictions.sampleSize();
        int classes = cols == 1 ? 2 : cols;
        if (labels == null || labels.length != rows) {
            throw new IllegalArgumentException("got " + (labels == null ? "no" : labels.length) + " labels for "
                    + rows + " predictions; expected one per row");
        }
        List<String> names = new ArrayList<>();
        if (classNames == null) {
            for (int c = 0; c < classes; c++) {
                names.add(Integer.toString(c));
            }
        } else if (classNames.size() != classes) {
            throw new IllegalArgumentException("got " + classNames.size() + " class names for " + classes
                    + " classes: " + classNames);
        } else {
            names.addAll(classNames);
        }
        float[] p = predictions.array();
        int off = predictions.arrayOffset();
        long[][] m = new long[classes][classes];
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("label " + labels[r] + " at row " + r + "; expected a class in [0, "
                        + classes + ")");
            }
            int predicted = cols == 1 ? (p[off + r] > 0.5f ? 1 : 0) : Metric.argMax(p, off + r * cols, cols);
            m[labels[r]][predicted]++;
        }
        return new ClassificationReport(Collections.unmodifiableList(names), m);
    }

    public List<String> classNames() {
        return classNames;
    }

    /** {@code [true class][predicted class]} counts, as scikit-learn's {@code confusion_matrix}. */
    public long[][] confusionMatrix() {
        long[][] copy = new long[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            copy[i] = matrix[i].clone();
        }
        return copy;
    }

    /** Samples whose true class is {@code c}. */
    public long support(int c) {
        long s = 0;
        for (long v : matrix[c]) {
            s += v;
        }
        return s;
    }

    private long predicted(int c) {
        long s = 0;
        for (long[] row : matrix) {
            s += row[c];
        }
        return s;
    }

    public double precision(int c) {
        long n = predicted(c);
        return n == 0 ? 0 : (double) matrix[c][c] / n;
    }

    public double recall(int c) {
        long n = support(c);
        return n == 0 ? 0 : (double) matrix[c][c] / n;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** The fraction of samples whose predicted class is their label. */
    public double accuracy() {
        long hits = 0;
        long all = 0;
        for (int c = 0; c < matrix.length; c++) {
            hits += matrix[c][c];
            all += support(c);
        }
        return all == 0 ? 0 : (double) hits / all;
    }

    /** The text table: a row per class, accuracy, macro and weighted averages, then the confusion matrix. */
    @Override
    public String toString() {
        int w = 12;
        for (String n : classNames) {
            w = Math.max(w, n.length());
        }
        String rowFmt = "%" + w + "s %9.4f %9.4f %9.4f %9d%n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%" + w + "s %9s %9s %9s %9s%n%n", "",
                "precision", "recall", "f1-score", "support"));
        double[] macro = new double[3];
        double[] weighted = new double[3];
        long total = 0;
        for (int c = 0; c < matrix.length; c++) {
            double[] v = {precision(c), recall(c), f1(c)};
            long s = support(c);
            total += s;
            for (int k = 0; k < 3; k++) {
                macro[k] += v[k] / matrix.length;
                weighted[k] += v[k] * s;
            }
            sb.append(String.format(Locale.ROOT, rowFmt, classNames.get(c), v[0], v[1], v[2], s));
        }
        sb.append(String.format(Locale.ROOT, "%n%" + w + "s %9s %9s %9.4f %9d%n", "accuracy", "", "", accuracy(),
                total));
        sb.append(String.format(Locale.ROOT, rowFmt, "macro avg", macro[0], macro[1], macro[2], total));
        for (int k = 0; k < 3; k++) {
            weighted[k] = total == 0 ? 0 : weighted[k] / total;
        }
        sb.append(String.format(Locale.ROOT, rowFmt, "weighted avg", weighted[0], weighted[1], weighted[2], total));
        sb.append(String.format(Locale.ROOT, "%nconfusion matrix (rows: true class, columns: predicted)%n"));
        for (int c = 0; c < matrix.length; c++) {
            sb.append(String.format(Locale.ROOT, "%" + w + "s", classNames.get(c)));
            for (long v : matrix[c]) {
                sb.append(String.format(Locale.ROOT, " %6d", v));
            }
            sb.append(String.format("%n"));
        }
        return sb.toString();
    }
}
