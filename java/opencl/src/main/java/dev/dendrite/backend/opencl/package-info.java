/**
 * The opencl backend (artifact {@code dendrite-opencl}): JOCL and the OpenCL C kernels of
 * {@code kernels/opencl}, compiled at run time.
 *
 * <p><b>Public:</b> {@link dev.dendrite.backend.opencl.OpenClBackend} and
 * {@link dev.dendrite.backend.opencl.OpenClException}; {@code Backends.create("opencl")} finds the backend
 * through {@link dev.dendrite.backend.opencl.OpenClBackendProvider}. <b>Internal</b> (may change in any
 * version): the per-family {@code OpenCl*Ops} classes, buffers, context, programs, kernels and recording.
 */
package dev.dendrite.backend.opencl;
