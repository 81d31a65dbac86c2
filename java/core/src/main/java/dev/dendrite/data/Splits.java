package dev.dendrite.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * Training / validation splits.
 *
 * <ul>
 *   <li>{@code holdOutFirst}: the first {@code n} samples are the validation set, the rest the training set, as
 *       in the Keras notebooks' {@code X_valid, X_train = X_train_full[:5000], X_train_full[5000:]}.</li>
 *   <li>{@code random}: a seeded random split. The same seed always gives the same split, on every JVM, because
 *       it uses {@link Random}, whose algorithm the JDK specifies. Each part keeps the samples in their original
 *       relative order.</li>
 *   <li>{@code trainTestSplit}: scikit-learn's {@code train_test_split}, a fraction or a count held out as test
 *       part, optionally stratified so that each class keeps its share; both parts in seeded random order.</li>
 * </ul>
 * Both parts must be non-empty; a request that would leave one empty is an {@link IllegalArgumentException}.
 */
public final class Splits {
    private Splits() {
    }

    /**
     * A training part and a validation part.
     *
     * @param train the part to fit on
     * @param validation the held-out part
     */
    public record Pair<T>(T train, T validation) {
        /** @throws NullPointerException if either part is null */
        public Pair {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(validation, "validation");
        }
    }

    /**
     * Inputs with one class index per sample.
     *
     * @param x the samples
     * @param y the class index of each sample (not copied)
     */
    public record Part(Inputs x, int[] y) {
        /** @throws IllegalArgumentException if the number of labels differs from the number of samples */
        public Part {
            Objects.requireNonNull(x, "x");
            Objects.requireNonNull(y, "y");
            Labels.requireSameRows(x, y, "x");
        }
    }

    /**
     * The first {@code n} samples as validation set, the remaining ones as training set.
     *
     * @throws IllegalArgumentException unless {@code 0 < n < dataset.size()}
     */
    public static Pair<Dataset> holdOutFirst(Dataset dataset, int n) {
        checkHoldOut(n, dataset.size());
        int size = dataset.size();
        return new Pair<>(
                dataset.rows(n, size).withSource(dataset.source() + ", training part (samples " + n + ".."
                        + (size - 1) + ")"),
                dataset.rows(0, n).withSource(dataset.source() + ", validation part (first " + n + " samples)"));
    }

    /** {@link #holdOutFirst(Dataset, int)} for inputs {@code x} and labels {@code y}. */
    public static Pair<Part> holdOutFirst(Inputs x, int[] y, int n) {
        Labels.requireSameRows(x, y, "x");
        checkHoldOut(n, x.rows());
        int size = x.rows();
        return new Pair<>(new Part(x.rows(n, size), Arrays.copyOfRange(y, n, size)),
                new Part(x.rows(0, n), Arrays.copyOfRange(y, 0, n)));
    }

    /**
     * A random {@code validationFraction} of the samples (rounded to the nearest count) as validation set, the
     * rest as training set; deterministic for a given {@code seed}.
     *
     * @throws IllegalArgumentException unless the fraction is in (0, 1) and leaves at least one sample in each
     *         part
     */
    public static Pair<Dataset> random(Dataset dataset, double validationFraction, long seed) {
        int[][] idx = randomIndices(dataset.size(), validationFraction, seed);
        String pct = percent(validationFraction);
        return new Pair<>(
                dataset.select(idx[0], "training part of a random split (" + pct + " held out, seed " + seed + ")"),
                dataset.select(idx[1], "validation part of a random split (" + pct + ", seed " + seed + ")"));
    }

    /** {@link #random(Dataset, double, long)} for inputs {@code x} and labels {@code y}. */
    public static Pair<Part> random(Inputs x, int[] y, double validationFraction, long seed) {
        Labels.requireSameRows(x, y, "x");
        int[][] idx = randomIndices(x.rows(), validationFraction, seed);
        return new Pair<>(new Part(x.select(idx[0]), pick(y, idx[0])), new Part(x.select(idx[1]), pick(y, idx[1])));
    }

    /**
     * The row indices of a seeded random split of {@code size} samples: {@code [0]} training, {@code [1]}
     * validation, each ascending.
     */
    static int[][] randomIndices(int size, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction " + validationFraction
                    + "; expected a number strictly between 0 and 1");
        }
        long nVal = Math.round(size * validationFraction);
        if (nVal < 1 || nVal >= size) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " of " + size
                    + " samples gives " + nVal + " validation and " + (size - nVal)
                    + " training samples; expected at least one in each");
        }
        int[] perm = identity(size);
        shuffle(perm, new Random(seed));
        int[] val = Arrays.copyOfRange(perm, 0, (int) nVal);
        int[] train = Arrays.copyOfRange(perm, (int) nVal, size);
        Arrays.sort(val);
        Arrays.sort(train);
        return new int[][] {train, val};
    }

    /**
     * A training part and a test part, as scikit-learn's {@code train_test_split} returns them.
     *
     * @param train the part to fit on
     * @param test the held-out part
     */
    public record TestSplit<T>(T train, T test) {
        /** @throws NullPointerException if either part is null */
        public TestSplit {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(test, "test");
        }
    }

    /**
     * scikit-learn's {@code train_test_split(x, y, test_size=testSize, random_state=seed, stratify=y if stratify
     * else None)}. {@code testSize} strictly between 0 and 1 is a fraction (the test part gets
     * {@code ceil(testSize * n)} samples, as in scikit-learn); a whole number {@code >= 1} is a count. Both parts
     * come out in a seeded random order (scikit-learn shuffles too), the same for the same seed on every JVM.
     *
     * <p>With {@code stratify}, each class {@code k} of {@code c_k} samples gives
     * {@code floor(c_k * nTest / n)} or one more to the test part (the classes with the largest remainders get
     * the extra ones, ties broken by the seed), so each class's count in the test part is within 1 of its exact
     * share and the test part has exactly {@code nTest} samples. Without it, the test part is the first
     * {@code nTest} samples of a seeded shuffle.
     *
     * @throws IllegalArgumentException if {@code x} and {@code y} differ in length, {@code testSize} is neither a
     *         fraction in (0, 1) nor a whole count, either part would be empty, or (with {@code stratify}) a label is
     *         negative
     */
    public static TestSplit<Part> trainTestSplit(Inputs x, int[] y, double testSize, long seed, boolean stratify) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        Labels.requireSameRows(x, y, "x");
        int[][] idx = trainTestIndices(y, testSize, seed, stratify);
        return new TestSplit<>(new Part(x.select(idx[0]), pick(y, idx[0])),
                new Part(x.select(idx[1]), pick(y, idx[1])));
    }

    /** {@link #trainTestSplit(Inputs, int[], double, long, boolean)} for a dataset; the sources say how it was split. */
    public static TestSplit<Dataset> trainTestSplit(Dataset dataset, double testSize, long seed, boolean stratify) {
        Objects.requireNonNull(dataset, "dataset");
        int[][] idx = trainTestIndices(dataset.labels(), testSize, seed, stratify);
        String how = (stratify ? "stratified " : "") + "train/test split (" + idx[1].length + " of " + dataset.size()
                + " held out, seed " + seed + ")";
        return new TestSplit<>(dataset.select(idx[0], "training part of a " + how),
                dataset.select(idx[1], "test part of a " + how));
    }

    /** Row indices of {@link #trainTestSplit}: {@code [0]} training, {@code [1]} test, each in shuffled order. */
    static int[][] trainTestIndices(int[] y, double testSize, long seed, boolean stratify) {
        int n = y.length;
        int nTest = testCount(testSize, n);
        Random random = new Random(seed);
        int[] test;
        int[] train;
        if (!stratify) {
            int[] perm = identity(n);
            shuffle(perm, random);
            test = Arrays.copyOfRange(perm, 0, nTest);
            train = Arrays.copyOfRange(perm, nTest, n);
        } else {
            int[][] members = membersByClass(y);
            int[] take = stratifiedCounts(members, nTest, n, random);
            test = new int[nTest];
            train = new int[n - nTest];
            int t = 0;
            int r = 0;
            for (int k = 0; k < members.length; k++) {
                int[] m = members[k];
                shuffle(m, random);
                System.arraycopy(m, 0, test, t, take[k]);
                System.arraycopy(m, take[k], train, r, m.length - take[k]);
                t += take[k];
                r += m.length - take[k];
            }
            // Interleave the classes: grouped by class, a batch would hold a single class.
            shuffle(test, random);
            shuffle(train, random);
        }
        return new int[][] {train, test};
    }

    private static int testCount(double testSize, int n) {
        long nTest;
        if (testSize > 0 && testSize < 1) {
            nTest = (long) Math.ceil(testSize * n);
        } else if (testSize >= 1 && testSize == Math.rint(testSize) && testSize <= Integer.MAX_VALUE) {
            nTest = (long) testSize;
        } else {
            throw new IllegalArgumentException("testSize " + testSize + "; expected a fraction strictly between 0"
                    + " and 1 or a whole number of samples >= 1");
        }
        if (nTest < 1 || nTest >= n) {
            throw new IllegalArgumentException("testSize " + testSize + " of " + n + " samples gives " + nTest
                    + " test and " + (n - nTest) + " training samples; expected at least one in each");
        }
        return (int) nTest;
    }

    /** The sample indices of each class 0..max(y), ascending. */
    private static int[][] membersByClass(int[] y) {
        int classes = Labels.numClasses(y);
        int[] counts = Labels.counts(y, classes);
        int[][] members = new int[classes][];
        for (int k = 0; k < classes; k++) {
            members[k] = new int[counts[k]];
        }
        int[] fill = new int[classes];
        for (int i = 0; i < y.length; i++) {
            members[y[i]][fill[y[i]]++] = i;
        }
        return members;
    }

    /** Largest-remainder apportionment of {@code nTest} over the classes, in proportion to their sizes. */
    private static int[] stratifiedCounts(int[][] members, int nTest, int n, Random random) {
        int classes = members.length;
        int[] take = new int[classes];
        double[] remainder = new double[classes];
        int assigned = 0;
        for (int k = 0; k < classes; k++) {
            // Exact in long arithmetic: c_k * nTest fits easily, and the floor must not suffer rounding.
            long scaled = (long) members[k].length * nTest;
            take[k] = (int) (scaled / n);
            remainder[k] = (double) (scaled % n) / n;
            assigned += take[k];
        }
        Integer[] order = new Integer[classes];
        for (int k = 0; k < classes; k++) {
            order[k] = k;
        }
        // Random order first, then a stable sort by remainder: equal remainders are ordered by the seed.
        for (int i = classes - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Integer tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        Arrays.sort(order, (a, b) -> Double.compare(remainder[b], remainder[a]));
        for (int i = 0; assigned < nTest; i++) {
            take[order[i]]++;
            assigned++;
        }
        return take;
    }

    private static int[] identity(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /** Fisher-Yates with {@link Random}, whose sequence the JDK specification fixes. */
    static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static void checkHoldOut(int n, int size) {
        if (n < 1 || n >= size) {
            throw new IllegalArgumentException("cannot hold out the first " + n + " of " + size
                    + " samples; expected 1 <= n < " + size + " so that both parts are non-empty");
        }
    }

    /** {@code y[idx[i]]} for each i: labels in the order {@code idx} names (null passes), for splits and batches. */
    static int[] pick(int[] y, int[] idx) {
        if (y == null) {
            return null;
        }
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = y[idx[i]];
        }
        return out;
    }

    /** {@code w[idx[i]]} for each i: sample weights in the order {@code idx} names (null passes). */
    static float[] pick(float[] w, int[] idx) {
        if (w == null) {
            return null;
        }
        float[] out = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = w[idx[i]];
        }
        return out;
    }

    private static String percent(double fraction) {
        double p = fraction * 100;
        return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
    }
}
