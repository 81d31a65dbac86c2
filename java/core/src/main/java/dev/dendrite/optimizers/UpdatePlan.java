package dev.dendrite.optimizers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.ScheduleMath;
import dev.dendrite.backend.Slice;
import dev.dendrite.optimizers.schedules.LearningRateSchedule;

/**
 * One compiled model's optimizer step with Keras 3's options around the update rule, as a fixed list of device ops
 * (so that a recorded step replays it; nothing is read back):
 * <ol>
 *   <li>a schedule (or Keras 2's {@code decay}) writes the step's rate from the step counter into a rate slot of
 *       its own, which the update rule reads instead of the model's {@code hyper};</li>
 *   <li>with gradient accumulation, the gradients are added to an accumulator, or on every n-th step replaced by
 *       the accumulated mean; the parameters and the optimizer's slots are copied, the update runs on every step,
 *       and the copies are put back on the steps that only accumulate. This is how Keras's JAX backend does it:
 *       it works for every update rule without a branch on the host, at the cost of one copy of the parameters and
 *       slots (memory and two passes per step). The update rule sees Keras's {@code iterations}, the counter
 *       divided by n;</li>
 *   <li>with {@code use_ema}, the weights' moving average is updated (and written over the weights every
 *       {@code ema_overwrite_frequency} iterations); {@link #finish} writes it over the weights when fit ends.</li>
 * </ol>
 */
public final class UpdatePlan implements AutoCloseable {
    private final Backend backend;
    private final Optimizer optimizer;
    private final int n;
    private final int kind;
    private final int accumulation;
    private final OptimizerOptions options;
    private final List<Buffer> owned = new ArrayList<>();
    private Buffer schedule;
    private Buffer rate;
    private Buffer accumulator;
    private Buffer optimizerCounters;
    private Buffer[] backups;
    private Buffer average;

    /** Allocates what the optimizer's options need for {@code n} parameters and {@code slotCount} slots. */
    public UpdatePlan(Backend backend, Optimizer optimizer, int n, int slotCount) {
        this.backend = backend;
        this.optimizer = optimizer;
        this.n = n;
        this.options = optimizer.options();
        LearningRateSchedule s = optimizer.learningRateSchedule();
        if (s != null && options.decay() > 0) {
            throw new IllegalArgumentException("an optimizer with a learning-rate schedule (" + s.className()
                    + ") and Keras 2's decay " + options.decay() + "; use one or the other");
        }
        this.kind = s != null ? s.kind() : options.decay() > 0 ? ScheduleMath.LEGACY_DECAY : 0;
        this.accumulation = options.gradientAccumulationSteps();
        try {
            if (kind != 0) {
                float[] p = s != null ? s.parameters() : new float[] {(float) options.decay()};
                schedule = keep(DType.F32, p.length);
                backend.upload(p, 0, schedule.all());
                rate = keep(DType.F32, Backend.HYPER_LR + 1);
            }
            if (accumulation > 0) {
                accumulator = keep(DType.F32, Math.max(1, n));
                backend.fill(accumulator.all(), 0f);
                optimizerCounters = keep(DType.I32, Backend.COUNTERS_LENGTH);
                backups = new Buffer[slotCount + 1];
                for (int i = 0; i < backups.length; i++) {
                    backups[i] = keep(DType.F32, Math.max(1, n));
                }
            }
            if (options.useEma()) {
                average = keep(DType.F32, Math.max(1, n));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Buffer keep(DType type, int length) {
        Buffer b = backend.allocate(type, length);
        owned.add(b);
        return b;
    }

    /** Issues one optimizer step (the options' ops and the update rule) over {@code n} parameters. */
    public void update(Slice params, Slice grads, Slice[] slots, Slice hyper, Slice counters) {
        Slice stepHyper = stepRate(hyper, counters);
        if (accumulation == 0) {
            optimizer.apply(backend, params, grads, slots, n, stepHyper, counters);
        } else {
            backend.accumulateGradients(grads, accumulator.all(), n, counters, accumulation, optimizerCounters.all());
            Slice[] state = state(params, slots);
            for (int i = 0; i < state.length; i++) {
                backend.copy(state[i], backups[i].slice(0, n));
            }
            optimizer.apply(backend, params, grads, slots, n, stepHyper, optimizerCounters.all());
            for (int i = 0; i < state.length; i++) {
                backend.restoreUnlessUpdateStep(state[i], backups[i].all(), n, counters, accumulation);
            }
        }
        if (average != null) {
            backend.emaUpdate(params, average.all(), n, counters, Math.max(1, accumulation),
                    (float) options.emaMomentum(), options.emaOverwriteFrequency());
        }
    }

    /**
     * True when the step may be issued in parts ({@link #stepRate}, then {@link #updatePart} on each part of the
     * parameters, in any order) with the same results as {@link #update}: the rule updates each parameter alone
     * ({@link Optimizer#updatesEachParameterAlone}), so do its clipping and weight decay, and there is neither
     * gradient accumulation nor a moving average (whose copies and counters span all parameters). How a model
     * updates each layer as soon as its gradients are ready.
     */
    public boolean updatesInParts() {
        return accumulation == 0 && average == null && optimizer.updatesEachParameterAlone()
                && optimizer.gradientOptions().actsOnEachParameterAlone();
    }

    /**
     * True when {@link #update} ends with the optimizer's rule ({@link Optimizer#apply}): neither gradient
     * accumulation (whose restore follows the rule) nor a moving average (whose update follows it, reading the
     * counters). Where it does, the rule's own kernel may end the training step (Backend.updateThenAdvanceCounters).
     */
    public boolean endsWithRule() {
        return accumulation == 0 && average == null;
    }

    /**
     * Issues the step's learning rate where a schedule computes it, and returns the slice the update rule reads it
     * from: the schedule's own slot, or {@code hyper} without a schedule (then nothing is issued).
     */
    public Slice stepRate(Slice hyper, Slice counters) {
        if (kind == 0) {
            return hyper;
        }
        backend.learningRateSchedule(schedule.all(), kind, counters, hyper, rate.all());
        return rate.all();
    }

    /**
     * Issues the update of parameters {@code [offset, offset + length)} alone, with the rate that {@link #stepRate}
     * returned for this step.
     *
     * @throws IllegalStateException when the plan cannot update in parts ({@link #updatesInParts})
     * @throws IllegalArgumentException when the part is not within the plan's parameters
     */
    public void updatePart(Slice params, Slice grads, Slice[] slots, int offset, int length, Slice stepHyper,
                           Slice counters) {
        if (!updatesInParts()) {
            throw new IllegalStateException(optimizer.name() + " with these options updates all " + n
                    + " parameters at once; it cannot update a part of them");
        }
        if (offset < 0 || length < 0 || offset > n - length) {
            throw new IllegalArgumentException("parameters [" + offset + ", " + ((long) offset + length)
                    + "); expected a part of [0, " + n + ")");
        }
        if (length == 0) {
            return;
        }
        Slice[] partSlots = new Slice[slots.length];
        for (int i = 0; i < slots.length; i++) {
            partSlots[i] = slots[i].slice(offset, length);
        }
        optimizer.apply(backend, params.slice(offset, length), grads.slice(offset, length), partSlots, length,
                stepHyper, counters);
    }

    private Slice[] state(Slice params, Slice[] slots) {
        Slice[] s = new Slice[slots.length + 1];
        s[0] = params.slice(0, n);
        for (int i = 0; i < slots.length; i++) {
            s[i + 1] = slots[i].slice(0, n);
        }
        return s;
    }

    /**
     * Keras's {@code finalize_variable_values}, called when fit ends: with {@code use_ema} the weights become
     * their moving average. Does nothing before the first step (the average is not formed yet).
     */
    public void finish(Slice params, long stepsDone) {
        if (average != null && stepsDone > 0 && n > 0) {
            backend.copy(average.slice(0, n), params.slice(0, n));
        }
    }

    /**
     * The plan's own state a resumed fit needs beside the optimizer's slots, by name: {@code "ema"} (the weights'
     * moving average, with {@code use_ema}) and {@code "accumulator"} (the gradients summed since the last update,
     * with {@code gradient_accumulation_steps}); each an F32 buffer at least {@link #parameterCount()} long. Empty
     * when the options need neither. The model file saves and restores these.
     */
    public Map<String, Buffer> stateBuffers() {
        Map<String, Buffer> m = new LinkedHashMap<>();
        if (average != null) {
            m.put("ema", average);
        }
        if (accumulator != null) {
            m.put("accumulator", accumulator);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * The counters the update rule sees under gradient accumulation (I32, {@link Backend#COUNTERS_LENGTH}: Keras's
     * {@code iterations}, the step counter divided by the accumulation steps, and the batch), or null without
     * accumulation, where the rule sees the model's own counters.
     */
    public Buffer optimizerCounters() {
        return optimizerCounters;
    }

    /**
     * Starts the plan's state afresh at step {@code stepsDone} of a model whose weights are {@code params}: the
     * moving average at the weights (as Keras builds it), nothing accumulated. For a file that holds the
     * optimizer's slots but not this state (written before the file carried it).
     */
    public void restartState(Slice params, long stepsDone) {
        if (average != null && n > 0) {
            backend.copy(params.slice(0, n), average.slice(0, n));
        }
        if (accumulator != null) {
            backend.fill(accumulator.all(), 0f);
            backend.upload(new int[] {(int) (stepsDone / accumulation), 0}, 0, optimizerCounters.all());
        }
    }

    /** The number of accumulation steps ({@code gradient_accumulation_steps}), 0 without accumulation. */
    public int accumulationSteps() {
        return accumulation;
    }

    /** The number of parameters the plan updates. */
    public int parameterCount() {
        return n;
    }

    @Override
    public void close() {
        owned.forEach(Buffer::close);
        owned.clear();
    }
}
