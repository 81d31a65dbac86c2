package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.io.TensorData;
import dev.dendrite.optimizers.UpdatePlan;

/**
 * The optimizer's state in the model file, so that training resumed from a file continues where it stopped, as
 * from a {@code .keras} file: every slot of the optimizer (Adam's moments, momentum, accumulators: whatever
 * {@link dev.dendrite.optimizers.Optimizer#slotInitialValues()} lists) as a tensor {@code optimizer/slot_<i>} of
 * the parameter count, and the number of steps taken as {@code compile.optimizer_state.iterations}. The state of
 * the options around the rule ({@link UpdatePlan}) travels too: the weights' moving average ({@code use_ema}) as
 * {@code optimizer/ema}, the gradients accumulated since the last update as {@code optimizer/accumulator}, and the
 * counters the rule sees under accumulation as {@code optimizer_state.optimizer_counters}. Files without the
 * optimizer's state (older files, or saved before compiling) load with a fresh optimizer; files with the slots but
 * without the options' state (written before it was saved) start that state afresh at the saved step: the
 * average at the loaded weights, nothing accumulated.
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

    private static TensorData read(Engine engine, Buffer b, int n) {
        float[] v = new float[n];
        engine.backend().download(b.slice(0, n), v, 0);
        return new TensorData(new int[] {n}, v);
    }

    /** Adds the slots of {@code engine}'s optimizer to {@code tensors} and returns the config entry. */
    static Map<String, Object> save(Engine engine, Map<String, TensorData> tensors) {
        Buffer[] slots = engine.slots();
        int n = engine.paramCount();
        for (int i = 0; i < slots.length; i++) {
            tensors.put(slotName(i), read(engine, slots[i], n));
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("optimizer", engine.optimizer().name());
        c.put("iterations", engine.stepsDone());
        c.put("slots", slots.length);
        UpdatePlan plan = engine.updatePlan();
        if (!plan.stateBuffers().isEmpty()) {
            for (Map.Entry<String, Buffer> e : plan.stateBuffers().entrySet()) {
                tensors.put(PREFIX + e.getKey(), read(engine, e.getValue(), n));
            }
            c.put("state", new ArrayList<>(plan.stateBuffers().keySet()));
        }
        if (plan.optimizerCounters() != null) {
            int[] counters = new int[Backend.COUNTERS_LENGTH];
            engine.backend().download(plan.optimizerCounters().all(), counters, 0);
            List<Object> list = new ArrayList<>();
            for (int v : counters) {
                list.add(v);
            }
            c.put("optimizer_counters", list);
        }
        return c;
    }

    /** Removes the optimizer's tensors (every name under {@value #PREFIX}) from {@code stored}, the file's tensors. */
    static Map<String, TensorData> take(Map<String, TensorData> stored) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        stored.keySet().removeIf(name -> {
            if (name.startsWith(PREFIX)) {
                out.put(name, stored.get(name));
                return true;
            }
            return false;
        });
        return out;
    }

    /**
     * Restores the state described by {@code config} (the {@code optimizer_state} entry, null when absent) from
     * {@code tensors} (what {@link #take} took) into {@code engine}, compiled with the saved optimizer and holding
     * the file's weights.
     *
     * @throws IOException when the entry and the tensors disagree with each other or with the optimizer
     */
    @SuppressWarnings("unchecked")
    static void restore(Engine engine, Map<String, Object> config, Map<String, TensorData> tensors, Path file)
            throws IOException {
        Map<String, TensorData> rest = new LinkedHashMap<>(tensors);
        List<TensorData> slots = new ArrayList<>();
        for (int i = 0; rest.containsKey(slotName(i)); i++) {
            slots.add(rest.remove(slotName(i)));
        }
        if (config == null) {
            if (!tensors.isEmpty()) {
                throw new IOException(file + ": holds " + tensors.size() + " optimizer tensors " + tensors.keySet()
                        + " but no " + CONFIG_KEY + " entry");
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
        UpdatePlan plan = engine.updatePlan();
        Map<String, Buffer> planBuffers = plan.stateBuffers();
        Object savedState = config.get("state");
        for (String name : rest.keySet()) {
            String key = name.substring(PREFIX.length());
            if (!planBuffers.containsKey(key)) {
                throw new IOException(file + ": holds optimizer tensor " + name + ", which "
                        + engine.optimizer().name() + " with its options does not use; expected only "
                        + planBuffers.keySet() + " beside the slots");
            }
            if (rest.get(name).values().length != n) {
                throw new IOException(file + ": optimizer tensor " + name + " has " + rest.get(name).values().length
                        + " values; expected " + n + ", one per trainable parameter");
            }
        }
        boolean withPlanState = savedState != null || !rest.isEmpty();
        if (withPlanState && !rest.keySet().equals(prefixed(planBuffers.keySet()))) {
            throw new IOException(file + ": holds optimizer tensors " + rest.keySet() + " (" + CONFIG_KEY
                    + ".state " + savedState + "); " + engine.optimizer().name() + " with its options needs "
                    + prefixed(planBuffers.keySet()));
        }
        int[] optimizerCounters = null;
        if (config.get("optimizer_counters") != null && plan.optimizerCounters() != null) {
            List<Object> saved = (List<Object>) config.get("optimizer_counters");
            if (saved.size() != Backend.COUNTERS_LENGTH) {
                throw new IOException(file + ": " + CONFIG_KEY + ".optimizer_counters " + saved + "; expected "
                        + Backend.COUNTERS_LENGTH + " counters");
            }
            optimizerCounters = new int[saved.size()];
            for (int i = 0; i < optimizerCounters.length; i++) {
                optimizerCounters[i] = ((Number) saved.get(i)).intValue();
                if (optimizerCounters[i] < 0) {
                    throw new IOException(file + ": " + CONFIG_KEY + ".optimizer_counters " + saved
                            + "; expected counters >= 0");
                }
            }
        }
        for (int i = 0; i < buffers.length; i++) {
            engine.backend().upload(slots.get(i).values(), 0, buffers[i].slice(0, n));
        }
        plan.restartState(engine.parameters(), iterations); // what an older file lacks starts afresh
        for (Map.Entry<String, TensorData> e : rest.entrySet()) {
            Buffer b = planBuffers.get(e.getKey().substring(PREFIX.length()));
            engine.backend().upload(e.getValue().values(), 0, b.slice(0, n));
        }
        if (optimizerCounters != null) {
            engine.backend().upload(optimizerCounters, 0, plan.optimizerCounters().all());
        }
        engine.restoreStepsDone(iterations);
    }

    private static Set<String> prefixed(Iterable<String> names) {
        Set<String> out = new LinkedHashSet<>();
        names.forEach(name -> out.add(PREFIX + name));
        return out;
    }
}
