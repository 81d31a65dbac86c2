package dev.dendrite.backend;

/** Element types a backend buffer can hold. */
public enum DType {
    /** 32-bit IEEE float: parameters, activations, gradients. */
    F32(4),
    /** 32-bit signed integer: sparse labels, permutations, step counters. */
    I32(4),
    /** Unsigned byte: device-resident image datasets (pixels 0..255). */
    U8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}
