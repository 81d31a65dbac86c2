package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Vector API GEMM's tile shapes. The kernel's height is fixed when {@code CpuGemmVector} loads, from the
 * preferred vector species (or {@code -Ddendrite.cpu.gemmRows}), so a JVM tests only the shape its CPU picks. The
 * other shapes are checked here in child JVMs: {@code -XX:UseAVX=2} makes HotSpot's preferred species 256 bits wide
 * on an AVX-512 machine, which gives the AVX2 machines' 5 x 16 kernel, and the property forces the 4-row tile
 * under both species. Each child runs {@link CpuGemmTest}'s float64-reference checks (awkward shapes, every row and
 * column remainder up to 33, all transposes, alphas and betas, guard elements, kernels bit-identical to the plain
 * one, 2 threads bit-identical to 1), whose
 * tolerances that class derives.
 */
class CpuGemmKernelShapeTest {

    @Test
    void tileFillsTheRegisterFileOfThePreferredSpecies() {
        Assumptions.assumeTrue(CpuGemm.vectorKernelAvailable(),
                "no Vector API kernel in this JVM (needs --add-modules jdk.incubator.vector and 8-lane vectors)");
        Assumptions.assumeTrue(System.getProperty("dendrite.cpu.gemmRows") == null, "tile height forced by property");
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        assertEquals(2 * lanes, CpuGemmVector.NR, "two vectors wide");
        // 2 accumulators per row + 2 B vectors + 1 broadcast within 32 (AVX-512) or 16 (AVX2) registers, with slack
        // for C2's allocator on AVX2 (see CpuGemmVector's comment).
        assertEquals(lanes >= 16 ? 8 : 5, CpuGemmVector.MR, lanes + " lanes");
    }

    @Test
    void avx2ShapeMatchesTheFloat64Reference() throws Exception {
        Assumptions.assumeTrue(cpuFlags().contains("avx2") && cpuFlags().contains("fma"),
                "the CPU has no AVX2+FMA, so -XX:UseAVX=2 cannot give the 8-lane species");
        runChild(List.of("-XX:UseAVX=2"), "MR=5 L=8");
        runChild(List.of("-XX:UseAVX=2", "-Ddendrite.cpu.gemmRows=4"), "MR=4 L=8");
    }

    @Test
    void fourRowKernelsMatchTheFloat64Reference() throws Exception {
        Assumptions.assumeTrue(CpuGemm.vectorKernelAvailable(), "no Vector API kernel in this JVM");
        runChild(List.of("-Ddendrite.cpu.gemmRows=4"), "MR=4 ");
    }

    @Test
    void packedAndInPlaceUntransposedAMatchTheFloat64Reference() throws Exception {
        Assumptions.assumeTrue(CpuGemm.vectorKernelAvailable(), "no Vector API kernel in this JVM");
        // Whichever way this JVM's default goes, the other is checked here: the 8-row tile packs by default, the
        // 5- and 4-row ones read A in place.
        runChild(List.of("-Ddendrite.cpu.gemmPackA=false"), "packA=false");
        runChild(List.of("-Ddendrite.cpu.gemmPackA=true", "-Ddendrite.cpu.gemmRows=4"), "MR=4 L=");
        if (cpuFlags().contains("avx2") && cpuFlags().contains("fma")) {
            runChild(List.of("-XX:UseAVX=2", "-Ddendrite.cpu.gemmPackA=true"), "MR=5 L=8 packA=true");
        }
    }

    @Test
    void packingDefaultsToTheEightRowTileAndRejectsOtherValues() {
        Assumptions.assumeTrue(CpuGemm.vectorKernelAvailable(), "no Vector API kernel in this JVM");
        assertTrue(CpuGemmVector.packsRows(null, 8));
        assertTrue(!CpuGemmVector.packsRows(null, 5) && !CpuGemmVector.packsRows(null, 4));
        assertTrue(CpuGemmVector.packsRows("true", 5));
        assertTrue(!CpuGemmVector.packsRows("false", 8));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CpuGemmVector.packsRows("yes", 8));
        assertTrue(e.getMessage().contains("yes") && e.getMessage().contains("true or false"), e.getMessage());
    }

    private static void runChild(List<String> flags, String expectedShape) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(flags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM finished: " + cmd);
        assertEquals(0, p.exitValue(), flags + ": " + out);
        String line = out.lines().filter(l -> l.startsWith("vector kernel ")).findFirst().orElse("");
        assertTrue(line.contains(expectedShape), flags + " should give " + expectedShape + ": " + out);
    }

    private static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /** The child JVM: CpuGemmTest's reference checks, run with this JVM's tile shape. */
    static final class Child {
        public static void main(String[] args) {
            if (!CpuGemm.vectorKernelAvailable()) {
                System.out.println("no vector kernel in the child JVM");
                System.exit(2);
            }
            System.out.println("vector kernel MR=" + CpuGemmVector.MR + " L=" + CpuGemmVector.NR / 2 + " packA="
                    + CpuGemmVector.PACK_A);
            CpuGemmTest.startWorkers();
            try {
                CpuGemmTest t = new CpuGemmTest();
                t.matchesFloat64ReferenceForAllTransposesAlphasAndBetas();
                t.everyRowAndColumnRemainderMatchesFloat64Reference();
                t.multiThreadedResultIsCorrectAndIdenticalToSingleThreaded();
                t.publicEntryPointWorksFromInsideTheWorkersAndFromTwoThreads();
            } catch (Throwable e) {
                e.printStackTrace(System.out);
                System.exit(1);
            } finally {
                CpuGemmTest.stopWorkers();
            }
            System.out.println("ok");
        }
    }
}
