package dev.dendrite.layers;

import java.util.List;
import java.util.Map;

import dev.dendrite.constraints.Constraint;
import dev.dendrite.initializers.Constant;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.regularizers.Regularizer;

/**
 * The learned scale {@code gamma} and offset {@code beta} that {@link BatchNormalization} and
 * {@link LayerNormalization} share, with Keras's arguments for each: an initializer (ones, zeros), a regularizer and
 * a constraint (none). One place for the weight specs and for the config keys, which both layers name as Keras does
 * ({@code gamma_initializer}, {@code beta_regularizer}, ...).
 */
final class GammaBeta {
    private Initializer gammaInitializer;
    private Initializer betaInitializer;
    private Regularizer gammaRegularizer;
    private Regularizer betaRegularizer;
    private Constraint gammaConstraint;
    private Constraint betaConstraint;

    void gammaInitializer(Initializer initializer, String layer) {
        gammaInitializer = Dense.requireNonNull(initializer, layer + " gamma initializer");
    }

    void betaInitializer(Initializer initializer, String layer) {
        betaInitializer = Dense.requireNonNull(initializer, layer + " beta initializer");
    }

    void gammaRegularizer(Regularizer regularizer) {
        gammaRegularizer = regularizer;
    }

    void betaRegularizer(Regularizer regularizer) {
        betaRegularizer = regularizer;
    }

    void gammaConstraint(Constraint constraint) {
        gammaConstraint = constraint;
    }

    void betaConstraint(Constraint constraint) {
        betaConstraint = constraint;
    }

    Constraint gammaConstraint() {
        return gammaConstraint;
    }

    Constraint betaConstraint() {
        return betaConstraint;
    }

    /** Appends {@code gamma} (with {@code scale}) then {@code beta} (with {@code center}), each of {@code shape}. */
    void addSpecs(List<WeightSpec> specs, int[] shape, boolean scale, boolean center) {
        if (scale) {
            specs.add(new WeightSpec("gamma", shape, gammaInitializer == null ? Constant.ones() : gammaInitializer,
                    gammaRegularizer, gammaConstraint, true));
        }
        if (center) {
            specs.add(new WeightSpec("beta", shape, betaInitializer == null ? Constant.zeros() : betaInitializer,
                    betaRegularizer, betaConstraint, true));
        }
    }

    /**
     * Writes the keys of the arguments that were set (Keras writes all of them; left out while unset, so that the
     * files of layers without them stay as they were, and a missing key reads back as Keras's default).
     */
    void writeConfig(Map<String, Object> m) {
        if (betaInitializer != null) {
            m.put("beta_initializer", Dense.initializerConfig(betaInitializer));
        }
        if (gammaInitializer != null) {
            m.put("gamma_initializer", Dense.initializerConfig(gammaInitializer));
        }
        if (betaRegularizer != null) {
            m.put("beta_regularizer", betaRegularizer.config());
        }
        if (gammaRegularizer != null) {
            m.put("gamma_regularizer", gammaRegularizer.config());
        }
        if (betaConstraint != null) {
            m.put("beta_constraint", betaConstraint.serialize());
        }
        if (gammaConstraint != null) {
            m.put("gamma_constraint", gammaConstraint.serialize());
        }
    }

    /** Reads the keys {@link #writeConfig} writes, from a Dendrite or a Keras config; an absent or null key is unset. */
    void readConfig(Map<String, Object> c, String layer) {
        if (c.get("beta_initializer") != null) {
            betaInitializer(Layers.initializer(c.get("beta_initializer")), layer);
        }
        if (c.get("gamma_initializer") != null) {
            gammaInitializer(Layers.initializer(c.get("gamma_initializer")), layer);
        }
        betaRegularizer = Layers.regularizer(c.get("beta_regularizer"));
        gammaRegularizer = Layers.regularizer(c.get("gamma_regularizer"));
        betaConstraint = Constraint.get(c.get("beta_constraint"));
        gammaConstraint = Constraint.get(c.get("gamma_constraint"));
    }
}
