package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Normalization;

/**
 * Keras's legacy HDF5 model files, {@code model.save("m.h5")}: what Keras 2 (tf.keras) wrote by default and Keras 3
 * still writes for a name ending in {@code .h5}, and what many course notebooks left behind. One HDF5 file: the root
 * group's string attributes {@code model_config} (the architecture, {@code model.get_config()} as JSON) and
 * {@code training_config} (loss, metrics and {@code optimizer_config}); the weights under
 * {@code model_weights/<layer>/}, with the attribute {@code layer_names} listing the layers in order and each layer
 * group's {@code weight_names} its weights' datasets in the layer's order ({@code dense/kernel:0} in Keras 2,
 * {@code sequential/dense/kernel} in Keras 3). Keras 2's {@code save_weights("w.h5")} writes the same weights
 * layout at the root, without the configs.
 *
 * <p>Weights are matched as Keras's {@code load_weights} matches them in this format: the file's layers that hold
 * weights, in order, against the model's, in order (names may differ: a notebook run twice names its layers
 * {@code dense_2}, {@code dense_3}, ...). The architecture goes through {@link KerasFiles#assemble}, as a
 * {@code .keras} file's does; Keras 2's spellings are read too. The optimizer's state in {@code optimizer_weights}
 * is read from files Keras 3 wrote (the same variables, in the same order, as in a {@code .keras} file); Keras 2's
 * kept other variables, so its files train on from a fresh optimizer.
 */
final class KerasLegacyFiles {
    private KerasLegacyFiles() {
    }

    /** Whether the HDF5 file's attributes are the legacy format's (a {@code layer_names} list), not Keras 3's. */
    static boolean isLegacy(Map<String, Map<String, Object>> attributes) {
        return attributes.getOrDefault("", Map.of()).containsKey("layer_names")
                || attributes.getOrDefault("model_weights", Map.of()).containsKey("layer_names");
    }

    /** The model a legacy {@code .h5} model file holds, on {@code backend} (null: the default). */
    @SuppressWarnings("unchecked")
    static Sequential load(Path file, byte[] bytes, Backend backend) throws IOException {
        Map<String, Map<String, Object>> attributes = Hdf5File.readAttributes(bytes, file.toString());
        Map<String, Object> root = attributes.getOrDefault("", Map.of());
        if (!(root.get("model_config") instanceof String modelConfig)) {
            throw new IOException(file + ": an HDF5 file without a model_config attribute: "
                    + (isLegacy(attributes) ? "Keras 2's weights only (save_weights)"
                            : "Keras 3's weights only (save_weights), or no Keras file")
                    + "; build the model in Dendrite and call loadWeights to read its weights");
        }
        Map<String, TensorData> datasets = Hdf5File.readDatasets(bytes, file.toString());
        Map<String, Object> config;
        Map<String, Object> compile = null;
        try {
            config = (Map<String, Object>) Json.parse(modelConfig);
            if (root.get("training_config") instanceof String training) {
                compile = compileConfig((Map<String, Object>) Json.parse(training));
            }
        } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + ": not a Keras model this Dendrite reads: " + e.getMessage(), e);
        }
        return KerasFiles.assemble(file.toString(), backend, config, null,
                model -> weights(model, attributes, datasets, "model_weights", file), compile, model -> {
                    if (String.valueOf(root.get("keras_version")).startsWith("3.")) {
                        KerasFiles.restoreOptimizer(model, optimizerVariables(attributes, datasets, file), file);
                    }
                    return null;
                });
    }

    /**
     * Keras 3's optimizer variables as a {@code .keras} file numbers them ({@code optimizer/vars/<i>}), from the
     * legacy file's {@code optimizer_weights}, whose {@code weight_names} list them in the same order (the
     * optimizer's {@code variables}). Keras 2 kept other variables in another order; its files are not read so.
     */
    private static Map<String, TensorData> optimizerVariables(Map<String, Map<String, Object>> attributes,
            Map<String, TensorData> datasets, Path file) throws IOException {
        Object names = attributes.getOrDefault("optimizer_weights", Map.of()).get("weight_names");
        Map<String, TensorData> vars = new LinkedHashMap<>();
        if (names == null) {
            return vars;
        }
        List<String> list = strings(names, "weight_names of optimizer_weights", file);
        for (int i = 0; i < list.size(); i++) {
            TensorData t = datasets.get("optimizer_weights/" + list.get(i));
            if (t == null) {
                throw new IOException(file + ": optimizer_weights lists " + list.get(i) + " but holds no such dataset");
            }
            vars.put("optimizer/vars/" + i, t);
        }
        return vars;
    }

    /**
     * Loads a legacy {@code .h5} file's weights (Keras 2's {@code save_weights}, or a model file) into a model;
     * {@code attributes}: the file's, already read to tell its format.
     */
    static void loadWeights(Sequential model, Path file, byte[] bytes, Map<String, Map<String, Object>> attributes)
            throws IOException {
        String group = attributes.getOrDefault("", Map.of()).containsKey("layer_names") ? "" : "model_weights";
        model.setWeights(weights(model, attributes, Hdf5File.readDatasets(bytes, file.toString()), group, file));
    }

    /**
     * The weights of the model's layers that hold any, in order, from the file's layers that hold any, in order
     * ({@code layer_names}, each with its {@code weight_names}); counts and shapes checked. A Normalization's
     * count, which Keras keeps after its mean and variance, is not needed.
     */
    private static List<float[]> weights(Sequential model, Map<String, Map<String, Object>> attributes,
            Map<String, TensorData> datasets, String group, Path file) throws IOException {
        String prefix = group.isEmpty() ? "" : group + "/";
        List<String> fileLayers = new ArrayList<>();
        Map<String, List<String>> weightNames = new LinkedHashMap<>();
        for (String name : strings(attributes.getOrDefault(group, Map.of()).get("layer_names"), "layer_names", file)) {
            List<String> names = strings(attributes.getOrDefault(prefix + name, Map.of()).get("weight_names"),
                    "weight_names of layer '" + name + "'", file);
            if (!names.isEmpty()) {
                fileLayers.add(name);
                weightNames.put(name, names);
            }
        }
        List<Layer> layers = model.layers().stream().filter(l -> !(l instanceof Input) && !l.weights().isEmpty())
                .toList();
        if (layers.size() != fileLayers.size()) {
            throw new IOException(file + ": holds weights for " + fileLayers.size() + " layers " + fileLayers
                    + "; the model has " + layers.size() + " layers with weights "
                    + layers.stream().map(Layer::name).toList());
        }
        List<float[]> values = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            String name = fileLayers.get(i);
            List<String> names = weightNames.get(name);
            int expected = layer.weights().size();
            if (layer instanceof Normalization && names.size() == expected + 1) {
                names = names.subList(0, expected);
            }
            if (names.size() != expected) {
                throw new IOException(file + ": layer '" + name + "' holds " + names.size() + " weights " + names
                        + "; the model's layer '" + layer.name() + "' (" + layer.className() + ") has " + expected);
            }
            for (int w = 0; w < expected; w++) {
                String path = prefix + name + "/" + names.get(w);
                TensorData t = datasets.get(path);
                int[] shape = layer.weights().get(w).shape();
                if (t == null || !Arrays.equals(t.shape(), shape)) {
                    throw new IOException(file + ": " + path + (t == null ? " is missing" : " has shape "
                            + Arrays.toString(t.shape())) + "; layer '" + layer.name() + "' expects its weight '"
                            + layer.weights().get(w).name() + "' of shape " + Arrays.toString(shape));
                }
                values.add(t.values());
            }
        }
        return values;
    }

    /** A list of strings from an attribute (an empty numeric array, as h5py writes an empty list, is empty). */
    private static List<String> strings(Object attribute, String what, Path file) throws IOException {
        if (attribute instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            for (Object o : list) {
                out.add((String) o);
            }
            return out;
        }
        if (attribute instanceof double[] empty && empty.length == 0) {
            return List.of();
        }
        throw new IOException(file + ": attribute " + what + " is " + (attribute == null ? "missing"
                : attribute.getClass().getSimpleName()) + "; expected a list of names");
    }

    /**
     * The legacy {@code training_config} in the form Keras 3's {@code get_compile_config()} has: its
     * {@code optimizer_config} as {@code optimizer}, without Keras 2's {@code Custom>} class prefix (its arguments
     * that set nothing, such as {@code jit_compile}, are not read; a nonzero Keras 2 {@code decay} is refused), and
     * Keras 2's metrics (a list per output of {@code MeanMetricWrapper}s) as their names.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> compileConfig(Map<String, Object> training) {
        Map<String, Object> optimizer = new LinkedHashMap<>((Map<String, Object>) training.get("optimizer_config"));
        optimizer.put("class_name", ((String) optimizer.get("class_name")).replaceFirst("^Custom>", ""));
        Object decay = ((Map<String, Object>) optimizer.get("config")).get("decay");
        if (decay instanceof Number d && d.doubleValue() != 0) { // Keras 2's lr / (1 + decay * iterations)
            throw new IllegalArgumentException("Keras 2 optimizer decay " + decay + "; expected 0. Compile the model"
                    + " here with an InverseTimeDecay schedule instead (decay_rate " + decay + ", decay_steps 1)");
        }
        Map<String, Object> compile = new LinkedHashMap<>();
        compile.put("optimizer", optimizer);
        compile.put("loss", training.get("loss"));
        if (training.get("metrics") instanceof List<?> metrics) {
            List<Object> flat = new ArrayList<>();
            for (Object m : metrics) {
                for (Object one : m instanceof List<?> perOutput ? perOutput : List.of(m)) {
                    flat.add(one instanceof Map<?, ?> wrapper && "MeanMetricWrapper".equals(wrapper.get("class_name"))
                            ? ((Map<String, Object>) wrapper.get("config")).get("name") : one);
                }
            }
            compile.put("metrics", flat);
        }
        return compile;
    }
}
