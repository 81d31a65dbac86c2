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
import dev.dendrite.model.Sequential;

/**
 * What {@code train} stores beside the weights (metadata {@code "preprocessing"} and {@code "class_names"}),
 * read back by {@code evaluate} and {@code predict}.
 *
 * <p>A model saved from Java with {@code model.save} does not record how its inputs were preprocessed unless
 * the program put it into {@code model.metadata()}. Raw pixels fed to a model trained on scaled ones give
 * nonsense that looks like an answer (a loss of 46, a class at 100%), so then the commands warn, once, and
 * take {@code --preprocess} as the user's word for it.
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
        if (recorded != null && assumed != null) {
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
                    + "the preprocessing in the model before saving it: model.metadata().put(\"" + PREPROCESSING
                    + "\", Json.write(preprocessing.toMap(), false)).");
            assumed = Preprocessing.Kind.NONE;
        }
        return new ModelContext(recorded, assumed, classes);
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
