package dev.dendrite.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Hdf5Writer;
import dev.dendrite.io.Json;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.ImageAugmentation;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.RandomAffine;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.optimizers.Optimizer;

/**
 * Writes Keras 3's own files, so that a model trained here opens in a Keras notebook: {@code model.save(
 * Path.of("m.keras"))} writes what Keras's {@code model.save} writes (a zip of {@code metadata.json},
 * {@code config.json} and {@code model.weights.h5}), which {@code keras.saving.load_model} reads; and
 * {@code model.saveWeights(Path.of("w.weights.h5"))} the HDF5 file alone, for Keras's {@code model.load_weights}.
 *
 * <p>The layout mirrors {@link KerasFiles}, the reader: each layer's weights under {@code layers/<snake_case class>[_n]
 * /vars/<i>} in the order {@code layer.weights} lists them ({@link KerasFiles#group}), and the configurations as
 * Keras 3.15 serializes them ({@code module}, {@code class_name}, {@code config}, {@code registered_name}), the
 * layer's own keys being the ones {@link Layer#config()} already names after Keras's arguments. The optimizer's
 * state (the step count, the learning rate and the slots: Adam's moments, RMSprop's velocities, ...) is written as
 * Keras keeps it ({@link KerasFiles#kerasSlotBlocks}), so {@code fit} in Keras goes on as it would here; for the
 * rules whose layout is not known nothing is written, and Keras warns that it skips the optimizer's variables and
 * starts them afresh.
 *
 * <p>What Keras has no place for (the model's seed and {@link Sequential#metadata()}: the class names, the CLI's
 * preprocessing) travels in {@code metadata.json} under {@value KerasFiles#DENDRITE_KEY}, which Keras does not read
 * and {@link KerasFiles} does, so a model saved as {@code .keras} by {@code dendrite train} evaluates as before.
 *
 * <p>What Keras cannot express is refused before anything is written, naming the layer and the setting (an
 * activation's alpha other than Keras's default, a layer class Keras does not have): save such a model as
 * Dendrite's safetensors file instead.
 */
final class KerasFileWriter {
    /** The Keras version whose file layout this writes (and against which it was checked). */
    static final String KERAS_VERSION = "3.15.1";
    private static final Map<String, String> OPTIMIZER_CLASSES = Map.ofEntries(Map.entry("sgd", "SGD"),
            Map.entry("rmsprop", "RMSprop"), Map.entry("adagrad", "Adagrad"), Map.entry("adadelta", "Adadelta"),
            Map.entry("adam", "Adam"), Map.entry("adamw", "AdamW"), Map.entry("adamax", "Adamax"),
            Map.entry("nadam", "Nadam"), Map.entry("ftrl", "Ftrl"), Map.entry("lion", "Lion"),
            Map.entry("lamb", "Lamb"), Map.entry("adafactor", "Adafactor"));

    private KerasFileWriter() {
    }

    /** Writes {@code model} (built) as a {@code .keras} zip, atomically; {@code values}: its weights, in order. */
    static void save(Sequential model, Collection<TensorData> values, Path file) throws IOException {
        String config = Json.write(tidy(modelConfig(model)), true, true);
        byte[] weights = weights(model, values).toBytes();
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("keras_version", KERAS_VERSION);
        metadata.put("date_saved", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd@HH:mm:ss")));
        Map<String, Object> dendrite = new LinkedHashMap<>(); // what Keras has no place for; Keras ignores the key
        dendrite.put("seed", ModelFiles.seedToJson(model.seed()));
        dendrite.put("metadata", new LinkedHashMap<String, Object>(model.metadata()));
        metadata.put(KerasFiles.DENDRITE_KEY, dendrite);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
            stored(zip, "metadata.json", Json.write(metadata).getBytes(StandardCharsets.UTF_8));
            stored(zip, "config.json", config.getBytes(StandardCharsets.UTF_8));
            stored(zip, "model.weights.h5", weights);
        }
        AtomicFiles.write(file, zipped.toByteArray());
    }

    /** Keras's {@code model.to_json()} for a built model: {@link #modelConfig} on one line. */
    static String toJson(Sequential model) {
        return Json.write(tidy(modelConfig(model)), false, true);
    }

    /** Writes {@code model}'s weights ({@code values}, in order) as Keras's {@code .weights.h5}, atomically. */
    static void saveWeights(Sequential model, Collection<TensorData> values, Path file) throws IOException {
        AtomicFiles.write(file, weights(model, values).toBytes());
    }

    /**
     * Uncompressed, as Keras writes them: h5py reads the weights through the zip entry and seeks in it, which a
     * deflated entry makes slow.
     */
    private static void stored(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        e.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0)); // as Keras dates its entries
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
    }

    // ------------------------------------------------------------------------------------------ weights

    /** The weights file with the optimizer's variables: what Keras writes for {@code save} and {@code save_weights}. */
    private static Hdf5Writer weights(Sequential model, Collection<TensorData> values) {
        Hdf5Writer h5 = new Hdf5Writer();
        Iterator<TensorData> next = values.iterator();
        Map<String, Integer> seen = new HashMap<>();
        for (Layer layer : model.layers()) {
            if (layer instanceof Input) {
                continue;
            }
            String group = "layers/" + KerasFiles.group(layer.className(), seen) + "/vars";
            h5.attribute(group, "name", layer.name()); // Keras names each group's layer; the group is made with it
            List<WeightSpec> specs = layer.weights();
            for (int i = 0; i < specs.size(); i++) {
                h5.floats(group + "/" + i, next.next());
            }
            if (layer instanceof Normalization && !specs.isEmpty()) {
                h5.int32(group + "/" + specs.size(), 0); // Keras's adapt count; read only by a further adapt
            }
        }
        h5.attribute("vars", "name", model.name());
        if (model.optimizer() != null) {
            optimizerState(model, h5);
        }
        return h5;
    }

    /**
     * Keras's optimizer variables: the step count, the learning rate (unless a schedule), then the slots in Keras's
     * layout ({@link KerasFiles#kerasSlotBlocks}); nothing where that layout is not known.
     */
    private static void optimizerState(Sequential model, Hdf5Writer h5) {
        Engine engine = model.engine();
        Optimizer optimizer = engine.optimizer();
        int[][] blocks = KerasFiles.kerasSlotBlocks(model);
        if (blocks == null) {
            return;
        }
        String vars = "optimizer/vars";
        h5.attribute(vars, "name", optimizer.name());
        long steps = engine.stepsDone();
        if (steps > Integer.MAX_VALUE) {
            throw new IllegalStateException("the optimizer has taken " + steps + " steps; Keras counts them in an"
                    + " int32 (at most " + Integer.MAX_VALUE + ")");
        }
        h5.int32(vars + "/0", (int) steps);
        int next = 1;
        if (optimizer.learningRateSchedule() == null) {
            h5.floats(vars + "/" + next++, new TensorData(new int[0], new float[] {(float) optimizer.learningRate()}));
        }
        Map<String, TensorData> saved = new LinkedHashMap<>();
        OptimizerState.save(engine, saved);
        float[][] slots = new float[optimizer.slotInitialValues().length][];
        for (int k = 0; k < slots.length; k++) {
            slots[k] = saved.get(OptimizerState.slotName(k)).values();
        }
        List<KerasFiles.SlotVariable> slotVariables =
                KerasFiles.slotVariables(KerasFiles.trainableWeights(model), blocks, next);
        for (KerasFiles.SlotVariable sv : slotVariables) {
            float[] v = Arrays.copyOfRange(slots[sv.slot()], sv.offset(), sv.offset() + sv.weight().size());
            h5.floats(vars + "/" + sv.index(), new TensorData(sv.weight().shape(), v));
        }
        next += slotVariables.size();
        if (KerasFiles.kerasTrailingVariables(optimizer) > 0) { // Nadam's u_product, as Keras multiplies it
            double beta1 = ((Number) optimizer.config().get("beta_1")).doubleValue();
            float product = 1f;
            for (long k = 1; k <= steps; k++) {
                product *= (float) (beta1 * (1 - 0.5 * Math.pow(0.96, k)));
            }
            h5.floats(vars + "/" + next, new TensorData(new int[0], new float[] {product}));
        }
    }

    // ------------------------------------------------------------------------------------------ config

    /** The {@code config.json} Keras's {@code model.save} writes, for a built model. */
    static Map<String, Object> modelConfig(Sequential model) {
        List<Object> layers = new ArrayList<>();
        for (Layer layer : model.layers()) {
            layers.add(layer instanceof Input ? inputLayer(layer) : layer(layer));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", model.name());
        config.put("trainable", true);
        config.put("dtype", dtypePolicy());
        config.put("layers", layers);
        Map<String, Object> m = serialized("keras", "Sequential", config);
        m.put("build_config", Map.of("input_shape", batchShape(model.inputShape())));
        if (model.optimizer() != null) {
            m.put("compile_config", compileConfig(model));
        }
        return m;
    }

    private static Map<String, Object> serialized(String module, String className, Map<String, Object> config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("module", module);
        m.put("class_name", className);
        m.put("config", config);
        m.put("registered_name", null);
        return m;
    }

    private static Map<String, Object> dtypePolicy() {
        return serialized("keras", "DTypePolicy", Map.of("name", "float32"));
    }

    private static List<Object> batchShape(int[] shape) {
        List<Object> out = new ArrayList<>();
        out.add(null);
        for (int d : shape) {
            out.add(d);
        }
        return out;
    }

    private static Map<String, Object> inputLayer(Layer input) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("batch_shape", batchShape(input.outputShape()));
        c.put("dtype", "float32");
        c.put("sparse", false);
        c.put("ragged", false);
        c.put("name", input.name());
        c.put("optional", false);
        return serialized("keras.layers", "InputLayer", c);
    }

    private static Map<String, Object> layer(Layer layer) {
        if (layer instanceof RandomAffine) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (RandomAffine) has no Keras class; use"
                    + " Keras's RandomRotation, RandomTranslation, RandomZoom and RandomFlip, or save the model as"
                    + " Dendrite's .safetensors file");
        }
        if (layer instanceof ImageAugmentation && layer.inputShape().length != 3) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.className() + ") takes images"
                    + " of shape " + Layer.formatShape(layer.inputShape()) + "; Keras's image layers need a channel"
                    + " axis: build the model on (height, width, 1) images, or save it as Dendrite's .safetensors"
                    + " file");
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", layer.name());
        c.put("trainable", layer.isTrainable());
        c.put("dtype", dtypePolicy());
        Map<String, Object> own = new LinkedHashMap<>(layer.config());
        if (layer instanceof Activation a) { // Keras's Activation has no alpha: only its function's default is written
            dropDefault(layer, own, "alpha", new Activation(a.activation()).config().get("alpha"),
                    "a layer of its own (LeakyReLU(negative_slope) or ELU(alpha)) instead of Activation");
        } else if (layer instanceof Dense d) {
            dropDefault(layer, own, "activation_alpha", new Dense(1, d.activation()).config().get("activation_alpha"),
                    "Dense without activation followed by LeakyReLU(negative_slope) or ELU(alpha)");
        }
        for (Map.Entry<String, Object> e : own.entrySet()) {
            c.put(e.getKey(), value(e.getKey(), e.getValue()));
        }
        Map<String, Object> m = serialized("keras.layers", layer.className(), c);
        if (!layer.weights().isEmpty()) { // Keras records the shape a layer was built on only where build made weights
            m.put("build_config", Map.of("input_shape", batchShape(layer.inputShape())));
        }
        return m;
    }

    private static void dropDefault(Layer layer, Map<String, Object> config, String key, Object kerasDefault,
            String instead) {
        Object v = config.remove(key);
        if (v != null && !Objects.equals(v, kerasDefault)) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.className() + ") has " + key
                    + " " + v + "; Keras's has no such argument and uses " + kerasDefault + ". Use " + instead
                    + ", or save the model as Dendrite's .safetensors file");
        }
    }

    /**
     * A layer argument as Keras serializes it: Dendrite's {@code {"class_name": "glorot_uniform", "config": ...}}
     * initializers as Keras's classes, its {@code {"l1", "l2"}} regularizers as {@code L1}, {@code L2} or
     * {@code L1L2}; the rest as it is.
     */
    @SuppressWarnings("unchecked")
    private static Object value(String key, Object v) {
        if (!(v instanceof Map<?, ?> map) || map.containsKey("module")) {
            return v;
        }
        Map<String, Object> m = (Map<String, Object>) map;
        if (key.endsWith("_initializer")) {
            return serialized("keras.initializers", camelCase((String) m.get("class_name")),
                    new LinkedHashMap<>((Map<String, Object>) m.get("config")));
        }
        if (key.endsWith("_regularizer")) { // Keras's class for what is set: L1, L2 or both
            double l1 = ((Number) m.get("l1")).doubleValue();
            double l2 = ((Number) m.get("l2")).doubleValue();
            return l1 == 0 ? serialized("keras.regularizers", "L2", Map.of("l2", l2))
                    : l2 == 0 ? serialized("keras.regularizers", "L1", Map.of("l1", l1))
                    : serialized("keras.regularizers", "L1L2", new LinkedHashMap<>(m));
        }
        return v;
    }

    /**
     * The configuration with every number Dendrite keeps as a float32 written as that float's shortest decimal
     * ({@code 0.9}, not {@code 0.8999999761581421}), as a Keras user would have typed it; Keras reads the same
     * float32 either way.
     */
    @SuppressWarnings("unchecked")
    static Object tidy(Object v) {
        if (v instanceof Double d && !d.isNaN() && !d.isInfinite() && (double) d.floatValue() == d) {
            return Double.parseDouble(Float.toString(d.floatValue()));
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, x) -> out.put(k, tidy(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(KerasFileWriter::tidy).toList();
        }
        return v;
    }

    /** {@code glorot_uniform} to {@code GlorotUniform}: Keras's class for a name. */
    private static String camelCase(String snake) {
        StringBuilder s = new StringBuilder();
        for (String part : snake.split("_")) {
            if (!part.isEmpty()) {
                s.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return s.toString();
    }

    private static Map<String, Object> compileConfig(Sequential model) {
        Optimizer optimizer = model.optimizer();
        String optimizerClass = OPTIMIZER_CLASSES.get(optimizer.name());
        if (optimizerClass == null) {
            throw new IllegalArgumentException("optimizer '" + optimizer.name() + "' has no Keras class; expected one"
                    + " of " + OPTIMIZER_CLASSES.keySet());
        }
        Map<String, Object> oc = new LinkedHashMap<>();
        oc.put("name", optimizer.name());
        oc.putAll(optimizer.config());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("optimizer", serialized("keras.optimizers", optimizerClass, oc));
        c.put("loss", loss(model.loss()));
        List<Object> metrics = model.metricSpecs().stream().map(MetricConfigs::toCompileConfig).toList();
        c.put("metrics", metrics.isEmpty() ? null : metrics);
        return c; // compile's other arguments left to Keras's defaults (jit_compile "auto": the backend decides)
    }

    /** A loss by name where Keras's string means it; otherwise Keras's serialized class with its arguments. */
    private static Object loss(Loss loss) {
        if (!loss.fromLogits() && loss.config().isEmpty()) {
            return loss.name();
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", loss.name());
        c.put("reduction", "sum_over_batch_size");
        if (loss.name().endsWith("crossentropy")) { // Keras's other losses take no such argument
            c.put("from_logits", loss.fromLogits());
        }
        c.putAll(loss.config());
        return serialized("keras.losses", camelCase(loss.name()), c);
    }
}
