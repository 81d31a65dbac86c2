package dev.dendrite.backend;

/**
 * The device memory a GPU backend holds (buffers, work spaces, scratch), now and at its highest: what
 * {@link Backend#peakDeviceBytes()} reports. The backends call {@link #add} after each allocation and free.
 */
public final class DeviceMemoryMeter {
    private long held;
    private long peak;

    /** Adds {@code delta} bytes (negative for a free) to what is held, keeping the high-water mark. */
    public synchronized void add(long delta) {
        held += delta;
        peak = Math.max(peak, held);
    }

    /** The most bytes held at once so far. */
    public synchronized long peak() {
        return peak;
    }
}
