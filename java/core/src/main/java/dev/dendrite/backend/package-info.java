/**
 * The op set every backend implements, and how a program picks a backend.
 *
 * <p><b>Public:</b> {@link dev.dendrite.backend.Backends} (find, create and probe backends),
 * {@link dev.dendrite.backend.Backend} as a handle that a program creates, passes to
 * {@code Sequential.backend(...)} and closes, and {@link dev.dendrite.backend.BackendProvider}, the
 * {@link java.util.ServiceLoader} hook through which the {@code dendrite-opencl} and {@code dendrite-cuda}
 * artifacts register their backends.
 *
 * <p><b>Internal</b> (may change in any version; for the backends and the model code of this library, not for
 * programs): the op methods of {@code Backend} and its op-family interfaces ({@code GemmOps}, {@code LossOps},
 * ...), {@code AbstractBackend}, {@code OpChecks}, {@code AbstractBuffer}, {@code CapturedStep},
 * {@code DeviceErrors}, {@code KernelCodes}, {@code GemmTuner}, {@code GemmVariant}, {@code Philox} and the other
 * classes here that the backends share.
 */
package dev.dendrite.backend;
