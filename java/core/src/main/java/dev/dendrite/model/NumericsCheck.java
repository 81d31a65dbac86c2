package dev.dendrite.model;

import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Slice;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;

/**
 * The debug mode of {@link FitOptions#checkNumerics}: while on, the {@link Engine} issues each op of a training
 * step directly and has every output read back here, which throws a {@link NumericalFaultException} (without epoch
 * and batch, which the caller adds) naming the first op whose output held NaN or Inf. While off, every check
 * returns at once.
 */
final class NumericsCheck {
    private final Backend backend;
    private final List<Layer> layers;
    private boolean on;

    NumericsCheck(Backend backend, List<Layer> layers) {
        this.backend = backend;
        this.layers = layers;
    }

    boolean on() {
        return on;
    }

    void set(boolean on) {
        this.on = on;
    }

    /** In the debug mode, the first non-finite value among the first {@code n} of {@code s}, named as {@code what}. */
    void finite(Slice s, int n, String what) {
        if (!on || n <= 0) {
            return;
        }
        float[] v = new float[n];
        backend.download(s.slice(0, n), v, 0);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(v[i])) {
                throw new NumericalFaultException("the first NaN or Inf of this step is in " + what + ": " + v[i]
                        + " at index " + i + " of " + n + " (every op of the step is checked in turn)", -1, -1);
            }
        }
    }

    /**
     * Checks every weight of layer {@code li} that is {@code trainable} (or not) in {@code slices} (its weights or
     * its gradients).
     */
    void weights(int li, Slice[] slices, boolean trainable, String what) {
        if (!on) {
            return;
        }
        List<WeightSpec> specs = layers.get(li).weights();
        for (int wi = 0; wi < specs.size(); wi++) {
            if (specs.get(wi).trainable() == trainable && slices[wi] != null) {
                finite(slices[wi], slices[wi].length(), what + " '" + layers.get(li).name() + "/"
                        + specs.get(wi).name() + "'");
            }
        }
    }
}
