package dev.dendrite.layers;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.dendrite.backend.ActivationFunction;

/**
 * Keras's {@code ELU} layer (Clevert et al., 2016): {@code x} for {@code x > 0}, {@code alpha * (exp(x) - 1)}
 * otherwise; Keras's default alpha is 1.0. The derivative at 0 is the negative branch's, {@code alpha}.
 */
public final class ELU extends ElementwiseActivation {
    public ELU() {
        this(ActivationFunction.DEFAULT_ELU_ALPHA);
    }

    /** @throws IllegalArgumentException if alpha is not finite */
    public ELU(double alpha) {
        super(ActivationFunction.ELU, checked(alpha));
    }

    private static double checked(double alpha) {
        finite("ELU", "alpha", alpha);
        return alpha;
    }

    @Override
    public float alpha() {
        return super.alpha();
    }

    @Override
    public String className() {
        return "ELU";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("alpha", alphaArgument());
        return m;
    }
}
