/**
 * The cpu backend: plain Java on all cores, the reference every other backend is tested against.
 *
 * <p><b>Public:</b> {@link dev.dendrite.backend.cpu.CpuBackend} (its constructors choose the number of threads)
 * and {@link dev.dendrite.backend.cpu.CpuGemm#vectorKernelAvailable()}. <b>Internal</b> (may change in any
 * version): everything else here, the per-family {@code Cpu*Ops} classes, buffers, loops and kernels, including
 * {@link dev.dendrite.backend.cpu.CpuGemm#gemm} and {@link dev.dendrite.backend.cpu.CpuWorkers}, which are public
 * for the benchmarks in {@code bench/}.
 */
package dev.dendrite.backend.cpu;
