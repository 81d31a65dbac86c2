package dev.dendrite.cli;

import java.util.concurrent.Callable;

import dev.dendrite.backend.Backends;
import dev.dendrite.backend.cpu.CpuGemm;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Mnist;
import picocli.CommandLine.Command;

/** {@code dendrite info}: the Java runtime, the backends found (and why any is unavailable), the datasets. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "List the backends and devices found, why any is unavailable, and which datasets are found.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("Dendrite 0.1.0 on Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        String forced = Backends.forcedName();
        System.out.println("Backends (tried in this order by 'auto'" + (forced == null ? "" : "; forced: " + forced)
                + "):");
        for (Backends.Probe p : Backends.probe()) {
            System.out.println("  " + p);
        }
        System.out.println("CPU GEMM: " + (CpuGemm.vectorKernelAvailable() ? "Vector API kernel"
                : "plain Java (" + CliBackend.VECTOR_HINT + ")"));
        System.out.println("Datasets (on this machine; info downloads nothing, train and load() do where allowed):");
        try {
            System.out.println("  " + FashionMnist.loadLocal().source());
        } catch (Exception e) {
            System.out.println("  " + notFound("Fashion-MNIST", e));
        }
        try {
            System.out.println("  " + Mnist.loadLocal().source());
        } catch (Exception e) {
            System.out.println("  " + notFound("MNIST", e));
        }
        return 0;
    }

    /** The loader's message, which often starts "X was not found" already: then without a second "not found". */
    private static String notFound(String dataset, Exception e) {
        String message = String.valueOf(e.getMessage());
        return message.startsWith(dataset + " was not found") ? message : dataset + ": not found - " + message;
    }
}
