package dev.dendrite.backend.opencl;

/**
 * An OpenCL call failed: the message names the op or call, the shapes involved and the OpenCL error (for
 * example {@code CL_MEM_OBJECT_ALLOCATION_FAILURE}); a failed program build carries the compiler's full log.
 */
public class OpenClException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param message what failed, with its context
     * @param status the OpenCL error code ({@code CL_*}, negative), or 0 when the failure is not an OpenCL error
     * @param cause the underlying exception, or null
     */
    public OpenClException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The OpenCL error code, or 0 when the failure did not come from an OpenCL call. */
    public int status() {
        return status;
    }
}
