package dev.dendrite.cli;

import java.io.PrintStream;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.callbacks.ProgressBar;

/** The backend a command runs on ({@code --backend}), and the one note a user of the CPU backend may need. */
final class CliBackend {
    /** What 'info' says when the CPU backend runs its plain-Java GEMM. */
    static final String VECTOR_HINT = "start Java with --add-modules jdk.incubator.vector for the Vector API GEMM, "
            + "about 3x faster";

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
        if ("cpu".equals(backend.name())) {
            ProgressBar.noteSlowGemmOnce(err);
        }
        return backend;
    }
}
