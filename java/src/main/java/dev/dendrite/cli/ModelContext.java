package dev.dendrite.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dendrite.data.Preprocessing;
import dev.dendrite.io.Json;
import dev.dendrite.model.Sequential;

/** What {@code train} stores beside the weights, read back by {@code evaluate} and {@code predict}. */
final class ModelContext {
    final Preprocessing preprocessing;
    final String[] classNames;

    private ModelContext(Preprocessing preprocessing, String[] classNames) {
        this.preprocessing = preprocessing;
        this.classNames = classNames;
    }

    @SuppressWarnings("unchecked")
    static ModelContext of(Sequential model, Path file) throws IOException {
        String prep = model.metadata().get("preprocessing");
        String names = model.metadata().get("class_names");
        try {
            Preprocessing p = prep == null ? null : Preprocessing.fromMap((Map<String, ?>) Json.parse(prep));
            String[] classes = null;
            if (names != null) {
                classes = ((List<Object>) Json.parse(names)).stream().map(String::valueOf).toArray(String[]::new);
            }
            return new ModelContext(p, classes);
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable preprocessing or class names in the model's metadata: "
                    + e.getMessage(), e);
        }
    }

    String className(int k) {
        return classNames != null && k < classNames.length ? classNames[k] : Integer.toString(k);
    }
}
