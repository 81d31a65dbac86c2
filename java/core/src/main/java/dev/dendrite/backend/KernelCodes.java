package dev.dendrite.backend;

/**
 * The numbers the GPU backends and their kernels agree on, as {@code kernels/common/activations.h} and
 * {@code kernels/common/errors.h} define them for the CUDA and OpenCL kernels alike.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public final class KernelCodes {
    /**
     * errors.h's codes of the device-side error block {@code [code, value, detail, limit]} (0: no error): a
     * gather index {@code value} at {@code indices[detail]} that is not a row of src ({@code limit} rows)...
     */
    public static final int ERROR_GATHER_ROW = 1;
    /** ...a batch {@code value} of size {@code detail} that reads past the {@code limit} positions available... */
    public static final int ERROR_GATHER_BATCH = 2;
    /** ...and a sparse label {@code value} in row {@code detail} that is not a class index in [0, limit). */
    public static final int ERROR_LABEL = 3;
    /** Ints in the error block. */
    public static final int ERROR_WORDS = 4;

    private KernelCodes() {
    }

    /** The activation's {@code DENDRITE_ACT_*} code in activations.h. */
    public static int activationCode(ActivationFunction f) {
        switch (f) {
            case LINEAR:
                return 0;
            case RELU:
                return 1;
            case SIGMOID:
                return 2;
            case TANH:
                return 3;
            case SOFTMAX:
                return 4;
            case SELU:
                return 5;
            case ELU:
                return 6;
            case LEAKY_RELU:
                return 7;
            case GELU:
                return 8;
            case SWISH:
                return 9;
            default:
                throw new IllegalArgumentException("activation " + f + " has no kernel code");
        }
    }
}
