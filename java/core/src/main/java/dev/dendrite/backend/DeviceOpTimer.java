package dev.dendrite.backend;

import java.util.Map;

/**
 * A backend that can time its own ops on the device, from markers it places on its queue (CUDA events), so that
 * a profile shows what each op costs the device rather than what the host waits for it. {@link ProfilingBackend}
 * uses it when the backend it wraps implements it.
 *
 * <p>Markers must not be placed while a step is being recorded; the profiler never records steps.
 */
public interface DeviceOpTimer {

    /** Places a start marker on the device's queue; returns the token for {@link #end}. */
    int begin();

    /** Places the end marker of the op begun with {@code token} and charges the time between them to {@code key}. */
    void end(int token, String key);

    /**
     * Waits for the markers placed so far and adds, per key, {@code [ops, device nanoseconds]} measured since the
     * last drain to {@code into}.
     */
    void drain(Map<String, long[]> into);
}
