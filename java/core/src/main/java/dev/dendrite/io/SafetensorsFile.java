package dev.dendrite.io;

import dev.dendrite.backend.DType;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated contents of a .safetensors file, as returned by {@link Safetensors#read}: its metadata and its
 * tensors, both in the order of the file's header. Immutable.
 */
public final class SafetensorsFile {
    private final Path file;
    private final Map<String, String> metadata;
    private final Map<String, StoredTensor> tensors;

    SafetensorsFile(Path file, Map<String, String> metadata, Map<String, StoredTensor> tensors) {
        this.file = file;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    /** The {@code __metadata__} pairs (empty if the file has none), unmodifiable, in file order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Every tensor, any dtype, unmodifiable, in header order. */
    public Map<String, StoredTensor> stored() {
        return tensors;
    }

    /**
     * The F32 tensor {@code name}.
     *
     * @throws IllegalArgumentException if there is no such tensor
     * @throws IllegalStateException    if it is not F32
     */
    public TensorData tensor(String name) {
        StoredTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + file + "; it has " + names());
        }
        if (t.dtype() != DType.F32) {
            throw new IllegalStateException("tensor '" + name + "' in " + file + " has dtype " + t.dtype()
                    + "; expected F32");
        }
        return t.toTensorData();
    }

    /**
     * All tensors as F32 {@link TensorData}, in header order; a new map the caller may modify.
     *
     * @throws IllegalStateException naming the first tensor that is not F32 (use {@link #stored()} for those)
     */
    public LinkedHashMap<String, TensorData> tensors() {
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            out.put(name, tensor(name));
        }
        return out;
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors, metadata " + metadata.keySet() + "]";
    }
}
