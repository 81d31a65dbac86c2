package dev.dendrite.model;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Set;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.Slice;

/**
 * The training steps (or, for one evaluate call, the evaluation batches) an {@link Engine} has recorded
 * ({@link Backend#capture}) and replays: on CUDA one graph launch per step instead of dozens of host calls. A recording is valid while everything it froze stays put (the data, the
 * epoch-order buffer, the batch shape, the dropout seed), so it is keyed by those; what the key cannot see (the
 * workspace, the optimizer, mixup) the engine handles by {@link #release releasing} every recording when it
 * replaces them.
 */
final class RecordedSteps {
    /**
     * What a recorded execution froze; one with another key is recorded anew. {@code variant}: what else the
     * caller's ops depend on (the engine's BatchBuffers.Plan: which batch buffers its steps use, which they gather).
     */
    private record Key(DeviceData data, Buffer order, int orderOffset, int batchSize, int rows, int steps, long seed,
            int variant) {
    }

    private static final int MAX_RECORDED = 8;

    private final Backend backend;
    /**
     * Recorded executions, least recently used first. A fit needs at most seven (its executions of full batches: the
     * epoch's first, which gathers its own batch, then one for each of the two batch buffers, a shorter one at the
     * epoch's end and its last full one, which prefetches nothing; then the last, partial batch) and releases them
     * when it ends; the bound only matters to callers of trainStep that vary the batch shape.
     */
    private final LinkedHashMap<Key, CapturedStep> recorded = new LinkedHashMap<>(8, 0.75f, true);
    /** Shapes whose first step has been issued directly; the next step of each is recorded. */
    private final Set<Key> issuedOnce = new HashSet<>();

    RecordedSteps(Backend backend) {
        this.backend = backend;
    }

    /**
     * Runs {@code step}, {@code steps} training steps on rows of {@code data} in the order {@code permutation}
     * (null: stored order) with batches of {@code batchSize}, {@code rows} of them now, dropout seed {@code seed}
     * and the caller's {@code variant}: issued directly the first time for this key, recorded the second time,
     * replayed from then on.
     */
    void run(DeviceData data, Slice permutation, int batchSize, int rows, int steps, long seed, int variant,
            Runnable step) {
        Key key = new Key(data, permutation == null ? null : permutation.buffer(),
                permutation == null ? 0 : permutation.offset(), batchSize, rows, steps, seed, variant);
        CapturedStep s = recorded.get(key);
        if (s == null && issuedOnce.add(key)) {
            // The first step of a shape is issued directly: a backend tunes itself to new shapes then (timing
            // GEMM variants needs to wait for the device, which a recording cannot), and bad input fails at the
            // op that meets it.
            step.run();
            return;
        }
        if (s == null) {
            if (recorded.size() >= MAX_RECORDED) {
                Iterator<CapturedStep> eldest = recorded.values().iterator();
                eldest.next().close();
                eldest.remove();
            }
            s = backend.capture(step);
            recorded.put(key, s);
        }
        s.run();
    }

    /** Frees every recording (and forgets the shapes seen): the first failure is thrown once all are closed. */
    void release() {
        RuntimeException first = null;
        for (CapturedStep s : recorded.values()) {
            try {
                s.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        recorded.clear();
        issuedOnce.clear();
        if (first != null) {
            throw first;
        }
    }
}
