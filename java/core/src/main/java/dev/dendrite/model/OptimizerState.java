package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Buffer;
import dev.dendrite.io.TensorData;

/**
 * The optimizer's state in the model file, so that training resumed from a file continues where it stopped, as
 * from a {@code .keras} file: every slot of the optimizer (Adam's moments, momentum, accumulators: whatever
 * {@link dev.dendrite.optimizers.Optimizer#slotInitialValues()} lists) as a tensor {@code optimizer/slot_<i>} of
 * the parameter count, and the number of steps taken as {@code compile.optimizer_state.iterations}. Files
 * without it (older files, or saved before compiling) load with a fresh optimizer.
 */
final class OptimizerState {
    /** The tensor-name prefix of the slots; layer names cannot hold '/', so no weight name collides. */
    static final String PREFIX = "optimizer/";
    static final String CONFIG_KEY = "optimizer_state";

    private OptimizerState() {
    }

    static String slotName(int i) {
        return PREFIX + "slot_" + i;
    }

    /** Adds the slots of {@code engine}'s optimizer to {@code tensors} and returns the config entry. */
    static Map<String, Object> save(Engine engine, Map<String, TensorData> tensors) {
        Buffer[] slots = engine.slots();
        int n = engine.paramCount();
        for (int i = 0; i < slots.length; i++) {
            float[] v = new float[n];
            engine.backend().download(slots[i].slice(0, n), v, 0);
            tensors.put(slotName(i), new TensorData(new int[] {n}, v));
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("optimizer", engine.optimizer().name());
        c.put("iterations", engine.stepsDone());
        c.put("slots", slots.length);
        return c;
    }

    /** Removes the optimizer's tensors from {@code stored} (the file's tensors), in order. */
    static List<TensorData> take(Map<String, TensorData> stored) {
        List<TensorData> out = new ArrayList<>();
        for (int i = 0; stored.containsKey(slotName(i)); i++) {
            out.add(stored.remove(slotName(i)));
        }
        return out;
    }

    /**
     * Restores the state described by {@code config} (the {@code optimizer_state} entry, null when absent) from
     * {@code slots} into {@code engine}, compiled with the saved optimizer.
     *
     * @throws IOException when the entry and the tensors disagree with each other or with the optimizer
     */
    static void restore(Engine engine, Map<String, Object> config, List<TensorData> slots, Path file)
            throws IOException {
        if (config == null) {
            if (!slots.isEmpty()) {
                throw new IOException(file + ": holds " + slots.size() + " optimizer slot tensors but no "
                        + CONFIG_KEY + " entry");
            }
            return; // an older file: the optimizer starts fresh
        }
        long iterations = ((Number) config.get("iterations")).longValue();
        if (iterations < 0 || !engine.optimizer().name().equals(config.get("optimizer"))) {
            throw new IOException(file + ": " + CONFIG_KEY + " " + config + " does not fit optimizer "
                    + engine.optimizer().name() + "; expected its name and iterations >= 0");
        }
        Buffer[] buffers = engine.slots();
        int n = engine.paramCount();
        if (slots.size() != buffers.length) {
            throw new IOException(file + ": holds " + slots.size() + " optimizer slots; "
                    + engine.optimizer().name() + " has " + buffers.length);
        }
        for (int i = 0; i < buffers.length; i++) {
            if (slots.get(i).values().length != n) {
                throw new IOException(file + ": optimizer slot " + i + " has " + slots.get(i).values().length
                        + " values; expected " + n + ", one per trainable parameter");
            }
        }
        for (int i = 0; i < buffers.length; i++) {
            engine.backend().upload(slots.get(i).values(), 0, buffers[i].slice(0, n));
        }
        engine.restoreStepsDone(iterations);
    }
}
