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
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        // Fisher-Yates with java.util.Random: its sequence is fixed by the JDK specification.
        Random random = new Random(seed);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] val = Arrays.copyOfRange(perm, 0, (int) nVal);
        int[] train = Arrays.copyOfRange(perm, (int) nVal, size);
        Arrays.sort(val);
        Arrays.sort(train);
        return new int[][] {train, val};
    }

    private static void checkHoldOut(int n, int size) {
        if (n < 1 || n >= size) {
            throw new IllegalArgumentException("cannot hold out the first " + n + " of " + size
                    + " samples; expected 1 <= n < " + size + " so that both parts are non-empty");
        }
    }

    private static int[] pick(int[] y, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = y[idx[i]];
        }
        return out;
    }

    private static String percent(double fraction) {
        double p = fraction * 100;
        return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
    }
}
