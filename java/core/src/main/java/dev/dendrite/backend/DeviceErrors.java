package dev.dendrite.backend;

import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_BATCH;
import static dev.dendrite.backend.KernelCodes.ERROR_GATHER_ROW;
import static dev.dendrite.backend.KernelCodes.ERROR_LABEL;

/**
 * Turns the device-side error block of {@code kernels/common/errors.h} ({@code [code, value, detail, limit]}) into
 * the exception a GPU backend throws from the {@code download} or {@code synchronize} that read it: the same
 * words for CUDA and OpenCL, and the same as the CPU backend's immediate checks ({@link OpChecks#badIndex},
 * {@link OpChecks#badLabel}) with where the value was found added.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public final class DeviceErrors {
    private static final String FOUND = " (found on the device by an op issued before this download/synchronize, "
            + "which skipped the bad element)";

    private DeviceErrors() {
    }

    /**
     * The exception for an error block, or null when it holds none ({@code words[0] == 0}).
     *
     * @param backend the backend's short name, for an unknown code
     */
    public static RuntimeException decode(String backend, int[] words) {
        switch (words[0]) {
            case 0:
                return null;
            case ERROR_GATHER_ROW:
                return new IllegalArgumentException(OpChecks.badIndex("gather", words[2], words[1], words[3]) + FOUND);
            case ERROR_GATHER_BATCH:
                return new IllegalArgumentException("gather: batch " + words[1] + " of size " + words[2]
                        + " reads past the " + words[3] + " positions available (counters[COUNTER_BATCH] out of range)"
                        + FOUND);
            case ERROR_LABEL:
                return new IllegalArgumentException(OpChecks.badLabel("softmaxCrossEntropy", words[1], words[2],
                        words[3]) + FOUND);
            default:
                return new IllegalStateException(backend + ": a kernel reported unknown error code " + words[0]
                        + " (value " + words[1] + ", detail " + words[2] + ", limit " + words[3] + ")" + FOUND);
        }
    }
}
