package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.io.ModelFile;
import dev.dendrite.io.ReadLimits;
import dev.dendrite.io.Safetensors;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Layers;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.optimizers.Optimizer;

/**
 * Translates a {@link Sequential} to and from Dendrite's model file: a safetensors file whose metadata holds
 * the architecture and compile configuration as JSON (see {@link ModelFile}).
 *
 * <p>Loading trusts nothing the configuration says until the stored tensors agree with it: the layers' weight
 * names and shapes are worked out without allocating anything and compared with the file's tensors (which
 * the safetensors reader has checked against the file's size), so a small file whose configuration describes
 * an enormous model fails before any weight memory is taken. Weights holding NaN or infinities are refused,
 * naming the tensor, unless {@link ReadLimits#allowNonFiniteWeights()}; and such a model is never saved over
 * an existing file.
 */
final class ModelFiles {
    static final int CONFIG_VERSION = 1;
    /** More layers than any MLP has; a configuration listing more is refused before building any. */
    static final int MAX_LAYERS = 10_000;

    private ModelFiles() {
    }

    static void save(Sequential model, Path file, boolean withConfig) throws IOException {
        LinkedHashMap<String, TensorData> weights = weights(model);
        String nonFinite = firstNonFinite(weights);
        if (nonFinite != null && Files.exists(file)) {
            throw new IOException(file + ": not overwritten: the model's " + nonFinite + "; expected finite weights"
                    + " (training diverged?). Save it under a new name to inspect it");
        }
        String name = String.valueOf(file.getFileName());
        if (withConfig && name.endsWith(".keras")) { // Keras's own names: its files, for Keras to open
            KerasFileWriter.save(model, weights.values(), file);
        } else if (!withConfig && name.endsWith(".weights.h5")) {
            KerasFileWriter.saveWeights(model, weights.values(), file);
        } else if (withConfig) {
            Map<String, Object> config = config(model);
            if (config.get("compile") instanceof Map && model.engine().optimizer() != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> compile = (Map<String, Object>) config.get("compile");
                compile.put(OptimizerState.CONFIG_KEY, OptimizerState.save(model.engine(), weights));
            }
            ModelFile.write(file, Json.write(config, true), weights);
        } else {
            Safetensors.write(file, weights, Map.of());
        }
    }

    private static LinkedHashMap<String, TensorData> weights(Sequential model) {
        List<float[]> values = model.getWeights();
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        int i = 0;
        for (Layer layer : model.layers()) {
            for (WeightSpec w : layer.weights()) {
                out.put(ModelFile.weightName(layer.name(), w.name()), new TensorData(w.shape(), values.get(i++)));
            }
        }
        return out;
    }

    static Map<String, Object> config(Sequential model) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("config_version", CONFIG_VERSION);
        c.put("name", model.name());
        c.put("seed", seedToJson(model.seed()));
        c.put("input_shape", model.inputShape());
        List<Object> layers = new ArrayList<>();
        for (Layer layer : model.layers()) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("class_name", layer.className());
            l.put("name", layer.name());
            l.put("config", layerConfig(layer));
            layers.add(l);
        }
        c.put("layers", layers);
        if (model.optimizer() != null) {
            Map<String, Object> compile = new LinkedHashMap<>();
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("class_name", model.optimizer().name());
            opt.put("config", model.optimizer().config());
            compile.put("optimizer", opt);
            Map<String, Object> loss = new LinkedHashMap<>();
            loss.put("class_name", model.loss().name());
            loss.put("from_logits", model.loss().fromLogits());
            loss.putAll(model.loss().config());
            compile.put("loss", loss);
            compile.put("metrics", model.metricSpecs().stream().map(MetricConfigs::toCompileConfig).toList());
            c.put("compile", compile);
        }
        c.put("metadata", new LinkedHashMap<String, Object>(model.metadata()));
        return c;
    }

    /** The layer's config with its {@code trainable} flag, which {@link Layers#fromConfig} makes it again from. */
    static Map<String, Object> layerConfig(Layer layer) {
        Map<String, Object> config = new LinkedHashMap<>(layer.config());
        if (!layer.isTrainable()) { // as Keras writes it; left out while true, so other files stay as they were
            config.put("trainable", false);
        }
        return config;
    }

    /**
     * The seed as JSON keeps it: a number while a double holds it exactly (every seed files held before), a
     * string beyond 2^53, where JSON's numbers (doubles, as {@link Json} reads them) would round it.
     */
    static Object seedToJson(long seed) {
        return seed >= -(1L << 53) && seed <= 1L << 53 ? (Object) seed : Long.toString(seed);
    }

    /** The seed {@link #seedToJson} wrote. */
    static long seedFromJson(Object v) {
        return v instanceof String text ? Long.parseLong(text) : ((Number) v).longValue();
    }

    @SuppressWarnings("unchecked")
    static Sequential load(Path file, Backend backend) throws IOException {
        if (KerasFiles.isKerasModel(file)) {
            return KerasFiles.load(file, backend);
        }
        if (KerasFiles.isHdf5(file)) {
            return KerasLegacyFiles.load(file, Files.readAllBytes(file), backend);
        }
        ModelFile.Contents contents = ModelFile.read(file);
        Sequential model = null;
        try {
            Map<String, Object> c = (Map<String, Object>) Json.parse(contents.configJson());
            Object version = c.get("config_version");
            if (!(version instanceof Number) || ((Number) version).intValue() > CONFIG_VERSION) {
                throw new IOException(file + ": model config version " + version + " is not supported; this "
                        + "Dendrite reads version " + CONFIG_VERSION + " and older");
            }
            model = new Sequential();
            model.name((String) c.get("name"));
            model.seed(seedFromJson(c.get("seed")));
            if (backend != null) {
                model.backend(backend);
            }
            List<Object> layerConfigs = (List<Object>) c.get("layers");
            if (layerConfigs.size() > MAX_LAYERS) {
                throw new IOException(file + ": model config lists " + layerConfigs.size() + " layers; expected at"
                        + " most " + MAX_LAYERS + " (a damaged or crafted file)");
            }
            for (Object o : layerConfigs) {
                Map<String, Object> l = (Map<String, Object>) o;
                model.add(Layers.fromConfig((String) l.get("class_name"), (String) l.get("name"),
                        (Map<String, Object>) l.get("config")));
            }
            Map<String, Object> meta = (Map<String, Object>) c.get("metadata");
            List<Object> shape = (List<Object>) c.get("input_shape");
            int[] inputShape = new int[shape.size()];
            for (int i = 0; i < inputShape.length; i++) {
                inputShape[i] = ((Number) shape.get(i)).intValue();
            }
            Map<String, Object> compile = (Map<String, Object>) c.get("compile");
            model.buildLayers(inputShape);
            Map<String, TensorData> optimizerSlots = OptimizerState.take(contents.weights());
            List<float[]> values = matching(model, contents.weights(), file);
            model.build(inputShape);
            if (meta != null) {
                for (Map.Entry<String, Object> e : meta.entrySet()) {
                    model.metadata().put(e.getKey(), (String) e.getValue());
                }
            }
            model.setWeights(values); // before the optimizer's state, which may start its EMA at them
            if (compile != null) {
                Map<String, Object> opt = (Map<String, Object>) compile.get("optimizer");
                Map<String, Object> loss = (Map<String, Object>) compile.get("loss");
                List<Object> metrics = (List<Object>) compile.get("metrics");
                model.compile(Optimizer.fromConfig((String) opt.get("class_name"),
                                (Map<String, Object>) opt.get("config")),
                        Loss.fromConfig((String) loss.get("class_name"), Boolean.TRUE.equals(loss.get("from_logits")),
                                loss),
                        MetricConfigs.fromCompileConfig(metrics));
                OptimizerState.restore(model.engine(), (Map<String, Object>) compile.get(OptimizerState.CONFIG_KEY),
                        optimizerSlots, file);
            }
            return model;
        } catch (ClassCastException | NullPointerException | IllegalArgumentException | ArithmeticException
                 | IllegalStateException e) {
            if (model != null) {
                model.close();
            }
            throw new IOException(file + ": corrupted model configuration: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (model != null) {
                model.close();
            }
            throw e;
        }
    }

    /** Loads the weights and the optimizer's state of a file saved by {@link #save} into a compiled model. */
    @SuppressWarnings("unchecked")
    static void loadState(Sequential model, Path file) throws IOException {
        ModelFile.Contents contents = ModelFile.read(file);
        Map<String, TensorData> optimizerSlots = OptimizerState.take(contents.weights());
        model.setWeights(matching(model, contents.weights(), file));
        Map<String, Object> compile = (Map<String, Object>) ((Map<String, Object>) Json.parse(contents.configJson()))
                .get("compile");
        OptimizerState.restore(model.engine(), compile == null ? null
                : (Map<String, Object>) compile.get(OptimizerState.CONFIG_KEY), optimizerSlots, file);
    }

    static void loadWeights(Sequential model, Path file) throws IOException {
        if (KerasFiles.isHdf5(file)) {
            byte[] bytes = Files.readAllBytes(file);
            Map<String, Map<String, Object>> attributes = Hdf5File.readAttributes(bytes, file.toString());
            if (KerasLegacyFiles.isLegacy(attributes)) {
                KerasLegacyFiles.loadWeights(model, file, bytes, attributes);
            } else {
                KerasFiles.loadWeights(model, file, bytes);
            }
            return;
        }
        LinkedHashMap<String, TensorData> stored = ModelFile.readWeights(file);
        OptimizerState.take(stored); // a full model file's optimizer state is no weights
        model.setWeights(matching(model, stored, file));
    }

    /**
     * The stored values of every weight of {@code model}'s (built) layers, in order, once names, shapes, count
     * and finiteness are checked.
     */
    private static List<float[]> matching(Sequential model, Map<String, TensorData> stored, Path file)
            throws IOException {
        List<float[]> values = new ArrayList<>();
        int expected = 0;
        for (Layer layer : model.layers()) {
            for (WeightSpec w : layer.weights()) {
                expected++;
                String key = ModelFile.weightName(layer.name(), w.name());
                TensorData t = stored.get(key);
                if (t == null) {
                    throw new IOException(file + ": weight '" + key + "' is missing; the file holds "
                            + stored.keySet());
                }
                if (!java.util.Arrays.equals(t.shape(), w.shape())) {
                    throw new IOException(file + ": weight '" + key + "' has shape "
                            + java.util.Arrays.toString(t.shape()) + " but the model expects "
                            + java.util.Arrays.toString(w.shape()));
                }
                values.add(t.values());
            }
        }
        if (stored.size() != expected) {
            throw new IOException(file + ": holds " + stored.size() + " weights but the model has " + expected
                    + ": " + stored.keySet());
        }
        String nonFinite = firstNonFinite(stored);
        if (nonFinite != null && !ReadLimits.allowNonFiniteWeights()) {
            throw new IOException(file + ": " + nonFinite + "; expected finite weights (the model was saved after"
                    + " training diverged?). To load it anyway set -D" + ReadLimits.ALLOW_NON_FINITE_WEIGHTS + "=true");
        }
        return values;
    }

    /** "weight 'name' holds NaN at index i of n" for the first non-finite value, or null when all are finite. */
    private static String firstNonFinite(Map<String, TensorData> weights) {
        for (Map.Entry<String, TensorData> e : weights.entrySet()) {
            TensorData t = e.getValue();
            for (int i = 0; i < t.size(); i++) {
                float v = t.get(i);
                if (!Float.isFinite(v)) {
                    return "weight '" + e.getKey() + "' holds " + v + " at index " + i + " of " + t.size();
                }
            }
        }
        return null;
    }
}
