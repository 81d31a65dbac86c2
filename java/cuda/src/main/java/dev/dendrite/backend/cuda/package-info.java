/**
 * The cuda backend (artifact {@code dendrite-cuda}): JCuda's driver API, JCublas2 and the kernels of
 * {@code kernels/cuda}, compiled ahead of time into one fatbin.
 *
 * <p><b>Public:</b> {@link dev.dendrite.backend.cuda.CudaBackend} (with its settings such as TF32),
 * {@link dev.dendrite.backend.cuda.CudaBackendException} and
 * {@link dev.dendrite.backend.cuda.CudaOutOfMemoryException}; {@code Backends.create("cuda")} finds the backend
 * through {@link dev.dendrite.backend.cuda.CudaBackendProvider}. <b>Internal</b> (may change in any version):
 * the per-family {@code Cuda*Ops} classes, buffers, context, graphs, kernels, libraries and GEMM helpers.
 */
package dev.dendrite.backend.cuda;
