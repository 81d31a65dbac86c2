package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SplitsTest {
    /** 20 one-pixel images whose pixel value is their index, labelled index % 3. */
    private static Dataset numbered(int n) {
        byte[] px = new byte[n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            px[i] = (byte) i;
            y[i] = i % 3;
        }
        return new Dataset(ByteTensor.wrap(px, n, 1, 1), y, new String[] {"a", "b", "c"}, "numbered");
    }

    private static int[] pixels(Dataset d) {
        int[] out = new int[d.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.images().pixel(i, 0);
            assertEquals(out[i] % 3, d.label(i), "label travels with its image");
        }
        return out;
    }

    @Test
    void holdOutFirstIsKerasSlicing() {
        Splits.Pair<Dataset> p = numbered(20).holdOutFirst(5);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, pixels(p.validation()));
        assertEquals(15, p.train().size());
        assertEquals(5, pixels(p.train())[0]);
        assertTrue(p.validation().source().contains("first 5"), p.validation().source());
    }

    @Test
    void holdOutValidation() {
        Dataset d = numbered(20);
        for (int bad : new int[] {0, -1, 20, 5000}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.holdOutFirst(bad));
            assertTrue(e.getMessage().contains(bad + " of 20"), e.getMessage());
        }
    }

    @Test
    void randomSplitIsDeterministicDisjointAndComplete() {
        Dataset d = numbered(20);
        Splits.Pair<Dataset> a = Splits.random(d, 0.25, 42);
        Splits.Pair<Dataset> b = Splits.random(d, 0.25, 42);
        Splits.Pair<Dataset> c = Splits.random(d, 0.25, 43);
        assertEquals(5, a.validation().size());
        assertEquals(15, a.train().size());
        assertArrayEquals(pixels(a.validation()), pixels(b.validation()));
        assertFalse(Arrays.equals(pixels(a.validation()), pixels(c.validation())), "another seed, another split");
        Set<Integer> all = new HashSet<>();
        for (int v : pixels(a.train())) {
            all.add(v);
        }
        for (int v : pixels(a.validation())) {
            assertTrue(all.add(v), "sample " + v + " in both parts");
        }
        assertEquals(20, all.size());
        int[] val = pixels(a.validation());
        int[] sorted = val.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, val, "original order kept");
        assertFalse(Arrays.equals(new int[] {0, 1, 2, 3, 4}, val), "not simply the first rows");
    }

    @Test
    void randomSplitIsStableAcrossJvms() {
        // java.util.Random's sequence is specified, so this split must never change; a change here would
        // silently change every user's validation set.
        int[][] idx = Splits.randomIndices(10, 0.3, 1);
        assertArrayEquals(new int[] {6, 7, 9}, idx[1]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 8}, idx[0]);
    }

    @Test
    void randomFractionValidation() {
        Dataset d = numbered(20);
        for (double bad : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Splits.random(d, bad, 1));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        // 1% of 20 rounds to 0 validation samples.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Splits.random(d, 0.01, 1));
        assertTrue(e.getMessage().contains("0 validation"), e.getMessage());
    }

    @Test
    void genericVersionsMatchDatasetVersions() {
        Dataset d = numbered(20);
        Splits.Pair<Splits.Part> g = Splits.random(d.images(), d.labels(), 0.25, 42);
        Splits.Pair<Dataset> ds = Splits.random(d, 0.25, 42);
        assertArrayEquals(ds.validation().labels(), g.validation().y());
        assertEquals(ds.validation().images().pixel(2, 0), ((ByteTensor) g.validation().x()).pixel(2, 0));

        Tensor x = d.images().toTensor();
        Splits.Pair<Splits.Part> h = Splits.holdOutFirst(x, d.labels(), 4);
        assertEquals(16, h.train().x().rows());
        assertEquals(4f, h.train().x().get(0, 0));
        assertArrayEquals(new int[] {0, 1, 2, 0}, h.validation().y());
        assertThrows(IllegalArgumentException.class, () -> Splits.holdOutFirst(x, new int[3], 1));
    }
}
