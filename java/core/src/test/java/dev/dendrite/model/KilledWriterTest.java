package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Saves and fits killed with SIGKILL ({@link Process#destroyForcibly}) at seeded random moments: the target file
 * always loads and holds one complete save, and the next load and save in that folder leave no temporary file.
 * Each kill starts a fresh JVM ({@link KilledWriterChild}); the kill waits for its "ready" line, so a slow,
 * busy machine only moves the kill points, never fails the test.
 */
class KilledWriterTest {
    /** Per child: JVM start, class loading and the first save on a busy 2-core machine fit easily. */
    private static final long READY_TIMEOUT_S = 60;
    private static Backend cpu;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    @Test
    void aKilledSaveLeavesAnEarlierCompleteSaveAndNoLitter() throws Exception {
        SplittableRandom r = new SplittableRandom(14);
        Path file = dir.resolve("m.dmodel");
        int midWrite = 0;
        for (int kill = 0; kill < 4; kill++) {
            // 0 to 400 ms after the first save; every other kill then waits for a temporary file to appear, so
            // that some kills land mid-write however the timing falls.
            runAndKill("save", file, r.nextInt(400), kill % 2 == 1);
            midWrite += litter().isEmpty() ? 0 : 1;
            try (Sequential m = Sequential.load(file, cpu)) {
                List<float[]> w = m.getWeights();
                float[] kernel = w.get(0);
                float[] bias = w.get(1);
                assertEquals(KilledWriterChild.WIDTH * KilledWriterChild.WIDTH, kernel.length);
                for (int j = 0; j < kernel.length; j++) {
                    if (kernel[j] != KilledWriterChild.kernelValue(j)) {
                        fail("kill " + kill + ": kernel[" + j + "] = " + kernel[j] + "; expected "
                                + KilledWriterChild.kernelValue(j) + " as in every complete save");
                    }
                }
                float i = bias[0];
                assertTrue(i >= 1 && i == Math.rint(i), "kill " + kill + ": bias " + i + " is no save's number");
                for (float b : bias) {
                    assertEquals(i, b, "kill " + kill + ": a bias mixing saves");
                }
                assertNoLitter("after loading, kill " + kill);
                m.save(file);
                assertNoLitter("after saving again, kill " + kill);
            }
        }
        // Where the kills landed (a temporary file left means mid-write); informative, as timing decides it.
        System.out.println("KilledWriterTest: " + midWrite + " kill(s) landed mid-write");
    }

    @Test
    void aKilledFitLeavesALoadableCheckpointAndNoLitter() throws Exception {
        SplittableRandom r = new SplittableRandom(15);
        Path file = dir.resolve("ckpt.dmodel");
        int midWrite = 0;
        for (int kill = 0; kill < 2; kill++) {
            runAndKill("fit", file, r.nextInt(600), kill % 2 == 1);
            midWrite += litter().isEmpty() ? 0 : 1;
            try (Sequential m = Sequential.load(file, cpu)) {
                assertEquals(4, m.layers().size(), "kill " + kill + ": " + m.layers());
                for (float[] w : m.getWeights()) {
                    for (float v : w) {
                        assertTrue(Float.isFinite(v), "kill " + kill + ": a non-finite weight " + v);
                    }
                }
                assertNoLitter("after loading, kill " + kill);
                m.save(file);
                assertNoLitter("after saving again, kill " + kill);
            }
        }
        // Where the kills landed (a temporary file left means mid-write); informative, as timing decides it.
        System.out.println("KilledWriterTest: " + midWrite + " kill(s) landed mid-write");
    }

    /**
     * Starts the child, waits for "ready", sleeps {@code delayMs}, then (if {@code whileWriting}) waits until a
     * temporary file is in the folder, kills the child with SIGKILL and reaps it.
     */
    private void runAndKill(String mode, Path file, int delayMs, boolean whileWriting) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                KilledWriterChild.class.getName(), mode, file.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            CompletableFuture<List<String>> output = CompletableFuture.supplyAsync(() -> readUntilReady(p));
            List<String> lines;
            try {
                lines = output.get(READY_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the " + mode + " child printed no \"ready\" within " + READY_TIMEOUT_S
                        + " s", e);
            }
            if (!lines.get(lines.size() - 1).equals("ready")) {
                fail("the " + mode + " child ended before \"ready\" (exit " + p.waitFor() + "): " + lines);
            }
            Thread.sleep(delayMs);
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_S);
            while (whileWriting && litter().isEmpty() && p.isAlive() && System.nanoTime() < giveUp) {
                Thread.onSpinWait();
            }
            assertTrue(p.isAlive(), () -> "the " + mode + " child exited by itself: " + p.exitValue());
        } finally {
            p.destroyForcibly();
            // Reaped: from here its pid is gone, so its temporary file counts as orphaned.
            assertTrue(p.waitFor(READY_TIMEOUT_S, TimeUnit.SECONDS), "the killed child did not end");
        }
    }

    /** Lines up to and including "ready", or all of them if the child ends first; keeps draining after. */
    private static List<String> readUntilReady(Process p) {
        List<String> lines = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        try {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
                if (line.equals("ready")) {
                    Thread drain = new Thread(() -> {
                        try {
                            in.transferTo(java.io.Writer.nullWriter());
                        } catch (IOException ignored) {
                            // the child was killed
                        }
                    });
                    drain.setDaemon(true);
                    drain.start();
                    return lines;
                }
            }
        } catch (IOException e) {
            lines.add("(reading its output failed: " + e + ")");
        }
        if (lines.isEmpty()) {
            lines.add("(no output)");
        }
        return lines;
    }

    private void assertNoLitter(String when) throws IOException {
        List<String> tmp = litter();
        assertTrue(tmp.isEmpty(), when + ": temporary files left in " + dir + ": " + tmp);
    }

    private List<String> litter() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).filter(n -> n.contains(".dendrite-tmp-")).toList();
        }
    }
}
