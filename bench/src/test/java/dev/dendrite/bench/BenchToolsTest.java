package dev.dendrite.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tools that turn benchmark JSON into RESULTS.md tables: the GPU session has minutes to spend, so they must be
 * right before it runs. Fed hand-made results whose ratios and shares are known.
 */
class BenchToolsTest {

    @Test
    void profileChartSplitsTheStepIntoCategoriesAndHostTime(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("p.json");
        Files.writeString(json, """
                {"network": "mlp512", "batch_size": 128, "backend": "cuda: NVIDIA H100", "step_us": 100.0,
                 "profile_us_per_step": {"gemm 128x512x784 NN": 30.0, "gemm 128x512x512 NN": 20.0,
                   "biasActivationForward": 5.0, "adamUpdate": 7.0, "gather": 3.0, "advanceCounters": 1.0}}
                """);
        ProfileChart.Bar bar = ProfileChart.read(json);
        assertEquals("mlp512 b128, cuda", bar.label());
        assertEquals(50.0, bar.parts().get("GEMM"), 1e-12);
        assertEquals(5.0, bar.parts().get("bias + activation"), 1e-12);
        assertEquals(7.0, bar.parts().get("optimizer"), 1e-12);
        assertEquals(3.0, bar.parts().get("batch gather"), 1e-12);
        assertEquals(1.0, bar.parts().get("other ops"), 1e-12);
        assertEquals(34.0, bar.parts().get("host and gaps"), 1e-12, "the step minus its ops");
        String table = ProfileChart.table(List.of(bar));
        assertTrue(table.contains("| mlp512 b128, cuda | 100 | 50 (50%) |"), table);
        assertTrue(ProfileChart.svg(List.of(bar)).startsWith("<svg"), "an SVG document");
    }

    @Test
    void compareGivesDendritesTimeAsARatioToEachPeer(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path script = (Files.exists(root.resolve("pytorch/compare.py")) ? root : root.resolve("bench"))
                .resolve("pytorch/compare.py");
        Assumptions.assumeTrue(Files.exists(script), "compare.py not found from " + root);
        Assumptions.assumeTrue(canRun("python3", "--version"), "python3 is not installed: compare.py not checked");
        Files.writeString(dir.resolve("cuda-mlp512.json"), """
                {"network": "mlp512", "backend": "cuda: NVIDIA H100 80GB HBM3, cuBLAS 13.1, FP32", "batch_size": 128,
                 "train_images": 60000, "median_epoch_s": 0.0250, "test_accuracy": 0.8801,
                 "peak_device_memory_mb": 250.0,
                 "cuda_step_graph": {"nodes": 18, "edges": 21, "critical_path_nodes": 12}}
                """);
        Files.writeString(dir.resolve("pytorch-mlp512-eager.json"), """
                {"peer": "pytorch", "variant": "eager", "network": "mlp512", "batch_size": 128, "train_images": 60000,
                 "median_epoch_s": 0.5650, "test_accuracy": 0.8790, "device": "NVIDIA H100 80GB HBM3",
                 "date": "2026-11-23T08:00:00Z", "peak_device_memory_mb": 300.0}
                """);
        Files.writeString(dir.resolve("pytorch-mlp512-graph.json"), """
                {"peer": "pytorch", "variant": "graph", "network": "mlp512", "batch_size": 128, "train_images": 60000,
                 "median_epoch_s": 0.0990, "test_accuracy": 0.8810, "device": "NVIDIA H100 80GB HBM3",
                 "date": "2026-11-23T08:00:00Z", "peak_device_memory_mb": 320.0}
                """);
        Files.writeString(dir.resolve("pytorch-mlp512-graph-spg8.json"), """
                {"peer": "pytorch", "variant": "graph-spg8", "network": "mlp512", "batch_size": 128,
                 "train_images": 60000, "median_epoch_s": 0.0500, "test_accuracy": 0.8810,
                 "device": "NVIDIA H100 80GB HBM3", "date": "2026-11-23T08:00:00Z", "peak_device_memory_mb": 330.0}
                """);
        Files.writeString(dir.resolve("pytorch-mlp512-graph-spg8-emulated.json"), """
                {"peer": "pytorch", "variant": "graph-spg8-emulated", "network": "mlp512", "batch_size": 128,
                 "train_images": 60000, "median_epoch_s": 9.0, "test_accuracy": 0.1, "device": "cpu"}
                """);
        // The device tool lends an H100 or an H200: a peer measured on the other one gets no ratio.
        Files.writeString(dir.resolve("cuda-mlp1024.json"), """
                {"network": "mlp1024", "backend": "cuda: NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB), FP32",
                 "batch_size": 128, "train_images": 60000, "median_epoch_s": 0.0300}
                """);
        Files.writeString(dir.resolve("pytorch-mlp1024-graph.json"), """
                {"peer": "pytorch", "variant": "graph", "network": "mlp1024", "batch_size": 128, "train_images": 60000,
                 "median_epoch_s": 0.0800, "device": "NVIDIA H100 80GB HBM3", "date": "2026-11-23T08:00:00Z",
                 "backend": "pytorch 2.11.0+cu130 graph: cuda NVIDIA H100 80GB HBM3, FP32"}
                """);
        Files.writeString(dir.resolve("opencl-mlp512.json"), """
                {"network": "mlp512", "backend": "opencl: NVIDIA CUDA / NVIDIA H100 80GB HBM3 (GPU)",
                 "batch_size": 128, "train_images": 60000, "median_epoch_s": 0.0600, "opencl_step_commands": 12}
                """);
        Path md = dir.resolve("comparison.md");
        Process p = new ProcessBuilder("python3", script.toString(), dir.toString(), "-o", md.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "compare.py finished");
        assertEquals(0, p.exitValue(), output);
        String table = Files.readString(md);
        // 25 ms against 565 ms and 99 ms: ratios 0.044 and 0.253, Dendrite faster.
        assertTrue(table.contains("**0.044**"), table);
        assertTrue(table.contains("**0.253**"), table);
        // 8 steps per PyTorch graph (peer.py --steps-per-graph 8): a column of its own, 25 ms against 50 ms; the
        // emulated run (a cpu test of peer.py) is left out.
        assertTrue(table.contains("PyTorch, 8 steps per CUDA graph"), table);
        assertTrue(table.contains("**0.500**"), table);
        assertTrue(table.contains("250 / 300 / 320 / 330"), "peak device memory of all four: " + table);
        assertTrue(table.contains("NVIDIA H100"), "names the machine: " + table);
        assertTrue(table.contains("`cuda-mlp512.json`: 18 nodes, 21 edges, critical path 12 nodes"), table);
        assertTrue(table.contains("`opencl-mlp512.json`: 12 commands"), "the OpenCL step's commands: " + table);
        assertTrue(!table.contains("**0.375**"), "no ratio across two devices (30 ms against 80): " + table);
        assertTrue(table.contains("**another device**: `cuda-mlp1024.json` (NVIDIA H200)"), table);
    }

    /**
     * The GPU runner's Python tools check themselves on synthetic input: the trace report's grouping and statistics
     * (bench/gpu/trace/trace_report.py), the failing classes a failed CUDA suite reruns
     * (bench/gpu/junit_failures.py), and the SASS check that no kernel touches memory before its programmatic-launch
     * wait (bench/gpu/pdl_sass_check.py).
     */
    @Test
    void theGpuRunnersPythonToolsPassTheirSelfTests() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path gpu = (Files.exists(root.resolve("gpu")) ? root : root.resolve("bench")).resolve("gpu");
        Assumptions.assumeTrue(Files.exists(gpu), "bench/gpu not found from " + root);
        Assumptions.assumeTrue(canRun("python3", "--version"), "python3 is not installed: the self-tests not run");
        for (Path script : List.of(gpu.resolve("trace/trace_report.py"), gpu.resolve("junit_failures.py"),
                gpu.resolve("pdl_sass_check.py"))) {
            Process p = new ProcessBuilder("python3", script.toString(), "--self-test").redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " finished");
            assertEquals(0, p.exitValue(), script + ": " + out);
            assertTrue(out.contains("self-test: ok"), script + ": " + out);
        }
    }

    @Test
    void profileSplitPutsGemmAndOptimizerBesideTheirRooflines(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path script = (Files.exists(root.resolve("profile_split.py")) ? root : root.resolve("bench"))
                .resolve("profile_split.py");
        Assumptions.assumeTrue(Files.exists(script), "profile_split.py not found from " + root);
        Assumptions.assumeTrue(canRun("python3", "--version"), "python3 is not installed: profile_split.py not checked");
        Files.writeString(dir.resolve("roof.json"), """
                {"cpu": "Test CPU", "isa": "AVX2", "vector_bits": 256, "date": "2026-12-02T15:00:00Z",
                 "load_average_start": "0.10, 0.20, 0.30",
                 "results": [{"threads": 1, "fma_peak_gflops_by_cpu_time": 200.0, "triad_bandwidth_gbs": 20.0},
                             {"threads": 2, "fma_peak_gflops_by_cpu_time": 400.0, "triad_bandwidth_gbs": 40.0}]}
                """);
        Files.writeString(dir.resolve("p.json"), """
                {"network": "mlp512", "batch_size": 128, "isa": "AVX2", "jvm_flags": "", "step_us": 1000.0,
                 "load_average_end": "1.50, 1.00, 0.50",
                 "profile_us_per_step": {"gemm 128x512x784 NN": 600.0, "gemm 16x512x784 NN": 1.0,
                   "adamUpdate": 100.0, "biasActivationForward": 149.0, "randomPermutation": 50.0}}
                """);
        Process p = new ProcessBuilder("python3", script.toString(), dir.resolve("roof.json").toString(),
                dir.resolve("p.json").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "profile_split.py finished");
        assertEquals(0, p.exitValue(), out);
        // GEMM 601 us of 1000; 2*128*512*784 flops at 400 GFLOP/s (the 2-thread row) take 257 us; the partial
        // batch's 16-row product is timed but not counted as the full batch's work. Adam moves 28 bytes for each of
        // mlp512's 669,706 parameters: 469 us at 40 GB/s. Overhead: the permutation plus the step's 100 us not in
        // any op.
        assertTrue(out.contains("| mlp512 b128, AVX2, load 1.50 | 1000 | 601 (60%) | 257 | 149 (15%) | 100 (10%) | 469 "
                + "| 150 (15%) |"), out);
        assertTrue(out.contains("FMA peak 400 GFLOP/s"), "the all-threads roofline: " + out);
    }

    private static boolean canRun(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
