package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * bench/gpu/run-on-gpu.sh's lists of retry switches against the code and the tests. When a test class fails on a GPU,
 * the runner reruns it with each switch in turn to name the path at fault; a switch whose property no code reads
 * would rerun the same path and name it innocent, and a switch that changes the step's graph without being in
 * {@link CudaTestSupport#STEP_SWITCHES} would fail the node-counting tests in every rerun and name nothing. Neither
 * shows until a GPU session, which has minutes: this test finds them on the CPU.
 */
class CudaRetrySwitchesTest {
    /**
     * The CUDA retry switches that leave the default step's nodes as they are, each with why; every other one must be
     * in {@link CudaTestSupport#STEP_SWITCHES}. A new switch belongs in one or the other, by a decision.
     */
    private static final Map<String, String> GRAPH_NEUTRAL = Map.of(
            "dendrite.cuda.pdl", "how the kernels launch (programmatic dependent launch), not which",
            "dendrite.recordEvaluation", "the evaluation's graphs; CudaStepCaptureTest's launch counts follow it",
            "dendrite.cuda.3xtf32", "a GEMM candidate for large FP32 products, none of which the counted steps have",
            "dendrite.cuda.vectorAdam", "the same Adam kernel moving one element per thread instead of four");

    private static final Pattern FLAG = Pattern.compile("-D([A-Za-z0-9_.]+)=(\\S*)");

    @Test
    void everyCudaRetrySwitchIsReadByTheCodeAndClassifiedForTheNodeCounts() {
        Path root = repositoryRoot();
        Map<String, List<String>> switches = switches(root, "RETRY_SWITCHES");
        assertTrue(switches.size() >= 10, "RETRY_SWITCHES parsed into only " + switches.keySet());
        Set<String> read = propertiesReadByTheCode(root);
        Set<String> keys = new LinkedHashSet<>();
        for (Map.Entry<String, List<String>> e : switches.entrySet()) {
            for (String flag : e.getValue()) {
                String key = key(e.getKey(), flag);
                assertTrue(read.contains(key), "RETRY_SWITCHES' " + e.getKey() + " sets -D" + key
                        + ", which no main source under java/ reads: its rerun would run the same path");
                keys.add(key);
            }
        }
        for (String key : keys) {
            boolean counted = CudaTestSupport.STEP_SWITCHES.contains(key);
            assertTrue(counted != GRAPH_NEUTRAL.containsKey(key), () -> "-D" + key + " must be in exactly one of "
                    + "CudaTestSupport.STEP_SWITCHES (it changes the step's nodes) and this test's GRAPH_NEUTRAL "
                    + "(it does not, with why); it is in " + (counted ? "both" : "neither"));
        }
        for (String key : CudaTestSupport.STEP_SWITCHES) {
            assertTrue(read.contains(key), "STEP_SWITCHES names -D" + key + ", which no main source reads");
        }
        for (String key : GRAPH_NEUTRAL.keySet()) {
            assertTrue(keys.contains(key), "GRAPH_NEUTRAL names -D" + key + ", which RETRY_SWITCHES does not set");
        }
    }

    @Test
    void everyOpenClRetrySwitchIsReadByTheCode() {
        Path root = repositoryRoot();
        Map<String, List<String>> switches = switches(root, "OPENCL_RETRY_SWITCHES");
        assertTrue(switches.size() >= 5, "OPENCL_RETRY_SWITCHES parsed into only " + switches.keySet());
        Set<String> read = propertiesReadByTheCode(root);
        for (Map.Entry<String, List<String>> e : switches.entrySet()) {
            for (String flag : e.getValue()) {
                String key = key(e.getKey(), flag);
                assertTrue(read.contains(key), "OPENCL_RETRY_SWITCHES' " + e.getKey() + " sets -D" + key
                        + ", which no main source under java/ reads: its rerun would run the same path");
            }
        }
    }

    @Test
    void theParserReadsNamesAndFlagsAndRefusesWhatItCannotRead() {
        String script = """
                : "${OPENCL_RETRY_SWITCHES=x:-Dother.key=false}"
                : "${RETRY_SWITCHES=a:-Dk.one=false b:-Dk.two=true,-Dk.three=false}"
                """;
        Map<String, List<String>> parsed = parse(script, "RETRY_SWITCHES");
        assertEquals(List.of("a", "b"), List.copyOf(parsed.keySet()));
        assertEquals(List.of("-Dk.two=true", "-Dk.three=false"), parsed.get("b"));
        assertEquals(List.of("x"), List.copyOf(parse(script, "OPENCL_RETRY_SWITCHES").keySet()));
        assertEquals("k.one", key("a", "-Dk.one=false"));
        assertThrowsNaming("nameless", () -> parse(": \"${RETRY_SWITCHES=-Dk=false}\"", "RETRY_SWITCHES"));
        assertThrowsNaming("not a -Dkey=value", () -> key("a", "k=false"));
        assertThrowsNaming("no line", () -> parse("nothing here", "RETRY_SWITCHES"));
    }

    /** The list {@code name} of run-on-gpu.sh: each switch's name and its -D flags, in the script's order. */
    private static Map<String, List<String>> switches(Path root, String name) {
        try {
            return parse(Files.readString(root.resolve("bench/gpu/run-on-gpu.sh")), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, List<String>> parse(String script, String name) {
        Matcher m = Pattern.compile("\\$\\{" + name + "=([^}]*)}").matcher(script);
        if (!m.find()) {
            throw new IllegalArgumentException("no line sets ${" + name + "=...} in run-on-gpu.sh");
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String entry : m.group(1).trim().split("\\s+")) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(name + "'s entry '" + entry + "' is nameless: expected name:-Dk=v");
            }
            out.put(entry.substring(0, colon), List.of(entry.substring(colon + 1).split(",")));
        }
        return out;
    }

    static String key(String name, String flag) {
        Matcher m = FLAG.matcher(flag);
        if (!m.matches()) {
            throw new IllegalArgumentException("switch " + name + "'s '" + flag + "' is not a -Dkey=value flag");
        }
        return m.group(1);
    }

    /** The property names that main sources under java/ read: every quoted "dendrite.*" string there. */
    private static Set<String> propertiesReadByTheCode(Path root) {
        Pattern quoted = Pattern.compile("\"(dendrite\\.[A-Za-z0-9_.]+)\"");
        Set<String> out = new LinkedHashSet<>();
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root.resolve("java"))) {
            walk.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                    .forEach(sources::add);
            for (Path p : sources) {
                Matcher m = quoted.matcher(Files.readString(p));
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(out.isEmpty(), "no \"dendrite.*\" property in " + sources.size() + " main sources under java/");
        return out;
    }

    /**
     * The checkout's root: the first of the working directory and its parents holding bench/gpu/run-on-gpu.sh
     * (Surefire runs in java/cuda; the GPU runner in the root of the carried tree).
     */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bench/gpu/run-on-gpu.sh")) && Files.isDirectory(p.resolve("java"))) {
                return p;
            }
        }
        return fail("bench/gpu/run-on-gpu.sh is in no parent of " + Path.of("").toAbsolutePath()
                + ": these tests read it from the checkout");
    }

    private static void assertThrowsNaming(String part, Runnable body) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
