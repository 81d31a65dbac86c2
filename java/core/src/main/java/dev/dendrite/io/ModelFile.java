package dev.dendrite.io;

import dev.dendrite.backend.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dendrite's single-file model format: a plain .safetensors file (so the weights load in Python with
 * {@code safetensors.numpy.load_file} or any safetensors reader) whose {@code __metadata__} holds
 * <ul>
 * <li>{@code "format": "dendrite-model"},</li>
 * <li>{@code "format_version": "1"},</li>
 * <li>{@code "dendrite_config"}: a JSON object, as a string, describing the architecture and training
 *     configuration. Its content is the caller's; this class only checks that it is a JSON object.</li>
 * </ul>
 *
 * <p>Weights are F32 and named as Keras names them: {@code "<layer name>/<variable>"}, where the variable is
 * {@code kernel} (shape {@code [in, out]}), {@code bias}, {@code gamma}, {@code beta}, {@code moving_mean} or
 * {@code moving_variance}; {@link #weightName} builds such names.
 */
public final class ModelFile {
    /** Value of the {@code format} metadata entry that marks a Dendrite model. */
    public static final String FORMAT = "dendrite-model";
    /** The format version this class writes and the only one it reads. */
    public static final String FORMAT_VERSION = "1";
    /** Metadata key of the format marker. */
    public static final String KEY_FORMAT = "format";
    /** Metadata key of the format version. */
    public static final String KEY_FORMAT_VERSION = "format_version";
    /** Metadata key of the configuration JSON. */
    public static final String KEY_CONFIG = "dendrite_config";

    private ModelFile() {
    }

    /**
     * What a model file holds.
     *
     * @param configJson the configuration JSON exactly as written
     * @param weights    the weights in file order; a new map, the caller's to keep or modify
     */
    public record Contents(String configJson, LinkedHashMap<String, TensorData> weights) {
    }

    /**
     * The Keras-style tensor name {@code "<layer>/<variable>"}, e.g. {@code weightName("dense_1", "kernel")}.
     *
     * @throws IllegalArgumentException if either part is empty or contains '/'
     */
    public static String weightName(String layer, String variable) {
        if (layer.isEmpty() || layer.contains("/")) {
            throw new IllegalArgumentException("layer name \"" + layer + "\"; expected non-empty, without '/'");
        }
        if (variable.isEmpty() || variable.contains("/")) {
            throw new IllegalArgumentException("variable name \"" + variable + "\"; expected non-empty, without '/'");
        }
        return layer + "/" + variable;
    }

    /**
     * Atomically writes a model file: {@code weights} in iteration order (pass a {@link LinkedHashMap}) and the
     * metadata above. On failure the previous file, if any, is unchanged.
     *
     * @throws IllegalArgumentException before touching the file, if {@code configJson} is not a JSON object or a
     *                                  weight's name or value is invalid (see {@link Safetensors#write})
     * @throws IOException              if writing fails
     */
    public static void write(Path file, String configJson, Map<String, TensorData> weights) throws IOException {
        Object config;
        try {
            config = Json.parse(configJson);
        } catch (JsonException e) {
            throw new IllegalArgumentException("configJson is not valid JSON: " + e.getMessage(), e);
        }
        if (!(config instanceof Map)) {
            throw new IllegalArgumentException("configJson is a JSON " + (config == null ? "null"
                    : config.getClass().getSimpleName()) + "; expected a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_FORMAT, FORMAT);
        metadata.put(KEY_FORMAT_VERSION, FORMAT_VERSION);
        metadata.put(KEY_CONFIG, configJson);
        Safetensors.write(file, weights, metadata);
    }

    /**
     * Reads a model file written by {@link #write}. Like every read and write of a model file, it first removes
     * the temporary files that killed saves left in the file's folder ({@link AtomicFiles#removeOrphans}).
     *
     * @throws IOException if the file is unreadable, not valid safetensors, not a Dendrite model (no
     *                     {@code "format": "dendrite-model"} metadata; {@link #readWeights} may still load it), of
     *                     another format version, with a missing or invalid configuration, or holds a tensor that
     *                     is not F32
     */
    public static Contents read(Path file) throws IOException {
        SafetensorsFile st = readCleaningUp(file);
        Map<String, String> meta = st.metadata();
        String format = meta.get(KEY_FORMAT);
        if (!FORMAT.equals(format)) {
            throw new IOException(file + ": not a Dendrite model file: its metadata has "
                    + (format == null ? "no \"" + KEY_FORMAT + "\" entry" : "\"" + KEY_FORMAT + "\": " + Json.write(format))
                    + "; expected \"" + KEY_FORMAT + "\": \"" + FORMAT + "\" (ModelFile.readWeights loads the"
                    + " tensors of any safetensors file)");
        }
        String version = meta.get(KEY_FORMAT_VERSION);
        if (!FORMAT_VERSION.equals(version)) {
            throw new IOException(file + ": Dendrite model format_version "
                    + (version == null ? "is missing" : Json.write(version) + " is not supported")
                    + "; expected \"" + FORMAT_VERSION + "\" (a file from a newer Dendrite?)");
        }
        String config = meta.get(KEY_CONFIG);
        if (config == null) {
            throw new IOException(file + ": Dendrite model file has no \"" + KEY_CONFIG
                    + "\" metadata; expected the model configuration JSON");
        }
        Object parsed;
        try {
            parsed = Json.parse(config);
        } catch (JsonException e) {
            throw new IOException(file + ": \"" + KEY_CONFIG + "\" metadata is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map)) {
            throw new IOException(file + ": \"" + KEY_CONFIG + "\" metadata is not a JSON object; expected the model"
                    + " configuration");
        }
        return new Contents(config, weights(st));
    }

    /**
     * Reads the tensors of any safetensors file, Dendrite model or not, without looking at its metadata.
     *
     * @return the weights in file order; a new map, the caller's to keep or modify
     * @throws IOException if the file is unreadable, not valid safetensors, or holds a tensor that is not F32
     */
    public static LinkedHashMap<String, TensorData> readWeights(Path file) throws IOException {
        return weights(readCleaningUp(file));
    }

    /** Reads {@code file}, first removing the temporary files that killed saves left in its folder. */
    private static SafetensorsFile readCleaningUp(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            AtomicFiles.removeOrphans(dir);
        }
        return Safetensors.read(file);
    }

    private static LinkedHashMap<String, TensorData> weights(SafetensorsFile st) throws IOException {
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> e : st.stored().entrySet()) {
            if (e.getValue().dtype() != DType.F32) {
                throw new IOException(st.file() + ": tensor '" + e.getKey() + "' has dtype " + e.getValue().dtype()
                        + "; expected F32 weights");
            }
            out.put(e.getKey(), e.getValue().toTensorData());
        }
        return out;
    }
}
