package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link Splits#trainTestSplit}: scikit-learn's train_test_split, plain and stratified. */
class TrainTestSplitTest {
    /** One feature per sample holding its row index, so every row can be traced back. */
    private static Tensor indexed(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return Tensor.wrap(x, n, 1);
    }

    private static int[] rowsOf(Splits.Part p, int[] y) {
        int[] rows = new int[p.y().length];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (int) ((Tensor) p.x()).get(i, 0);
            assertEquals(y[rows[i]], p.y()[i], "label travels with its sample");
        }
        return rows;
    }

    /** Checks that train and test are disjoint and together hold every row once. */
    private static void assertPartition(int n, int[] train, int[] test) {
        boolean[] seen = new boolean[n];
        for (int[] part : new int[][] {train, test}) {
            for (int r : part) {
                assertFalse(seen[r], "row " + r + " appears twice");
                seen[r] = true;
            }
        }
        assertEquals(n, train.length + test.length);
    }

    @Test
    void stratifiedKeepsEachClassShare() {
        // Fresh random, unbalanced class sizes each run; the share bound must hold whatever they are.
        Random rnd = new Random();
        for (int trial = 0; trial < 50; trial++) {
            int classes = 2 + rnd.nextInt(9);
            int n = 20 + rnd.nextInt(500);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                // Skewed: low classes are far more common than high ones.
                y[i] = Math.min(classes - 1, (int) Math.floor(-Math.log(1 - rnd.nextDouble()) * classes / 3));
            }
            double testSize = rnd.nextBoolean() ? 0.05 + 0.9 * rnd.nextDouble() : 1 + rnd.nextInt(n - 1);
            long seed = rnd.nextLong();
            String what = "trial " + trial + ": n=" + n + ", classes=" + classes + ", testSize=" + testSize
                    + ", seed=" + seed;
            Splits.TestSplit<Splits.Part> s = Splits.trainTestSplit(indexed(n), y, testSize, seed, true);
            int[] train = rowsOf(s.train(), y);
            int[] test = rowsOf(s.test(), y);
            assertPartition(n, train, test);
            int nTest = testSize < 1 ? (int) Math.ceil(testSize * n) : (int) testSize;
            assertEquals(nTest, test.length, what);
            int[] all = Labels.counts(y, classes);
            int[] inTest = Labels.counts(s.test().y(), classes);
            for (int k = 0; k < classes; k++) {
                double exact = (double) all[k] * nTest / n;
                assertTrue(Math.abs(inTest[k] - exact) < 1, what + ": class " + k + " has " + inTest[k]
                        + " test samples, exact share " + exact);
            }
        }
    }

    @Test
    void plainSplitIsASeededShuffle() {
        int n = 100;
        int[] y = new int[n];
        Splits.TestSplit<Splits.Part> a = Splits.trainTestSplit(indexed(n), y, 0.25, 7, false);
        Splits.TestSplit<Splits.Part> b = Splits.trainTestSplit(indexed(n), y, 0.25, 7, false);
        Splits.TestSplit<Splits.Part> c = Splits.trainTestSplit(indexed(n), y, 0.25, 8, false);
        int[] test = rowsOf(a.test(), y);
        assertEquals(25, test.length);
        assertPartition(n, rowsOf(a.train(), y), test);
        assertArrayEquals(test, rowsOf(b.test(), y), "same seed, same split");
        assertFalse(Arrays.equals(test, rowsOf(c.test(), y)), "another seed, another split");
        int[] sorted = test.clone();
        Arrays.sort(sorted);
        assertFalse(Arrays.equals(sorted, test), "shuffled, as scikit-learn's default shuffle=True");
        // The test part is the head of a Fisher-Yates shuffle driven by java.util.Random(7).
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random r = new Random(7);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        assertArrayEquals(Arrays.copyOf(perm, 25), test);
    }

    @Test
    void fractionRoundsUpAndCountIsExact() {
        int[] y = new int[10];
        assertEquals(4, Splits.trainTestSplit(indexed(10), y, 0.31, 1, false).test().y().length, "ceil(3.1)");
        assertEquals(3, Splits.trainTestSplit(indexed(10), y, 3, 1, false).test().y().length);
        assertEquals(9, Splits.trainTestSplit(indexed(10), y, 9, 1, true).test().y().length);
    }

    @Test
    void datasetVersionMatchesAndSaysHow() {
        byte[] px = new byte[30];
        int[] y = new int[30];
        for (int i = 0; i < 30; i++) {
            px[i] = (byte) i;
            y[i] = i % 3;
        }
        Dataset d = new Dataset(ByteTensor.wrap(px, 30, 1, 1), y, new String[] {"a", "b", "c"}, "numbered");
        Splits.TestSplit<Dataset> s = Splits.trainTestSplit(d, 0.2, 5, true);
        Splits.TestSplit<Splits.Part> g = Splits.trainTestSplit(d.images(), y, 0.2, 5, true);
        assertArrayEquals(g.test().y(), s.test().labels());
        assertArrayEquals(new int[] {2, 2, 2}, s.test().classCounts());
        assertTrue(s.test().source().contains("test part of a stratified train/test split (6 of 30 held out, seed 5)"),
                s.test().source());
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = indexed(10);
        int[] y = new int[10];
        for (double bad : new double[] {0, -0.5, 1.5, 10, 11, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Splits.trainTestSplit(x, y, bad, 1, false));
            assertTrue(e.getMessage().contains("testSize " + bad), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Splits.trainTestSplit(x, y, 0.95, 1, false));
        assertTrue(e.getMessage().contains("gives 10 test and 0 training"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Splits.trainTestSplit(x, new int[9], 0.5, 1, false));
        assertTrue(e.getMessage().contains("9") && e.getMessage().contains("10"), e.getMessage());
        int[] negative = new int[10];
        negative[4] = -2;
        e = assertThrows(IllegalArgumentException.class, () -> Splits.trainTestSplit(x, negative, 0.5, 1, true));
        assertTrue(e.getMessage().contains("index 4") && e.getMessage().contains("-2"), e.getMessage());
    }
}
