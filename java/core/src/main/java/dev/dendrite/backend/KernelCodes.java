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
            case SOFTPLUS:
                return 10;
            case SOFTSIGN:
                return 11;
            case RELU6:
                return 12;
            case HARD_SIGMOID:
                return 13;
            case HARD_SILU:
                return 14;
            case MISH:
                return 15;
            case EXPONENTIAL:
                return 16;
            case CELU:
                return 17;
            case LOG_SIGMOID:
                return 18;
            case TANH_SHRINK:
                return 19;
            case HARD_TANH:
                return 20;
            case SOFT_SHRINK:
                return 21;
            case HARD_SHRINK:
                return 22;
            case SPARSE_PLUS:
                return 23;
            case SPARSE_SIGMOID:
                return 24;
            case SQUAREPLUS:
                return 25;
            default:
                throw new IllegalArgumentException("activation " + f + " has no kernel code");
        }
    }
}
