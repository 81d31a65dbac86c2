package dev.dendrite.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What a CPU figure was measured on, for the benchmarks' output: CPU model, vector instruction set, load. */
final class Machine {
    private Machine() {
    }

    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The CPU's model name, or the OS architecture where /proc/cpuinfo is missing. */
    static String cpuModel() {
        return cpuinfo().stream().filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst().orElse(System.getProperty("os.arch"));
    }

    /** "AVX-512", "AVX2" or "no AVX2": the widest float vector extension the CPU reports (not what the JVM uses). */
    static String isa() {
        String flags = cpuinfo().stream().filter(l -> l.startsWith("flags")).findFirst().orElse("") + " ";
        if (flags.contains(" avx512f ")) {
            return "AVX-512";
        }
        return flags.contains(" avx2 ") && flags.contains(" fma ") ? "AVX2" : "no AVX2";
    }

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg has them, or "n/a". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
