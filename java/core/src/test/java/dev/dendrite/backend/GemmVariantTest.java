package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * GemmVariant is the Java half of kernels/common/gemm_tiled.h: its numbers must be the header's, and the geometry it
 * computes must cover C exactly, for both backends that launch from it.
 */
class GemmVariantTest {

    /** The header's {@code #define DENDRITE_GEMM_... <integer>} lines, from the build's copy on the class path. */
    private static Map<String, Integer> headerConstants() throws IOException {
        return headerConstants("gemm_tiled.h", "DENDRITE_GEMM_");
    }

    /** The {@code #define <prefix>... <integer>} lines of kernels/common/{@code header}, by the rest of the name. */
    private static Map<String, Integer> headerConstants(String header, String prefix) throws IOException {
        String path = "dev/dendrite/kernels/common/" + header;
        String text;
        try (InputStream in = GemmVariantTest.class.getClassLoader().getResourceAsStream(path)) {
            assertNotNull(in, path + " is on the class path");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Integer> constants = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#define\\s+" + prefix + "(\\w+)\\s+(\\d+)\\s*$").matcher(text);
        while (m.find()) {
            constants.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return constants;
    }

    @Test
    void tilesAreTheHeaders() throws IOException {
        Map<String, Integer> h = headerConstants();
        assertEquals(h.get("K_BLOCK"), GemmVariant.K_BLOCK, "DENDRITE_GEMM_K_BLOCK");
        assertEquals(h.get("PAD"), GemmVariant.PAD, "DENDRITE_GEMM_PAD");
        for (GemmVariant v : GemmVariant.values()) {
            if (v.transposesAsArguments()) { // gemm_simple has no tiles; gemm_rows's numbers are its own header's
                continue;
            }
            String p = v.id() + "_";
            assertEquals(h.get(p + "BM"), v.tileM(), v + " BM");
            assertEquals(h.get(p + "BN"), v.tileN(), v + " BN");
            assertEquals(h.get(p + "BK"), v.tileK(), v + " BK");
            assertEquals(h.get(p + "TM"), v.threadM(), v + " TM");
            assertEquals(h.get(p + "TN"), v.threadN(), v + " TN");
            // The kernels compile the split path only where the header says so; Java must not split the others.
            boolean splits = v.splits(64, 64, 4 * GemmVariant.K_BLOCK) > 1;
            assertEquals(h.get(p + "SPLITS"), splits ? 1 : 0, v + " SPLITS");
        }
    }

    /**
     * ROWS's group is gemm_rows.h's: 8 rows of C by 32 columns at most, and the local memory of its larger layout
     * (DENDRITE_ROWS_LOCAL, recomputed here from the header's numbers), within the 48 KiB a CUDA kernel may declare
     * and NVIDIA's OpenCL offers.
     */
    @Test
    void rowsIsItsHeaders() throws IOException {
        Map<String, Integer> h = headerConstants("gemm_rows.h", "DENDRITE_ROWS_");
        GemmVariant v = GemmVariant.ROWS;
        assertEquals(h.get("MAX_N"), GemmVariant.ROWS_MAX_N, "DENDRITE_ROWS_MAX_N");
        assertEquals(h.get("MAX_N"), v.tileN(), "ROWS's tile width");
        assertEquals(h.get("TWO_BLOCKS_N"), GemmVariant.ROWS_TWO_BLOCKS_N, "DENDRITE_ROWS_TWO_BLOCKS_N");
        assertEquals(h.get("PER_GROUP"), v.tileM(), "DENDRITE_ROWS_PER_GROUP");
        assertEquals(32 * h.get("PER_GROUP"), v.threads(), "32 work-items per row");
        int rows = h.get("PER_GROUP");
        long pair = (long) (rows + h.get("TWO_BLOCKS_N")) * (2 * GemmVariant.K_BLOCK + 1);
        long single = (long) (rows + h.get("MAX_N")) * GemmVariant.K_BLOCK;
        assertEquals(4 * Math.max(pair, single), v.localBytes(), "DENDRITE_ROWS_LOCAL");
        assertTrue(v.localBytes() <= 48 * 1024, "local memory " + v.localBytes());
        assertTrue(v.suits(128, 32, 512) && !v.suits(128, 33, 512), "up to 32 columns");
        assertEquals(GemmVariant.ROWS, v.forShape(128, 32, 512));
        assertEquals(GemmVariant.rule(128, 33, 512), v.forShape(128, 33, 512), "wider: the rule's variant");
        assertEquals(GemmVariant.ROWS_MAX_GROUPS, v.groups(600_000, 10, 512)[1], "CUDA's grid, stepped down C");
    }

    @Test
    void theKBlockIsTheCpuGemms() throws ReflectiveOperationException {
        // The k-block decides the rounding; all backends share it so that they agree bit for bit.
        Field kc = Class.forName("dev.dendrite.backend.cpu.CpuGemm").getDeclaredField("KC");
        kc.setAccessible(true);
        assertEquals(kc.getInt(null), GemmVariant.K_BLOCK);
    }

    @Test
    void groupsCoverCExactlyAndFitEveryGpu() {
        int[][] shapes = {{1, 1, 1}, {17, 63, 65}, {128, 512, 784}, {784, 512, 128}, {4096, 4096, 4096}, {129, 1, 300}};
        for (GemmVariant v : GemmVariant.values()) {
            assertEquals(256, v.threads(), v + " work-items per group");
            if (v != GemmVariant.ROWS) { // ROWS's is rowsIsItsHeaders's
                assertTrue(v.localBytes() <= 16 * 1024, v + " local memory " + v.localBytes());
            }
            for (int[] s : shapes) {
                int[] g = v.groups(s[0], s[1], s[2]);
                assertTrue((long) g[0] * v.tileN() >= s[1] && (long) (g[0] - 1) * v.tileN() < s[1], v + " columns");
                assertTrue((long) g[1] * v.tileM() >= s[0] && (long) (g[1] - 1) * v.tileM() < s[0], v + " rows");
                assertEquals(v.splits(s[0], s[1], s[2]), g[2], v + " layers");
            }
        }
        assertEquals(GemmVariant.foldGroups(128, 512) * GemmVariant.FOLD_THREADS, 128 * 512);
        assertEquals(2, GemmVariant.foldGroups(1, 257));
    }

    @Test
    void onlyTheSmallVariantSplitsOneLayerPerKBlockWithinTheWorkSpace() {
        assertEquals(4, GemmVariant.SMALL.splits(128, 512, 784));
        assertEquals(4 * 128 * 512, GemmVariant.SMALL.workspaceFloats(128, 512, 784));
        assertEquals(1, GemmVariant.SMALL.splits(128, 512, 256), "one k-block: nothing to split");
        assertEquals(0, GemmVariant.SMALL.workspaceFloats(128, 512, 256));
        assertEquals(1, GemmVariant.SMALL.splits(4096, 4096, 1024), "4 x 16M partial sums exceed the work space");
        for (GemmVariant v : new GemmVariant[] {GemmVariant.SIMPLE, GemmVariant.TILE64, GemmVariant.LARGE}) {
            assertEquals(1, v.splits(128, 512, 784), v.toString());
        }
        assertEquals(0, GemmVariant.kBlocks(0));
        assertEquals(1, GemmVariant.kBlocks(256));
        assertEquals(2, GemmVariant.kBlocks(257));
    }

    @Test
    void theRuleOnTheCourseShapes() {
        // 784-512-512-10 at batch 128: forward X W, weight gradients X^T dZ, input gradients dZ W^T.
        assertEquals(GemmVariant.SMALL, GemmVariant.rule(128, 512, 784));
        assertEquals(GemmVariant.SMALL, GemmVariant.rule(128, 512, 512));
        assertEquals(GemmVariant.SIMPLE, GemmVariant.rule(128, 10, 512));
        assertEquals(GemmVariant.TILE64, GemmVariant.rule(784, 512, 128));
        assertEquals(GemmVariant.TILE64, GemmVariant.rule(512, 512, 128));
        assertEquals(GemmVariant.SIMPLE, GemmVariant.rule(512, 10, 128));
        assertEquals(GemmVariant.LARGE, GemmVariant.rule(4096, 4096, 4096));
        assertEquals(GemmVariant.SIMPLE, GemmVariant.rule(3, 7, 5));
        for (int[] s : new int[][] {{128, 512, 784}, {784, 512, 128}, {4096, 4096, 4096}, {128, 10, 512}}) {
            GemmVariant r = GemmVariant.rule(s[0], s[1], s[2]);
            assertTrue(r.suits(s[0], s[1], s[2]), r + " suits the shape it is the rule for");
        }
    }

    @Test
    void namesAreUniqueAndIdsRoundTrip() {
        Set<String> names = new HashSet<>();
        for (GemmVariant v : GemmVariant.values()) {
            assertEquals(v, GemmVariant.byId(v.id().toUpperCase()));
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    String name = v.kernelName(ta, tb);
                    assertTrue(names.add(name) || v.transposesAsArguments(), "kernel name " + name + " reused");
                }
            }
        }
        assertEquals("gemm_tile64_tn", GemmVariant.TILE64.kernelName(true, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmVariant.byId("huge"));
        assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("tile64"), e.getMessage());
    }
}
