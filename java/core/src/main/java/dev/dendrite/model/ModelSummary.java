package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;

/** The Keras summary table of {@link Sequential#summaryText()}. */
final class ModelSummary {
    private ModelSummary() {
    }

    /** The number of trainable (or, {@code trainable} false, non-trainable) parameters of built {@code layers}. */
    static long countParams(List<Layer> layers, boolean trainable) {
        long n = 0;
        for (Layer l : layers) {
            for (WeightSpec w : l.weights()) {
                n += (w.trainable() && l.isTrainable()) == trainable ? w.size() : 0; // a frozen layer's: not
            }
        }
        return n;
    }

    /**
     * The table for built {@code layers}: the columns are Keras's (29, 26 and 10 characters wide) and grow to fit a
     * longer layer name or shape, so that columns never run together, e.g. for
     * {@code batch_normalization_1 (BatchNormalization)}.
     */
    static String text(String modelName, List<Layer> layers, long trainable, long nonTrainable) {
        List<String[]> rows = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof Input) {
                continue;
            }
            long p = 0;
            for (WeightSpec w : l.weights()) {
                p += w.size();
            }
            rows.add(new String[] {l.name() + " (" + l.className() + ")", Layer.formatShape(l.outputShape()),
                Long.toString(p)});
        }
        int nameWidth = 28;
        int shapeWidth = 26;
        for (String[] r : rows) {
            nameWidth = Math.max(nameWidth, r[0].length() + 2);
            shapeWidth = Math.max(shapeWidth, r[1].length() + 2);
        }
        int width = 1 + nameWidth + shapeWidth + 10;
        String row = " %-" + nameWidth + "s%-" + shapeWidth + "s%-10s%n";
        String rule = "_".repeat(width);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(modelName).append("\"\n").append(rule).append('\n');
        sb.append(String.format(Locale.ROOT, row, "Layer (type)", "Output Shape", "Param #"));
        sb.append("=".repeat(width)).append('\n');
        for (String[] r : rows) {
            sb.append(String.format(Locale.ROOT, row, r[0], r[1], r[2]));
        }
        sb.append("=".repeat(width)).append('\n');
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", trainable + nonTrainable));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", trainable));
        sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", nonTrainable));
        sb.append(rule).append('\n');
        return sb.toString();
    }
}
