package dev.dendrite.cli;

import java.io.PrintStream;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.backend.cpu.CpuGemm;

/** The backend a command runs on ({@code --backend}), and the one note a user of the CPU backend may need. */
final class CliBackend {
    /**
     * The note printed when the CPU backend runs without the Vector API: nothing else would tell a user who
     * forgot the flag that training is about three times slower than it could be.
     */
    static final String VECTOR_HINT = "start Java with --add-modules jdk.incubator.vector for the Vector API GEMM, "
            + "about 3x faster";
    /** The note itself, on standard error. */
    static final String SLOW_GEMM_NOTE = "note: the CPU backend is using its plain-Java GEMM; " + VECTOR_HINT + ".";

    private CliBackend() {
    }

    /**
     * Creates the backend {@code name} names, prefixing a bad name's message with the option, and notes on
     * {@code err} when the CPU backend will run its slow GEMM.
     */
    static Backend open(String name, PrintStream err) {
        Backend backend;
        try {
            backend = Backends.create(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--backend: " + e.getMessage(), e);
        } catch (UnsupportedOperationException e) {
            // Not a bug but this machine: say where to look rather than offer a stack trace.
            throw new UnsupportedOperationException("--backend " + name + ": " + e.getMessage()
                    + ". 'dendrite info' lists the backends this machine has; --backend auto picks one.", e);
        }
        if ("cpu".equals(backend.name()) && !CpuGemm.vectorKernelAvailable()) {
            err.println(SLOW_GEMM_NOTE);
        }
        return backend;
    }
}
