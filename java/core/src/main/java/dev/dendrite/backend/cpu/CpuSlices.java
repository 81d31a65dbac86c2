package dev.dendrite.backend.cpu;

import dev.dendrite.backend.Slice;

/**
 * The arrays behind slices that the op checks have passed (so they are open {@link CpuBuffer}s of the backend);
 * null for a null (optional) slice.
 */
final class CpuSlices {
    private CpuSlices() {
    }

    static CpuBuffer buffer(Slice s) {
        return (CpuBuffer) s.buffer();
    }

    static float[] floats(Slice s) {
        return s == null ? null : buffer(s).floats();
    }

    static int[] ints(Slice s) {
        return s == null ? null : buffer(s).ints();
    }

    static byte[] bytes(Slice s) {
        return buffer(s).bytes();
    }
}
