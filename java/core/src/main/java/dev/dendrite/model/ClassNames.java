package dev.dendrite.model;

import java.util.Arrays;
import java.util.List;

import dev.dendrite.data.Inputs;
import dev.dendrite.data.KnownClassNames;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Layer;

/**
 * A model's class names, kept in its metadata under {@code "class_names"} (a JSON list, the key
 * {@code dendrite train} writes and {@code evaluate} and {@code predict} read), so that they travel in the model
 * file. {@code fit} records a dataset's names ({@link KnownClassNames}) when none were set and they match the
 * output's width: a model trained on Fashion-MNIST answers "Trouser", not "1".
 */
final class ClassNames {
    static final String KEY = "class_names";

    private ClassNames() {
    }

    static Sequential set(Sequential model, String... names) {
        if (names == null || names.length == 0) {
            throw new IllegalArgumentException("class names " + Arrays.toString(names)
                    + "; expected one name per output class");
        }
        for (int i = 0; i < names.length; i++) {
            if (names[i] == null) {
                throw new IllegalArgumentException("class name " + i + " of " + Arrays.toString(names)
                        + " is null; expected a name");
            }
        }
        model.metadata().put(KEY, Json.write(Arrays.asList(names), false));
        return model;
    }

    @SuppressWarnings("unchecked")
    static String[] of(Sequential model) {
        String json = model.metadata().get(KEY);
        if (json == null) {
            return null;
        }
        return ((List<Object>) Json.parse(json)).stream().map(String::valueOf).toArray(String[]::new);
    }

    /** Records the names of the dataset {@code x} comes from, unless the model has names already. */
    static void recordIfKnown(Sequential model, Inputs x) {
        String[] names = KnownClassNames.of(x);
        List<Layer> layers = model.layers();
        if (names != null && !model.metadata().containsKey(KEY)
                && names.length == layers.get(layers.size() - 1).outputSize()) {
            set(model, names);
        }
    }
}
