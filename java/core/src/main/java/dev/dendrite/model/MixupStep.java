package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Mixup;
import dev.dendrite.backend.Slice;
import dev.dendrite.losses.Loss;

/**
 * {@link FitOptions#mixup} inside a training step: after the batch is gathered, {@link Backend#mixup} mixes it with
 * a permutation of itself on the device (one lambda per sample, drawn from the step counter, so a recorded step
 * mixes anew at every replay) and the loss sees the mixed targets. Class-index labels become mixed one-hot rows, so
 * sparse categorical cross-entropy runs as the dense softmax cross-entropy there; the accuracy the step counts is
 * then the dense one, against the mixed targets' arg-max, as Keras reports it. Inference never mixes.
 */
final class MixupStep implements AutoCloseable {
    private final Backend backend;
    private final float alpha;
    private final int inputSize;
    private final int classes;
    private int capacity;
    private Buffer lambdas;
    private Buffer xMixed;
    private Buffer yMixed;

    MixupStep(Backend backend, float alpha, int inputSize, int classes) {
        this.backend = backend;
        this.alpha = alpha;
        this.inputSize = inputSize;
        this.classes = classes;
    }

    /** Makes room for batches of {@code rows}; called outside a recording (it may allocate). */
    void ensureCapacity(int rows) {
        if (rows <= capacity) {
            return;
        }
        close();
        lambdas = backend.allocate(DType.F32, Math.max(1, rows));
        xMixed = backend.allocate(DType.F32, Math.max(1, rows * inputSize));
        yMixed = backend.allocate(DType.F32, Math.max(1, rows * classes));
        capacity = rows;
    }

    /**
     * Mixes the gathered batch: {@code xBatch}'s first {@code rows} rows become the mixed inputs; returns the mixed
     * dense targets.
     */
    Slice mix(Slice xBatch, Slice yBatch, boolean sparseLabels, int rows, long seed, Slice counters) {
        Slice x = xMixed.slice(0, Math.max(1, rows * inputSize));
        backend.mixup(xBatch, yBatch, sparseLabels, rows, inputSize, classes, alpha, seed, Mixup.STREAM, counters,
                lambdas.all(), x, yMixed.all());
        backend.copy(x.slice(0, rows * inputSize), xBatch.slice(0, rows * inputSize));
        return yMixed.all();
    }

    /**
     * Closes {@code old} (may be null) and returns the mixup for {@code alpha} with room for {@code capacity} rows,
     * or null for {@code alpha == 0}.
     */
    static MixupStep replace(MixupStep old, Backend backend, double alpha, int inputSize, int classes,
                             int capacity) {
        if (old != null) {
            old.close();
        }
        if (alpha == 0) {
            return null;
        }
        MixupStep m = new MixupStep(backend, (float) alpha, inputSize, classes);
        m.ensureCapacity(capacity);
        return m;
    }

    /**
     * The batch's loss, weighted by {@code classWeights} and {@code rowWeights} where not null: {@code loss} itself
     * without mixup ({@code mix} null); on mixed targets sparse categorical cross-entropy becomes the dense one (a
     * row's class then the mixed target's arg-max), other losses are unchanged.
     */
    static void loss(MixupStep mix, Backend backend, Loss loss, boolean fused, Slice output, Slice preActivation,
                     Slice targets, int rows, int cols, Slice classWeights, Slice rowWeights, Slice scratch,
                     Slice grad, float gradScale, Slice stats) {
        if (mix != null && loss.sparseLabels()) {
            backend.softmaxCrossEntropy(fused ? preActivation : output, targets, false, rows, cols, classWeights,
                    rowWeights, scratch, grad, gradScale, stats);
        } else {
            loss.compute(backend, fused, output, preActivation, targets, rows, cols, classWeights, rowWeights, scratch,
                    grad, gradScale, stats);
        }
    }

    @Override
    public void close() {
        for (Buffer b : new Buffer[] {lambdas, xMixed, yMixed}) {
            if (b != null) {
                b.close();
            }
        }
        lambdas = null;
        xMixed = null;
        yMixed = null;
        capacity = 0;
    }
}
