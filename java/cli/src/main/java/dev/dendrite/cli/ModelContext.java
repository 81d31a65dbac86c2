package dev.dendrite.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.model.Sequential;

/**
 * What {@code train} stores beside the weights (metadata {@code "preprocessing"} and {@code "class_names"}),
 * read back by {@code evaluate} and {@code predict}.
 *
 * <p>A model saved from Java with {@code model.save} does not record how its inputs were preprocessed unless
 * the program put it into {@code model.metadata()}. Raw pixels fed to a model trained on scaled ones give
 * nonsense that looks like an answer (a loss of 46, a class at 100%), so then the commands warn, once, and
 * take {@code --preprocess} as the user's word for it. A model whose first layers preprocess (a {@code Rescaling} or
 * {@code Normalization} layer, as Keras puts preprocessing in the model) is given the pixels as they are.
 */
final class ModelContext {
    /** Metadata key under which {@code train} records the fitted {@link Preprocessing#toMap()} as JSON. */
    static final String PREPROCESSING = "preprocessing";
    /** Metadata key under which {@code train} records the dataset's class names as a JSON list. */
    static final String CLASS_NAMES = "class_names";

    /** How inputs were preprocessed for training, or null until known (see {@link #inputs}). */
    private Preprocessing preprocessing;
    /** A kind the user named with --preprocess for a file that records none; null when not given. */
    private final Preprocessing.Kind assumed;
    final String[] classNames;

    private ModelContext(Preprocessing preprocessing, Preprocessing.Kind assumed, String[] classNames) {
        this.preprocessing = preprocessing;
        this.assumed = assumed;
        this.classNames = classNames;
    }

    /**
     * Reads the context of {@code model}, loaded from {@code file}, and warns on {@code err} when it cannot
     * know how inputs are to be scaled.
     *
     * @param preprocess the value of the command's {@code --preprocess} option, or null when it was not given
     * @throws IllegalArgumentException for a {@code --preprocess} other than none or scale
     */
    @SuppressWarnings("unchecked")
    static ModelContext of(Sequential model, Path file, String preprocess, PrintStream err) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        Preprocessing.Kind assumed = null;
        if (preprocess != null) {
            try {
                assumed = Preprocessing.Kind.parse(preprocess);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--preprocess: " + e.getMessage(), e);
            }
            if (assumed != Preprocessing.Kind.NONE && assumed != Preprocessing.Kind.SCALE) {
                throw new IllegalArgumentException("--preprocess " + preprocess + " needs the training data's "
                        + "statistics, which only a model file that records them has; expected none or scale "
                        + "(pixels / 255), or a model saved by 'dendrite train'");
            }
        }
        String prep = model.metadata().get(PREPROCESSING);
        String names = model.metadata().get(CLASS_NAMES);
        Preprocessing recorded;
        String[] classes = null;
        try {
            recorded = prep == null ? null : Preprocessing.fromMap((Map<String, ?>) Json.parse(prep));
            if (names != null) {
                classes = ((List<Object>) Json.parse(names)).stream().map(String::valueOf).toArray(String[]::new);
            }
        } catch (RuntimeException e) {
            throw new IOException(abs + ": unreadable preprocessing or class names in the model's metadata: "
                    + e.getMessage(), e);
        }
        String inModel = preprocessingLayer(model);
        if (recorded == null && inModel != null) {
            // The model scales its own inputs, as it did in training: it takes the pixels as they are.
            if (assumed != null && assumed != Preprocessing.Kind.NONE) {
                err.println("warning: " + abs + " preprocesses its inputs itself (its " + inModel + " layer); "
                        + "--preprocess " + assumed + " is ignored.");
            }
            assumed = Preprocessing.Kind.NONE;
        } else if (recorded != null && assumed != null) {
            if (recorded.kind() != assumed) {
                err.println("warning: " + abs + " records that its inputs were preprocessed with '"
                        + recorded.kind() + "'; --preprocess " + assumed + " is ignored.");
            }
            assumed = null;
        } else if (recorded == null && assumed == null) {
            err.println("warning: " + abs + " does not record how its inputs were preprocessed (it was not "
                    + "saved by 'dendrite train'), so the pixels are given to it as they are, 0 to 255. If it was "
                    + "trained on scaled pixels (the README's Java example scales them to [0, 1]), its results "
                    + "are meaningless: say how with --preprocess scale (or none to silence this warning), or put "
                    + "the preprocessing in the model as its first layer, as Keras does (new Rescaling(1.0 / 255) "
                    + "after the Input, trained on the raw pixels), or record it before saving: "
                    + "model.metadata().put(\"" + PREPROCESSING + "\", Json.write(preprocessing.toMap(), false)).");
            assumed = Preprocessing.Kind.NONE;
        }
        return new ModelContext(recorded, assumed, classes);
    }

    /**
     * The name of the model's preprocessing layer ({@code Rescaling} or {@code Normalization}) when one comes
     * before any layer with weights to learn, else null: such a model was given the pixels as they are.
     */
    private static String preprocessingLayer(Sequential model) {
        for (Layer layer : model.layers()) {
            if (layer instanceof Rescaling || layer instanceof Normalization) {
                return layer.name() + " (" + layer.className() + ")";
            }
            if (!layer.isPassThrough()) {
                return null;
            }
        }
        return null;
    }

    /** {@code pixels} as the model expects them: preprocessed as recorded in the file, or as assumed. */
    Inputs inputs(ByteTensor pixels) {
        if (preprocessing == null) {
            // Both kinds that may be assumed (none, and scale of raw bytes: / 255) need no statistics.
            preprocessing = Preprocessing.fit(assumed, pixels);
        }
        return preprocessing.apply(pixels);
    }

    String className(int k) {
        return classNames != null && k < classNames.length ? classNames[k] : Integer.toString(k);
    }
}
