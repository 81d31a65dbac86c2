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

    /**
     * The machine's CPU time so far from the "cpu" line of /proc/stat, in clock ticks: {@code {steal, total}}, or
     * null where that file is missing (not Linux). Steal is the time a virtual machine's vCPUs were ready to run
     * while the host ran something else; on the 2-vCPU KVM guest the benchmarks were written on it reached 40% of
     * a run's CPU time at moments and explained most of the drift between runs minutes apart.
     */
    static long[] cpuTicks() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    for (int i = 1; i < f.length && i <= 8; i++) {  // user .. steal; guest time is inside user
                        total += Long.parseLong(f[i]);
                    }
                    return new long[] {f.length > 8 ? Long.parseLong(f[8]) : 0, total};
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/stat, or a format this does not know: no figure
        }
        return null;
    }

    /**
     * The share of CPU time stolen by the host between two {@link #cpuTicks} snapshots, in percent of all the
     * machine's CPU time (idle included) over that interval; null when either snapshot is missing.
     */
    static Double stealPercent(long[] before, long[] after) {
        if (before == null || after == null || after[1] <= before[1]) {
            return null;
        }
        return 100.0 * (after[0] - before[0]) / (after[1] - before[1]);
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
