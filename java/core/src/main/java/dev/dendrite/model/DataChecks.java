package dev.dendrite.model;

import java.util.Arrays;

import dev.dendrite.data.Inputs;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Tensor;
import dev.dendrite.losses.Loss;

/** The checks that data passes before {@code fit}, {@code evaluate} or {@code predict} uploads it. */
final class DataChecks {
    private DataChecks() {
    }

    /**
     * Inputs that a model of {@code expected} values per sample (shape {@code inputShape}) can read: present,
     * non-empty, of its sample size, finite.
     */
    static void inputs(Inputs x, String what, int expected, int[] inputShape) {
        if (x == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (x.rows() == 0) {
            throw new IllegalArgumentException(what + " has no samples");
        }
        if (x.sampleSize() != expected) {
            throw new IllegalArgumentException(what + " has samples of shape " + Arrays.toString(x.sampleShape())
                    + " (" + x.sampleSize() + " values) but the model expects " + Arrays.toString(inputShape)
                    + " (" + expected + " values)");
        }
        Labels.requireFinite(x, what);
    }

    /**
     * Labels or targets that match {@code x} and that {@code loss} can train on: class indices below
     * {@code classes} for a sparse loss, else finite rows of {@code classes} values.
     */
    static void labels(Inputs x, int[] labels, Tensor targets, String what, int classes, Loss loss) {
        if (labels != null) {
            if (!loss.sparseLabels()) {
                throw new IllegalArgumentException(loss.name() + " expects dense targets (e.g. one-hot rows), but "
                        + "class indices were given; use sparse_categorical_crossentropy or Labels.oneHot");
            }
            Labels.requireSameRows(x, labels, what);
            Labels.requireInRange(labels, classes);
        } else if (targets != null) {
            if (loss.sparseLabels()) {
                throw new IllegalArgumentException(loss.name() + " expects class indices (int[]), but dense "
                        + "targets were given; use categorical_crossentropy or Labels.argMax");
            }
            if (targets.rows() != x.rows()) {
                throw new IllegalArgumentException(what + " has " + x.rows() + " samples but the targets have "
                        + targets.rows() + " rows");
            }
            if (targets.sampleSize() != classes) {
                throw new IllegalArgumentException("targets have " + targets.sampleSize()
                        + " values per sample but the model outputs " + classes);
            }
            Labels.requireFinite(targets, "targets");
        } else {
            throw new IllegalArgumentException("labels or targets are required");
        }
    }
}
