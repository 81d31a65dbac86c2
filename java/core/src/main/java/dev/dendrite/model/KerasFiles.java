package dev.dendrite.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import dev.dendrite.backend.Backend;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.io.TensorData;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Layers;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.losses.Loss;
import dev.dendrite.metrics.MetricConfigs;
import dev.dendrite.optimizers.Optimizer;

/**
 * Keras 3's own files, read so that a model trained in a Keras notebook predicts, evaluates and trains on here:
 * {@code model.save("m.keras")}, a zip of {@code config.json} (the architecture and the compile configuration, as
 * {@code model.get_config()} and {@code model.get_compile_config()} give them), {@code metadata.json} and
 * {@code model.weights.h5} (the weights, HDF5, read by {@link Hdf5File}); and
 * {@code model.save_weights("w.weights.h5")}, that HDF5 file alone.
 *
 * <p>The weights file names each layer's group after its class, not its name: {@code layers/dense},
 * {@code layers/dense_1}, ... in the order of the model's layers (Keras's {@code saving_lib}), and its variables
 * {@code vars/0}, {@code vars/1}, ... in the order {@code layer.weights} lists them, which is Dendrite's (a
 * {@code Normalization} layer's adapted mean and variance too; Keras's count after them is not needed).
 *
 * <p>Read: a {@code Sequential} of the layers {@link Layers#fromConfig} knows, compiled where the file holds a
 * compile configuration of a known optimizer, loss and metrics; the optimizer's step count and slots too where
 * their layout in Keras's variables is known ({@link #kerasSlotBlocks}: every rule but Adafactor, without EMA or
 * gradient accumulation, no layer frozen), so that training goes on as it would in Keras; otherwise the optimizer
 * starts from fresh state. Anything that is not a {@code Sequential} (a
 * Functional or subclassed model) is refused by name. {@link KerasFileWriter} writes the same layout; a file it
 * wrote also keeps Dendrite's seed and metadata in {@code metadata.json}, which are read back here.
 */
final class KerasFiles {
    /** Largest config.json read: a crafted zip entry must not inflate without bound. */
    private static final int MAX_CONFIG_BYTES = 64 << 20;
    private static final byte[] ZIP = {'P', 'K', 3, 4};
    /** The key of metadata.json under which Dendrite's own files keep the seed and the model's metadata. */
    static final String DENDRITE_KEY = "dendrite";

    private KerasFiles() {
    }

    /** Whether {@code file} starts as a zip does: a {@code .keras} file rather than Dendrite's safetensors. */
    static boolean isKerasModel(Path file) throws IOException {
        return startsWith(file, ZIP);
    }

    /** Whether {@code file} is HDF5: Keras's {@code .weights.h5} or a legacy {@code .h5} model file. */
    static boolean isHdf5(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Hdf5File.startsWithSignature(in.readNBytes(8));
        }
    }

    private static boolean startsWith(Path file, byte[] magic) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(magic.length), magic);
        }
    }

    /** The model a {@code .keras} file holds, on {@code backend} (null: the default). */
    @SuppressWarnings("unchecked")
    static Sequential load(Path file, Backend backend) throws IOException {
        String configJson;
        String metadataJson;
        Map<String, TensorData> stored;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            configJson = new String(entry(zip, "config.json", file, MAX_CONFIG_BYTES), StandardCharsets.UTF_8);
            metadataJson = zip.getEntry("metadata.json") == null ? "{}"
                    : new String(entry(zip, "metadata.json", file, MAX_CONFIG_BYTES), StandardCharsets.UTF_8);
            String weightsName = "model.weights.h5";
            stored = Hdf5File.readDatasets(entry(zip, weightsName, file, Integer.MAX_VALUE - 8),
                    file + "!" + weightsName);
        }
        Map<String, Object> c;
        Map<String, Object> dendrite;
        try {
            c = (Map<String, Object>) Json.parse(configJson);
            // a file Dendrite wrote keeps what Keras has no place for in metadata.json
            dendrite = (Map<String, Object>) ((Map<String, Object>) Json.parse(metadataJson)).get(DENDRITE_KEY);
        } catch (ClassCastException | IllegalArgumentException e) {
            throw new IOException(file + ": not a Keras model this Dendrite reads: " + e.getMessage(), e);
        }
        return assemble(file.toString(), backend, c, dendrite, model -> weights(model, stored, file),
                compileConfig(c), model -> {
                    restoreOptimizer(model, stored, file);
                    return null;
                });
    }

    /**
     * The model Keras's {@code model.to_json()} describes ({@code keras.models.model_from_json}): its layers with
     * fresh weights from the model's seed, compiled when the JSON holds a compile configuration (Keras 3 writes one
     * for a compiled model), on {@code backend} (null: the default).
     *
     * @throws IllegalArgumentException naming what in the JSON is not a Sequential model Dendrite reads
     */
    @SuppressWarnings("unchecked")
    static Sequential fromJson(String json, Backend backend) {
        Objects.requireNonNull(json, "json");
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model JSON: not JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> c) || !(c.get("config") instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("model JSON: expected an object with \"class_name\" and \"config\", "
                    + "as Keras's model.to_json() writes; got " + abbreviated(json));
        }
        try {
            return assemble("model JSON", backend, (Map<String, Object>) c, null, Sequential::getWeights,
                    compileConfig(c), model -> null);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A serialized model's {@code compile_config}, or null when it has none (or no optimizer: not compiled). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> compileConfig(Map<?, ?> model) {
        return model.get("compile_config") instanceof Map<?, ?> cc && cc.get("optimizer") != null
                ? (Map<String, Object>) cc : null;
    }

    private static String abbreviated(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** What a model file gives a model being assembled (its weights, its optimizer's state). */
    @FunctionalInterface
    interface FromFile<T> {
        T apply(Sequential model) throws IOException;
    }

    /**
     * The {@code Sequential} a Keras model config ({@code model.get_config()} wrapped as {@code serialize} writes it)
     * describes, on {@code backend} (null: the default), with {@code weights}' values; compiled as
     * {@code compileConfig} says (Keras 3's {@code get_compile_config()} form; null: not compiled), then given
     * {@code optimizerState}; with Dendrite's seed and metadata where {@code dendrite} (a file Dendrite wrote) holds
     * them. Keras 3's and Keras 2's configs both: the input shape from an {@code InputLayer}'s {@code batch_shape}
     * (Keras 2: {@code batch_input_shape}), a first layer's {@code batch_input_shape} (Keras 2), or the model's
     * build configuration. {@code file} names the source in errors.
     */
    @SuppressWarnings("unchecked")
    static Sequential assemble(String file, Backend backend, Map<String, Object> c, Map<String, Object> dendrite,
            FromFile<List<float[]>> weights, Map<String, Object> compileConfig, FromFile<Void> optimizerState)
            throws IOException {
        Sequential model = null;
        try {
            if (!"Sequential".equals(c.get("class_name"))) {
                throw new IOException(file + ": a Keras " + c.get("class_name") + " model; Dendrite reads Sequential"
                        + " models (a Functional or subclassed model has no Sequential equivalent)");
            }
            Map<String, Object> config = (Map<String, Object>) c.get("config");
            model = new Sequential();
            if (dendrite != null) {
                model.seed(ModelFiles.seedFromJson(dendrite.get("seed")));
            }
            if (config.get("name") instanceof String name) {
                model.name(name);
            }
            if (backend != null) {
                model.backend(backend);
            }
            int[] inputShape = null;
            List<Object> layerConfigs = (List<Object>) config.get("layers");
            if (layerConfigs.size() > ModelFiles.MAX_LAYERS) {
                throw new IOException(file + ": the config lists " + layerConfigs.size() + " layers; expected at most "
                        + ModelFiles.MAX_LAYERS + " (a damaged or crafted file)");
            }
            for (Object o : layerConfigs) {
                Map<String, Object> l = (Map<String, Object>) o;
                String className = (String) l.get("class_name");
                Map<String, Object> lc = (Map<String, Object>) l.get("config");
                Object batchShape = lc.get("batch_shape") != null ? lc.get("batch_shape") : lc.get("batch_input_shape");
                if ("InputLayer".equals(className)) {
                    inputShape = sampleShape(batchShape, "InputLayer batch_shape");
                    model.add(new Input(inputShape).named((String) lc.get("name")));
                    continue;
                }
                if (inputShape == null && batchShape != null) { // Keras 2: Dense(4, input_shape=(6,)) first
                    inputShape = sampleShape(batchShape, className + " batch_input_shape");
                }
                model.add(Layers.fromConfig(className, (String) lc.get("name"), lc));
            }
            if (inputShape == null) { // a Sequential built without an Input: its build configuration says
                Map<String, Object> build = (Map<String, Object>) c.get("build_config");
                Object shape = build != null ? build.get("input_shape") : config.get("build_input_shape");
                if (shape == null) {
                    throw new IOException(file + ": the model has no Input layer and no build_config input_shape;"
                            + " a model saved before it was built has no weights to read");
                }
                inputShape = sampleShape(shape, "build_config input_shape");
            }
            model.build(inputShape);
            model.setWeights(weights.apply(model));
            if (dendrite != null) {
                for (Map.Entry<String, Object> e : ((Map<String, Object>) dendrite.get("metadata")).entrySet()) {
                    model.metadata().put(e.getKey(), (String) e.getValue());
                }
            }
            if (compileConfig != null) {
                compile(model, compileConfig, file);
                optimizerState.apply(model);
            }
            return model;
        } catch (ClassCastException | NullPointerException | IllegalArgumentException | ArithmeticException
                 | IllegalStateException e) {
            close(model);
            throw new IOException(file + ": not a Keras model this Dendrite reads: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            close(model);
            throw e;
        }
    }

    /** Loads a Keras {@code .weights.h5} file (Keras's {@code save_weights}) into a built model of the same layers. */
    static void loadWeights(Sequential model, Path file, byte[] bytes) throws IOException {
        Map<String, TensorData> stored = Hdf5File.readDatasets(bytes, file.toString());
        model.setWeights(weights(model, stored, file));
    }

    private static void close(Sequential model) {
        if (model != null) {
            model.close();
        }
    }

    private static byte[] entry(ZipFile zip, String name, Path file, int limit) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + ": no " + name + " in this zip; a Keras 3 .keras file holds config.json,"
                    + " metadata.json and model.weights.h5");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] bytes = in.readNBytes(limit);
            if (in.read() >= 0) {
                throw new IOException(file + ": " + name + " is larger than " + limit + " bytes");
            }
            return bytes;
        }
    }

    /** The shape of one sample from Keras's {@code [null, d1, d2, ...]}. */
    private static int[] sampleShape(Object batchShape, String what) throws IOException {
        if (!(batchShape instanceof List<?> dims) || dims.size() < 2) {
            throw new IOException(what + " " + batchShape + "; expected [null, d1, ...]");
        }
        int[] shape = new int[dims.size() - 1];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i + 1) instanceof Number n) || n.intValue() <= 0) {
                throw new IOException(what + " " + batchShape + "; expected positive sizes after the batch's");
            }
            shape[i] = n.intValue();
        }
        return shape;
    }

    /**
     * The group of the next layer of class {@code className}: Keras's {@code to_snake_case} of the class name,
     * then {@code _1}, {@code _2}, ... for the second, third, ... of the same class.
     */
    static String group(String className, Map<String, Integer> seen) {
        String name = snakeCase(className);
        int count = seen.merge(name, 1, Integer::sum) - 1;
        return count == 0 ? name : name + "_" + count;
    }

    /** Keras's {@code naming.to_snake_case}: {@code BatchNormalization} to {@code batch_normalization}. */
    private static String snakeCase(String className) {
        return className.replaceAll("\\W+", "").replaceAll("(.)([A-Z][a-z]+)", "$1_$2")
                .replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /**
     * Every weight of the model's layers, in order, from each layer's group (after the Input, named by
     * {@link #group} from its Keras class name): variable i of a layer is its i-th weight; shapes checked, and no
     * variable of a layer with weights left unread.
     */
    private static List<float[]> weights(Sequential model, Map<String, TensorData> stored, Path file)
            throws IOException {
        List<float[]> values = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Layer layer : model.layers()) {
            if (layer instanceof Input) {
                continue;
            }
            String group = "layers/" + group(layer.className(), seen);
            List<WeightSpec> specs = layer.weights();
            for (int i = 0; i < specs.size(); i++) {
                String path = group + "/vars/" + i;
                TensorData t = stored.get(path);
                if (t == null) {
                    throw new IOException(file + ": no " + path + " for weight '" + specs.get(i).name()
                            + "' of layer '" + layer.name() + "' (" + layer.className() + "); the file holds "
                            + stored.keySet().stream().filter(k -> k.startsWith("layers/")).toList());
                }
                if (!Arrays.equals(t.shape(), specs.get(i).shape())) {
                    throw new IOException(file + ": " + path + " (weight '" + specs.get(i).name() + "' of layer '"
                            + layer.name() + "') has shape " + Arrays.toString(t.shape()) + "; the layer expects "
                            + Arrays.toString(specs.get(i).shape()));
                }
                values.add(t.values());
            }
            // Keras's Normalization keeps a count beside its mean and variance: Dendrite needs only those
            String extra = group + "/vars/" + (specs.size() + (layer instanceof Normalization ? 1 : 0));
            if (!specs.isEmpty() && stored.containsKey(extra)) {
                throw new IOException(file + ": layer '" + layer.name() + "' (" + layer.className() + ") has "
                        + specs.size() + " weights here but the file holds more: " + extra);
            }
        }
        return values;
    }

    /**
     * The optimizer's state from Keras's optimizer variables, {@code optimizer/vars/<i>}: the step count, the
     * learning rate unless it is a schedule, then the slots in Keras's layout ({@link #kerasSlotBlocks}). Left
     * fresh where that layout is not known (see there) or the file holds none.
     */
    static void restoreOptimizer(Sequential model, Map<String, TensorData> stored, Path file)
            throws IOException {
        Engine engine = model.engine();
        String name = engine.optimizer().name();
        TensorData iterations = stored.get("optimizer/vars/0");
        int[][] blocks = kerasSlotBlocks(model);
        if (iterations == null || blocks == null) {
            return;
        }
        List<WeightSpec> trainable = trainableWeights(model);
        int slotCount = engine.optimizer().slotInitialValues().length;
        int vars = 0;
        while (stored.containsKey("optimizer/vars/" + vars)) {
            vars++;
        }
        int slotVars = slotCount * trainable.size() + kerasTrailingVariables(engine.optimizer());
        if (vars <= 2 && slotVars > 0) {
            return; // compiled, then saved before a step: Keras builds the slots at the first step, as a fresh one here
        }
        // 1 without a learning-rate variable (a schedule), else 2
        int first = vars - slotVars;
        if (first != 1 && first != 2) {
            throw new IOException(file + ": its " + name + " state holds " + vars + " variables; expected the step "
                    + "count, the learning rate and " + slotCount + " per trainable weight (" + trainable.size() + ")");
        }
        float[][] slots = new float[slotCount][engine.paramCount()];
        for (SlotVariable sv : slotVariables(trainable, blocks, first)) {
            String path = "optimizer/vars/" + sv.index();
            TensorData v = stored.get(path);
            if (!Arrays.equals(v.shape(), sv.weight().shape())) {
                throw new IOException(file + ": " + path + " (slot " + sv.slot() + " of " + name + " for weight '"
                        + sv.weight().name() + "') has shape " + Arrays.toString(v.shape()) + "; expected "
                        + Arrays.toString(sv.weight().shape()));
            }
            System.arraycopy(v.values(), 0, slots[sv.slot()], sv.offset(), v.size());
        }
        float steps = iterations.values()[0];
        Map<String, TensorData> tensors = new HashMap<>();
        for (int k = 0; k < slotCount; k++) {
            tensors.put(OptimizerState.slotName(k), new TensorData(new int[] {slots[k].length}, slots[k]));
        }
        OptimizerState.restore(engine, Map.of("optimizer", name, "iterations", (long) steps), tensors, file);
    }

    /**
     * Where Keras keeps the optimizer's slots among its variables: after the step count and the learning rate,
     * blocks of variables (one per {@code add_optimizer_variables} call of the rule's {@code build}), each holding
     * for every trainable weight in the model's order the Dendrite slots listed: Adam's, AdamW's, Adamax's, Nadam's,
     * Lamb's, Ftrl's and Adadelta's two interleaved (then amsgrad's maximum as a block of its own); RMSprop's
     * velocities, then its momentums, then its average gradients; SGD's and Lion's momentums; Adagrad's
     * accumulators. Dendrite's rules keep Keras's own quantities in those slots (their formulas are Keras's); after
     * the blocks Keras may keep {@link #kerasTrailingVariables} more. Null where the layout is not known (Adafactor,
     * whose factored moments Dendrite keeps otherwise), and with EMA, gradient accumulation or a frozen layer (Keras
     * keeps no state for a frozen layer's weights): the optimizer then starts afresh in the other library.
     */
    static int[][] kerasSlotBlocks(Sequential model) {
        Engine engine = model.engine();
        int slots = engine.optimizer().slotInitialValues().length;
        if (!engine.updatePlan().stateBuffers().isEmpty() || !model.layers().stream().allMatch(Layer::isTrainable)) {
            return null;
        }
        return switch (engine.optimizer().name()) {
            case "adam", "adamw" -> slots == 2 ? new int[][] {{0, 1}} : new int[][] {{0, 1}, {2}}; // amsgrad's v_hat
            case "adamax", "adadelta", "nadam", "lamb", "ftrl" -> new int[][] {{0, 1}};
            case "sgd", "adagrad", "rmsprop", "lion" -> {
                int[][] blocks = new int[slots][];
                for (int k = 0; k < slots; k++) {
                    blocks[k] = new int[] {k};
                }
                yield blocks;
            }
            default -> null;
        };
    }

    /**
     * One of Keras's optimizer variables that holds a slot: {@code optimizer/vars/<index>} is slot {@code slot} of
     * {@code weight}, whose values start at {@code offset} in Dendrite's buffer of that slot.
     */
    record SlotVariable(int index, WeightSpec weight, int slot, int offset) {
    }

    /**
     * The slot variables in Keras's order, numbered from {@code first}: for each of {@link #kerasSlotBlocks}'
     * blocks, each trainable weight in the model's order, each slot of the block. The one walk of the layout, for
     * the reader and the writer.
     */
    static List<SlotVariable> slotVariables(List<WeightSpec> trainable, int[][] blocks, int first) {
        List<SlotVariable> out = new ArrayList<>();
        int index = first;
        for (int[] block : blocks) {
            int offset = 0;
            for (WeightSpec w : trainable) {
                for (int slot : block) {
                    out.add(new SlotVariable(index++, w, slot, offset));
                }
                offset += w.size();
            }
        }
        return out;
    }

    /**
     * Keras's variables after the slots that Dendrite recomputes instead of keeping: Nadam's product of its momentum
     * schedule ({@code u_product}), which Dendrite derives from the step count.
     */
    static int kerasTrailingVariables(Optimizer optimizer) {
        return optimizer.name().equals("nadam") ? 1 : 0;
    }

    /** The trainable weights in the model's order: Keras's {@code model.trainable_variables}. */
    static List<WeightSpec> trainableWeights(Sequential model) {
        List<WeightSpec> trainable = new ArrayList<>();
        for (Layer layer : model.layers()) {
            layer.weights().stream().filter(WeightSpec::trainable).forEach(trainable::add);
        }
        return trainable;
    }

    /** Compiles {@code model} as Keras's compile configuration says. */
    @SuppressWarnings("unchecked")
    private static void compile(Sequential model, Map<String, Object> cc, String file) throws IOException {
        try {
            Object opt = cc.get("optimizer");
            Optimizer optimizer = opt instanceof String name ? Optimizer.fromName(name)
                    : Optimizer.fromConfig(((String) ((Map<String, Object>) opt).get("class_name"))
                            .toLowerCase(Locale.ROOT), (Map<String, Object>) ((Map<String, Object>) opt).get("config"));
            Object l = cc.get("loss");
            Loss loss;
            if (l instanceof String name) {
                loss = Loss.fromName(name);
            } else {
                Map<String, Object> lm = (Map<String, Object>) l;
                Map<String, Object> config = lm.get("config") == null ? Map.of()
                        : (Map<String, Object>) lm.get("config");
                if (config.get("ignore_class") != null) {
                    throw new IllegalArgumentException("loss ignore_class " + config.get("ignore_class")
                            + "; expected null");
                }
                loss = Loss.fromConfig(snakeCase((String) lm.get("class_name")),
                        Boolean.TRUE.equals(config.get("from_logits")), config);
                if (config.get("label_smoothing") instanceof Number n && n.doubleValue() != loss.labelSmoothing()) {
                    throw new IllegalArgumentException("loss label_smoothing " + n + " for " + loss.name()
                            + "; only categorical_crossentropy and binary_crossentropy smooth their labels");
                }
            }
            Object metrics = cc.get("metrics");
            model.compile(optimizer, loss, metrics == null ? List.of()
                    : MetricConfigs.fromCompileConfig((List<Object>) metrics));
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IOException(file + ": its compile configuration (" + Json.write(cc) + ") is not one this "
                    + "Dendrite reads: " + e.getMessage() + ". Load the weights into a model built and compiled here "
                    + "instead: loadWeights reads a .weights.h5 file", e);
        }
    }
}
