package dev.dendrite.backend;

/**
 * The argument checks of the {@link Backend} op set, and their messages, in one place for every backend.
 *
 * <p>Each check throws {@link IllegalArgumentException} with a message that names the op, the argument, what it
 * got and what was expected, e.g. {@code "gemm: c has 3 elements; expected at least 4 (m*n)"}; the use of a
 * closed buffer or backend throws {@link IllegalStateException}. {@link AbstractBackend} calls these before a
 * backend issues any work, so that a bad call fails the same way, with the same words, on every backend.
 *
 * <p>{@link AbstractBackend} holds one instance, made with the backend and its buffer class, and calls the op's
 * method of the same name first thing in every op (after the closed check): {@code checks.gemm(m, n, k, a, b, c)}
 * checks the dimensions, then each slice in argument order (not null, allocated by this backend, open, its dtype,
 * its length), then the op's rules (what may alias what, the ranges of its scalars). Once it returns, every slice
 * is known to be an open buffer of the backend's class, which the backend then reads without checking again.
 * Checks of values that live in device memory (labels, gather indices, the batch counter) are made on the host
 * by the CPU backend and on the device by the GPU backends, with the messages built here. The checks allocate
 * nothing unless they throw.
 *
 * <p>About 700 lines, kept in one file on purpose: every message a bad call can get is here, side by side, so
 * that the ops word them alike (splitting it by family would scatter the shared slice and overlap rules).
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public final class OpChecks {
    private final Backend owner;
    private final Class<? extends AbstractBuffer<?>> bufferType;

    /** The checks of {@code owner}'s ops, whose slices must be open {@code bufferType}s that it allocated. */
    public OpChecks(Backend owner, Class<? extends AbstractBuffer<?>> bufferType) {
        this.owner = owner;
        this.bufferType = bufferType;
    }

    // ------------------------------------------------------------------ backends and buffers

    /** Rejects any use of a closed backend ({@code name}: its short name, e.g. {@code cpu}). */
    public static void backendOpen(String name, boolean closed) {
        if (closed) {
            throw new IllegalStateException(name + " backend is closed");
        }
    }

    /**
     * The buffer behind {@code s}, checked to be a {@code type} allocated by {@code owner}.
     *
     * @throws IllegalArgumentException if {@code s} is null or belongs to no backend or to another one
     */
    public static <B extends Buffer> B owned(String op, String name, Slice s, Backend owner, Class<B> type) {
        if (s == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null; expected a slice");
        }
        Buffer b = s.buffer();
        if (!type.isInstance(b) || b.backend() != owner) {
            throw new IllegalArgumentException(op + ": " + name + " (" + s + ") belongs to "
                    + (b.backend() == null ? "no backend" : "another backend (" + b.backend().name() + ")")
                    + "; expected a buffer allocated by this " + owner.name() + " backend");
        }
        return type.cast(b);
    }

    /** Rejects a slice of a closed buffer ({@code closed}: the buffer's state, which only its backend knows). */
    public static void notClosed(String op, String name, Slice s, boolean closed) {
        if (closed) {
            throw new IllegalStateException(op + ": " + name + " (" + s + ") is a closed buffer");
        }
    }

    /**
     * Checks that {@code s} has dtype {@code want} and at least {@code need} elements; {@code what} names the
     * count in the message, e.g. {@code "rows*cols"} (unused when {@code need} is 0).
     */
    public static void typed(String op, String name, Slice s, DType want, long need, String what) {
        if (s.dtype() != want) {
            throw new IllegalArgumentException(op + ": " + name + " is " + s.dtype() + "; expected " + want);
        }
        if (s.length() < need) {
            throw new IllegalArgumentException(op + ": " + name + " has " + s.length()
                    + " elements; expected at least " + need + " (" + what + ")");
        }
    }

    /** Checks that a host array (length -1: null) has {@code count} elements from {@code offset}. */
    public static void checkHost(String op, String name, int arrayLength, int offset, int count) {
        if (arrayLength < 0) {
            throw new IllegalArgumentException(op + ": " + name + " array is null");
        }
        if (offset < 0 || (long) offset + count > arrayLength) {
            throw new IllegalArgumentException(op + ": " + name + " offset " + offset + " + " + count
                    + " elements does not fit in an array of " + arrayLength);
        }
    }

    /** {@link Backend#copy}'s rule: the same dtype and the same length on both sides. */
    public static void sameShape(String op, Slice src, Slice dst) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException(op + ": src is " + src.dtype() + " but dst is " + dst.dtype()
                    + "; expected the same dtype");
        }
        if (src.length() != dst.length()) {
            throw new IllegalArgumentException(op + ": src has " + src.length() + " elements but dst has "
                    + dst.length() + "; expected the same length");
        }
    }

    // ------------------------------------------------------------------ overlaps

    /**
     * Rejects an output whose touched range {@code [out, out + outLen)} overlaps an input's
     * {@code [in, in + inLen)}; with {@code exactAllowed} the two may be the very same elements (documented
     * in-place use) but may not overlap partly. A null slice overlaps nothing.
     */
    public static void noOverlap(String op, String outName, Slice out, long outLen,
                                 String inName, Slice in, long inLen, boolean exactAllowed) {
        if (out == null || in == null || out.buffer() != in.buffer() || outLen == 0 || inLen == 0) {
            return;
        }
        long o0 = out.offset();
        long i0 = in.offset();
        if (o0 < i0 + inLen && i0 < o0 + outLen) {
            if (exactAllowed && o0 == i0 && outLen == inLen) {
                return;
            }
            throw new IllegalArgumentException(op + ": " + outName + " (" + out + ") overlaps " + inName
                    + " (" + in + "); expected " + (exactAllowed ? "the same elements or disjoint ones"
                    : "disjoint slices"));
        }
    }

    /**
     * The overlaps a loss op forbids: its output ({@code probs}, {@code dlogits} or {@code dpred}, {@code total}
     * elements) against the predictions and the targets, and the {@code stats} against all three.
     */
    public static void checkLossOverlaps(String op, String outName, Slice out, Slice in1, Slice in2, Slice stats,
                                         long total) {
        noOverlap(op, outName, out, total, "logits/pred", in1, total, false);
        noOverlap(op, outName, out, total, "targets", in2, total, false);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, outName, out, total, false);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "logits/pred", in1, total, false);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "targets", in2, total, false);
    }

    // ------------------------------------------------------------------ scalars

    public static void nonNegative(String op, String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(op + ": " + name + " = " + value + "; expected >= 0");
        }
    }

    public static void positive(String op, String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(op + ": " + name + " = " + value + "; expected >= 1");
        }
    }

    /** {@code value <= max}: a size the backend cannot go beyond. */
    public static void atMost(String op, String name, int value, int max) {
        if (value > max) {
            throw new IllegalArgumentException(op + ": " + name + " = " + value + "; expected at most " + max);
        }
    }

    /** {@code 0 <= value <= 1}: a momentum, RMSprop's rho. */
    public static void unitInterval(String op, String name, float value) {
        if (!(value >= 0f && value <= 1f)) {
            throw new IllegalArgumentException(op + ": " + name + " " + value + "; expected 0 <= " + name
                    + " <= 1");
        }
    }

    /** {@code 0 <= value < 1}: Adam's betas, a dropout rate. */
    public static void halfOpenUnit(String op, String name, float value) {
        if (!(value >= 0f && value < 1f)) {
            throw new IllegalArgumentException(op + ": " + name + " " + value + "; expected 0 <= " + name
                    + " < 1");
        }
    }

    /** An epsilon added to a variance or a denominator: finite and not negative. */
    public static void checkEps(String op, float eps) {
        if (!(eps >= 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps " + eps + "; expected a finite value >= 0");
        }
    }

    public static void requireActivation(String op, ActivationFunction f) {
        if (f == null) {
            throw new IllegalArgumentException(op + ": activation is null; expected an ActivationFunction");
        }
    }

    /**
     * A non-zero momentum needs its state: {@code slice} (named {@code name}, described as {@code what}, e.g.
     * "a velocity slice") may be null only with momentum 0.
     */
    public static void momentumHasState(String op, float momentum, Slice slice, String name, String what) {
        if (slice == null && momentum != 0f) {
            throw new IllegalArgumentException(op + ": momentum " + momentum + " but " + name
                    + " is null; expected " + what + ", or momentum 0");
        }
    }

    // ------------------------------------------------------------------ gather and labels

    /** {@link Backend#gather} copies integer rows unchanged: no transform for an I32 source. */
    public static void noTransformOfIntegers(String op, DType src, Slice scale, Slice shift) {
        if (src == DType.I32 && (scale != null || shift != null)) {
            throw new IllegalArgumentException(op + ": scale/shift given for an I32 src; "
                    + "expected null (integer rows are copied unchanged)");
        }
    }

    /**
     * Checks that batch {@code batch} of {@code batchSize} ({@code rows} rows from position
     * {@code batch * batchSize}) lies within the {@code positions} a gather can read: the rows of src
     * ({@code indexed} false) or the elements of indices.
     */
    public static void batchInRange(String op, long batch, int batchSize, int rows, long positions,
                                    boolean indexed) {
        long start = batch * batchSize;
        if (start + rows > positions) {
            throw new IllegalArgumentException(op + ": batch " + batch + " of size " + batchSize
                    + " reads positions [" + start + ", " + (start + rows) + ") but "
                    + (indexed ? "indices has " + positions + " elements" : "src has " + positions + " rows"));
        }
    }

    /** The message for a gather index outside the source: {@code indices[position] = value}. */
    public static String badIndex(String op, long position, int value, long srcRows) {
        return op + ": indices[" + position + "] = " + value + "; expected a row of src in [0, " + srcRows + ")";
    }

    /** The message for a sparse label outside the classes. */
    public static String badLabel(String op, int label, int row, int classes) {
        return op + ": label " + label + " in row " + row + "; expected a class index in [0, " + classes + ")";
    }

    // ------------------------------------------------------------------ the checks of each op
    //
    // One method per op of the Backend interface, named after it and taking its arguments in its order (less
    // those that need no check): the dimensions, then the slices, then the aliasing the Backend contract rules
    // out ("unless stated, outputs must not alias inputs") and the ranges of the op's scalars.

    public void allocate(DType dtype, int length) {
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null; expected F32, I32 or U8");
        }
        if (length < 0) {
            throw new IllegalArgumentException("allocate: length " + length + "; expected >= 0");
        }
    }

    public void upload(float[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.F32, "src", src == null ? -1 : src.length, srcOffset);
    }

    public void upload(int[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.I32, "src", src == null ? -1 : src.length, srcOffset);
    }

    public void upload(byte[] src, int srcOffset, Slice dst) {
        hostCopy("upload", "dst", dst, DType.U8, "src", src == null ? -1 : src.length, srcOffset);
    }

    public void download(Slice src, float[] dst, int dstOffset) {
        hostCopy("download", "src", src, DType.F32, "dst", dst == null ? -1 : dst.length, dstOffset);
    }

    public void download(Slice src, int[] dst, int dstOffset) {
        hostCopy("download", "src", src, DType.I32, "dst", dst == null ? -1 : dst.length, dstOffset);
    }

    /** An upload or download: the device side first, then the host array (length -1: null) it fills or reads. */
    private void hostCopy(String op, String name, Slice s, DType want, String hostName, int hostLength,
                          int hostOffset) {
        slice(op, name, s, want, 0, null);
        checkHost(op, hostName, hostLength, hostOffset, s.length());
    }

    public void fill(Slice x) {
        slice("fill", "x", x, DType.F32, 0, null);
    }

    /** The same dtype and length on both sides, and no overlap. */
    public void copy(Slice src, Slice dst) {
        open("copy", "src", src);
        open("copy", "dst", dst);
        sameShape("copy", src, dst);
        noOverlap("copy", "dst", dst, dst.length(), "src", src, src.length(), false);
    }

    public void gemm(int m, int n, int k, Slice a, Slice b, Slice c) {
        String op = "gemm";
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        nonNegative(op, "k", k);
        f32(op, "a", a, (long) m * k, "m*k");
        f32(op, "b", b, (long) k * n, "k*n");
        f32(op, "c", c, (long) m * n, "m*n");
        noOverlap(op, "c", c, (long) m * n, "a", a, (long) m * k, false);
        noOverlap(op, "c", c, (long) m * n, "b", b, (long) k * n, false);
    }

    public void columnSums(Slice x, int rows, int cols, Slice out) {
        String op = "columnSums";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "out", out, cols);
        noOverlap(op, "out", out, cols, "x", x, (long) rows * cols, false);
    }

    /** {@code bias} may be null; {@code y} may be {@code z} exactly for LINEAR only. */
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, Slice y) {
        String op = "biasActivationForward";
        requireActivation(op, f);
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        matrix(op, "z", z, rows, cols);
        matrix(op, "y", y, rows, cols);
        perColumnOrNull(op, "bias", bias, cols);
        long total = (long) rows * cols;
        // In place would destroy the pre-activation the backward pass needs, except for LINEAR where z == y.
        noOverlap(op, "y", y, total, "z", z, total, f == ActivationFunction.LINEAR);
        if (bias != null) {
            noOverlap(op, "z", z, total, "bias", bias, cols, false);
            noOverlap(op, "y", y, total, "bias", bias, cols, false);
        }
    }

    /** {@code dz} may be {@code dy} exactly; {@code dbias} (may be null) overlaps nothing. */
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, Slice dz,
                                   Slice dbias) {
        String op = "activationBackward";
        requireActivation(op, f);
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        matrix(op, "z", z, rows, cols);
        matrix(op, "y", y, rows, cols);
        matrix(op, "dy", dy, rows, cols);
        matrix(op, "dz", dz, rows, cols);
        perColumnOrNull(op, "dbias", dbias, cols);
        long total = (long) rows * cols;
        noOverlap(op, "dz", dz, total, "dy", dy, total, true);
        noOverlap(op, "dz", dz, total, "z", z, total, false);
        noOverlap(op, "dz", dz, total, "y", y, total, false);
        if (dbias != null) {
            noOverlap(op, "dbias", dbias, cols, "dz", dz, total, false);
            noOverlap(op, "dbias", dbias, cols, "dy", dy, total, false);
            noOverlap(op, "dbias", dbias, cols, "z", z, total, false);
            noOverlap(op, "dbias", dbias, cols, "y", y, total, false);
        }
    }

    /** Finite slope and threshold, a max value >= 0 (infinite for none); {@code y} may be {@code x} exactly. */
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        String op = "reluForward";
        reluScalars(op, n, negativeSlope, maxValue, threshold);
        vector(op, "x", x, n);
        vector(op, "y", y, n);
        noOverlap(op, "y", y, n, "x", x, n, true);
    }

    /** {@code dx} may be {@code dy} exactly, and overlaps nothing else. */
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        String op = "reluBackward";
        reluScalars(op, n, negativeSlope, maxValue, threshold);
        vector(op, "x", x, n);
        vector(op, "dy", dy, n);
        vector(op, "dx", dx, n);
        noOverlap(op, "dx", dx, n, "dy", dy, n, true);
        noOverlap(op, "dx", dx, n, "x", x, n, false);
    }

    private static void reluScalars(String op, int n, float negativeSlope, float maxValue, float threshold) {
        nonNegative(op, "n", n);
        if (!Float.isFinite(negativeSlope) || !Float.isFinite(threshold)) {
            throw new IllegalArgumentException(op + ": negativeSlope " + negativeSlope + ", threshold " + threshold
                    + "; expected finite values");
        }
        if (!(maxValue >= 0f)) {
            throw new IllegalArgumentException(op + ": maxValue " + maxValue
                    + "; expected a value >= 0 (Float.POSITIVE_INFINITY for none)");
        }
    }

    /** {@code y} may be {@code x} exactly; {@code alpha} overlaps neither. */
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        String op = "preluForward";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "alpha", alpha, cols);
        matrix(op, "y", y, rows, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, true);
        noOverlap(op, "y", y, total, "alpha", alpha, cols, false);
    }

    /** {@code dx} (may be null) may be {@code dy} exactly; {@code dalpha} overlaps nothing. */
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        String op = "preluBackward";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        matrix(op, "x", x, rows, cols);
        perColumn(op, "alpha", alpha, cols);
        matrix(op, "dy", dy, rows, cols);
        matrixOrNull(op, "dx", dx, rows, cols);
        perColumn(op, "dalpha", dalpha, cols);
        long total = (long) rows * cols;
        noOverlap(op, "dx", dx, total, "dy", dy, total, true);
        noOverlap(op, "dx", dx, total, "x", x, total, false);
        noOverlap(op, "dx", dx, total, "alpha", alpha, cols, false);
        noOverlap(op, "dalpha", dalpha, cols, "x", x, total, false);
        noOverlap(op, "dalpha", dalpha, cols, "dy", dy, total, false);
        noOverlap(op, "dalpha", dalpha, cols, "alpha", alpha, cols, false);
        noOverlap(op, "dalpha", dalpha, cols, "dx", dx, total, false);
    }

    /** {@code period} divides {@code cols}; mean and variance (each may be null) hold {@code period} values. */
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        String op = "featureAffine";
        nonNegative(op, "rows", rows);
        positive(op, "period", period);
        if (cols % period != 0) {
            throw new IllegalArgumentException(op + ": cols = " + cols + " is not a multiple of period = " + period
                    + "; expected each row to hold whole groups of period features");
        }
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) {
            throw new IllegalArgumentException(op + ": scale " + scale + ", offset " + offset
                    + "; expected finite values");
        }
        matrix(op, "x", x, rows, cols);
        sliceOrNull(op, "mean", mean, DType.F32, period, "period");
        sliceOrNull(op, "variance", variance, DType.F32, period, "period");
        matrix(op, "y", y, rows, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, true);
        noOverlap(op, "y", y, total, "mean", mean, period, false);
        noOverlap(op, "y", y, total, "variance", variance, period, false);
    }

    /** Sparse labels are I32 class indices, one per row; dense ones an F32 matrix. {@code dlogits} may be null. */
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                    Slice probs, Slice dlogits, Slice stats) {
        String op = "softmaxCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        matrix(op, "logits", logits, rows, cols);
        if (sparseLabels) {
            slice(op, "labels", labels, DType.I32, rows, "rows");
        } else {
            matrix(op, "labels", labels, rows, cols);
        }
        matrix(op, "probs", probs, rows, cols);
        matrixOrNull(op, "dlogits", dlogits, rows, cols);
        stats(op, stats);
        long total = (long) rows * cols;
        long labelLength = sparseLabels ? rows : total;
        int statsLength = Backend.STATS_LENGTH;
        noOverlap(op, "probs", probs, total, "logits", logits, total, false);
        noOverlap(op, "probs", probs, total, "labels", labels, labelLength, false);
        noOverlap(op, "stats", stats, statsLength, "logits", logits, total, false);
        noOverlap(op, "stats", stats, statsLength, "labels", labels, labelLength, false);
        noOverlap(op, "stats", stats, statsLength, "probs", probs, total, false);
        if (dlogits != null) {
            noOverlap(op, "dlogits", dlogits, total, "logits", logits, total, false);
            noOverlap(op, "dlogits", dlogits, total, "labels", labels, labelLength, false);
            noOverlap(op, "dlogits", dlogits, total, "probs", probs, total, false);
            noOverlap(op, "stats", stats, statsLength, "dlogits", dlogits, total, false);
        }
    }

    /** {@code dlogits} may be null. */
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice probs, Slice dlogits,
                                    Slice stats) {
        String op = "sigmoidCrossEntropy";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        matrix(op, "logits", logits, rows, cols);
        matrix(op, "targets", targets, rows, cols);
        matrix(op, "probs", probs, rows, cols);
        matrixOrNull(op, "dlogits", dlogits, rows, cols);
        stats(op, stats);
        long total = (long) rows * cols;
        checkLossOverlaps(op, "probs", probs, logits, targets, stats, total);
        if (dlogits != null) {
            checkLossOverlaps(op, "dlogits", dlogits, logits, targets, stats, total);
            noOverlap(op, "dlogits", dlogits, total, "probs", probs, total, false);
        }
    }

    /** {@code dpred} may be null. */
    public void meanSquaredError(Slice pred, Slice targets, int rows, int cols, Slice dpred, Slice stats) {
        String op = "meanSquaredError";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        matrix(op, "pred", pred, rows, cols);
        matrix(op, "targets", targets, rows, cols);
        matrixOrNull(op, "dpred", dpred, rows, cols);
        stats(op, stats);
        long total = (long) rows * cols;
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "pred", pred, total, false);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "targets", targets, total, false);
        if (dpred != null) {
            checkLossOverlaps(op, "dpred", dpred, pred, targets, stats, total);
        }
    }

    public void regularizerGradient(Slice w, Slice grad, int n) {
        String op = "regularizerGradient";
        nonNegative(op, "n", n);
        vector(op, "w", w, n);
        vector(op, "grad", grad, n);
        noOverlap(op, "grad", grad, n, "w", w, n, false);
    }

    public void regularizerPenalty(Slice w, int n, Slice stats) {
        String op = "regularizerPenalty";
        nonNegative(op, "n", n);
        vector(op, "w", w, n);
        stats(op, stats);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "w", w, n, false);
    }

    /**
     * Dropout forward ({@code op} "dropoutForward", {@code x -> y}) or backward ("dropoutBackward",
     * {@code dy -> dx}): in place or disjoint.
     */
    public void dropout(String op, String inName, Slice in, String outName, Slice out, int n, float rate,
                        Slice counters) {
        nonNegative(op, "n", n);
        halfOpenUnit(op, "rate", rate);
        vector(op, inName, in, n);
        vector(op, outName, out, n);
        counters(op, counters);
        noOverlap(op, outName, out, n, inName, in, n, true);
    }

    /** GaussianNoise: {@code 0 <= stddev}, finite; in place or disjoint. */
    public void gaussianNoise(Slice x, Slice y, int n, float stddev, Slice counters) {
        String op = "gaussianNoise";
        if (!(stddev >= 0f) || Float.isInfinite(stddev)) {
            throw new IllegalArgumentException(op + ": stddev " + stddev + "; expected a finite value >= 0");
        }
        elementwiseNoise(op, "x", x, "y", y, n, counters);
    }

    /** GaussianDropout (either pass): {@code 0 <= rate < 1}; in place or disjoint. */
    public void gaussianDropout(Slice in, Slice out, int n, float rate, Slice counters) {
        String op = "gaussianDropout";
        halfOpenUnit(op, "rate", rate);
        elementwiseNoise(op, "in", in, "out", out, n, counters);
    }

    /** AlphaDropout forward or backward ({@code op} names it): {@code 0 <= rate < 1}; in place or disjoint. */
    public void alphaDropout(String op, String inName, Slice in, String outName, Slice out, int n, float rate,
                             Slice counters) {
        halfOpenUnit(op, "rate", rate);
        elementwiseNoise(op, inName, in, outName, out, n, counters);
    }

    private void elementwiseNoise(String op, String inName, Slice in, String outName, Slice out, int n,
                                  Slice counters) {
        nonNegative(op, "n", n);
        vector(op, inName, in, n);
        vector(op, outName, out, n);
        counters(op, counters);
        noOverlap(op, outName, out, n, inName, in, n, true);
    }

    /**
     * An augmentation op: {@code rows} images of {@code height x width} from {@code x} to {@code y}, in place only
     * where {@code inPlace} allows it.
     */
    public void augment(String op, Slice x, Slice y, int rows, int height, int width, Object spec, Slice counters,
                        boolean inPlace) {
        nonNegative(op, "rows", rows);
        positive(op, "height", height);
        positive(op, "width", width);
        if (spec == null) {
            throw new IllegalArgumentException(op + ": spec is null; expected the augmentation's ranges");
        }
        long n = (long) rows * height * width;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + rows + " images of " + height + " x " + width
                    + " hold more than 2^31 - 1 values");
        }
        vector(op, "x", x, (int) n);
        vector(op, "y", y, (int) n);
        counters(op, counters);
        noOverlap(op, "y", y, n, "x", x, n, inPlace);
    }

    /** The smallest alpha {@link Backend#mixup} takes: below it a Gamma draw's log leaves float's range. */
    public static final float MIXUP_MIN_ALPHA = 1e-6f;

    /** {@link Backend#mixup}: the sizes, alpha, then each slice in argument order, and no output over an input. */
    public void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                      Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        String op = "mixup";
        nonNegative(op, "rows", rows);
        positive(op, "xWidth", xWidth);
        positive(op, "classes", classes);
        checkMixupAlpha(op, alpha);
        long nx = (long) rows * xWidth;
        long ny = (long) rows * classes;
        if (nx + ny > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + rows + " rows of " + xWidth + " inputs and " + classes
                    + " classes hold more than 2^31 - 1 values");
        }
        f32(op, "x", x, nx, "rows*xWidth");
        if (sparseLabels) {
            slice(op, "y", y, DType.I32, rows, "rows (class indices)");
        } else {
            f32(op, "y", y, ny, "rows*classes");
        }
        counters(op, counters);
        f32(op, "lambdas", lambdas, rows, "rows");
        f32(op, "xOut", xOut, nx, "rows*xWidth");
        f32(op, "yOut", yOut, ny, "rows*classes");
        long yLen = sparseLabels ? rows : ny;
        noOverlap(op, "lambdas", lambdas, rows, "x", x, nx, false);
        noOverlap(op, "lambdas", lambdas, rows, "y", y, yLen, false);
        noOverlap(op, "xOut", xOut, nx, "x", x, nx, false);
        noOverlap(op, "xOut", xOut, nx, "y", y, yLen, false);
        noOverlap(op, "yOut", yOut, ny, "x", x, nx, false);
        noOverlap(op, "yOut", yOut, ny, "y", y, yLen, false);
        noOverlap(op, "xOut", xOut, nx, "lambdas", lambdas, rows, false);
        noOverlap(op, "yOut", yOut, ny, "lambdas", lambdas, rows, false);
        noOverlap(op, "yOut", yOut, ny, "xOut", xOut, nx, false);
    }

    /**
     * The largest alpha {@link Backend#mixup} takes: the float Gamma draw loses its accuracy beyond it, and every
     * lambda is 1/2 within 0.01 there anyway.
     */
    public static final float MIXUP_MAX_ALPHA = 1e4f;

    /** Mixup's alpha: in [{@link #MIXUP_MIN_ALPHA}, {@link #MIXUP_MAX_ALPHA}]; {@code where} names the caller. */
    public static void checkMixupAlpha(String where, double alpha) {
        if (!(alpha >= MIXUP_MIN_ALPHA && alpha <= MIXUP_MAX_ALPHA)) {
            throw new IllegalArgumentException(where + ": alpha = " + alpha + "; expected a value in ["
                    + MIXUP_MIN_ALPHA + ", " + MIXUP_MAX_ALPHA + "] (lambda ~ Beta(alpha, alpha); as alpha -> 0"
                    + " every lambda is 0 or 1, i.e. no mixing: leave mixup off instead)");
        }
    }

    /** {@code gamma} and {@code beta} may be null. */
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar, Slice y,
                                         Slice saveMean, Slice saveInvStd) {
        String op = "batchNormForwardTraining";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        unitInterval(op, "momentum", momentum);
        batchNormForward(op, x, rows, cols, gamma, beta, runningMean, runningVar, y);
        perColumn(op, "saveMean", saveMean, cols);
        perColumn(op, "saveInvStd", saveInvStd, cols);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
        noOverlap(op, "saveMean", saveMean, cols, "saveInvStd", saveInvStd, cols, false);
        noOverlap(op, "runningMean", runningMean, cols, "runningVar", runningVar, cols, false);
        noOverlap(op, "y", y, total, "saveMean", saveMean, cols, false);
        noOverlap(op, "y", y, total, "saveInvStd", saveInvStd, cols, false);
    }

    /** {@code gamma} and {@code beta} may be null. */
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        String op = "batchNormForwardInference";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        checkEps(op, eps);
        batchNormForward(op, x, rows, cols, gamma, beta, runningMean, runningVar, y);
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
    }

    /** The slices both batch-norm forwards take, in their order: {@code gamma} and {@code beta} may be null. */
    private void batchNormForward(String op, Slice x, int rows, int cols, Slice gamma, Slice beta,
                                  Slice runningMean, Slice runningVar, Slice y) {
        matrix(op, "x", x, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        perColumnOrNull(op, "beta", beta, cols);
        perColumn(op, "runningMean", runningMean, cols);
        perColumn(op, "runningVar", runningVar, cols);
        matrix(op, "y", y, rows, cols);
    }

    /** {@code gamma}, {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "batchNormBackward";
        positive(op, "rows", rows);
        nonNegative(op, "cols", cols);
        normBackwardSlices(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, cols, "cols", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "x", x, total, false);
            noOverlap(op, "dx", dx, total, "dy", dy, total, false);
        }
        if (dgamma != null && dbeta != null) {
            noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        }
        // Once the OpenCL backend's alone; the contract ("outputs must not alias inputs") rules these out for all.
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "saveMean", saveMean, cols, false);
            noOverlap(op, "dx", dx, total, "saveInvStd", saveInvStd, cols, false);
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
        }
    }

    /**
     * The slices both normalisation backwards take, in their order: the statistics hold {@code statLength} values
     * (batch norm: one per column, layer norm: one per row); {@code gamma}, {@code dx}, {@code dgamma} and
     * {@code dbeta} may be null.
     */
    private void normBackwardSlices(String op, Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                    Slice saveInvStd, int statLength, String statWhat, Slice dx, Slice dgamma,
                                    Slice dbeta) {
        matrix(op, "x", x, rows, cols);
        matrix(op, "dy", dy, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        f32(op, "saveMean", saveMean, statLength, statWhat);
        f32(op, "saveInvStd", saveInvStd, statLength, statWhat);
        matrixOrNull(op, "dx", dx, rows, cols);
        perColumnOrNull(op, "dgamma", dgamma, cols);
        perColumnOrNull(op, "dbeta", dbeta, cols);
    }

    /** {@code gamma} and {@code beta} may be null; the statistics are one per row. */
    public void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                 Slice saveMean, Slice saveInvStd) {
        String op = "layerNormForward";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        checkEps(op, eps);
        matrix(op, "x", x, rows, cols);
        perColumnOrNull(op, "gamma", gamma, cols);
        perColumnOrNull(op, "beta", beta, cols);
        matrix(op, "y", y, rows, cols);
        f32(op, "saveMean", saveMean, rows, "rows");
        f32(op, "saveInvStd", saveInvStd, rows, "rows");
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
        noOverlap(op, "y", y, total, "gamma", gamma, cols, false);
        noOverlap(op, "y", y, total, "beta", beta, cols, false);
        noOverlap(op, "saveMean", saveMean, rows, "saveInvStd", saveInvStd, rows, false);
        noOverlap(op, "y", y, total, "saveMean", saveMean, rows, false);
        noOverlap(op, "y", y, total, "saveInvStd", saveInvStd, rows, false);
        noOverlap(op, "saveMean", saveMean, rows, "x", x, total, false);
        noOverlap(op, "saveInvStd", saveInvStd, rows, "x", x, total, false);
    }

    /** {@code gamma}, {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        String op = "layerNormBackward";
        nonNegative(op, "rows", rows);
        positive(op, "cols", cols);
        normBackwardSlices(op, x, dy, rows, cols, gamma, saveMean, saveInvStd, rows, "rows", dx, dgamma, dbeta);
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "x", x, total, false);
            noOverlap(op, "dx", dx, total, "dy", dy, total, false);
            noOverlap(op, "dx", dx, total, "gamma", gamma, cols, false);
            noOverlap(op, "dx", dx, total, "saveMean", saveMean, rows, false);
            noOverlap(op, "dx", dx, total, "saveInvStd", saveInvStd, rows, false);
        }
        noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        noOverlap(op, "dgamma", dgamma, cols, "x", x, total, false);
        noOverlap(op, "dgamma", dgamma, cols, "dy", dy, total, false);
        noOverlap(op, "dgamma", dgamma, cols, "dx", dx, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "x", x, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "dy", dy, total, false);
        noOverlap(op, "dbeta", dbeta, cols, "dx", dx, total, false);
    }

    /** {@code velocity} may be null only with momentum 0. */
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper, float momentum) {
        String op = "sgdUpdate";
        paramsAndGrads(op, params, grads, n);
        vectorOrNull(op, "velocity", velocity, n);
        hyper(op, hyper);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        momentumHasState(op, momentum, velocity, "velocity", "a velocity slice");
        if (velocity != null) {
            unitInterval(op, "momentum", momentum);
            noOverlap(op, "velocity", velocity, n, "params", params, n, false);
            noOverlap(op, "velocity", velocity, n, "grads", grads, n, false);
        }
    }

    /** {@code vMax} (AMSGrad) may be null. */
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper,
                           Slice counters, float beta1, float beta2, float eps) {
        String op = "adamUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "m", m, n);
        vector(op, "v", v, n);
        vectorOrNull(op, "vMax", vMax, n);
        hyper(op, hyper);
        counters(op, counters);
        halfOpenUnit(op, "beta1", beta1);
        halfOpenUnit(op, "beta2", beta2);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "m", m, n, "v", v, n, false);
        // No two of the updated states overlap (once the OpenCL backend's rule alone).
        noOverlap(op, "params", params, n, "m", m, n, false);
        noOverlap(op, "params", params, n, "v", v, n, false);
        if (vMax != null) {
            noOverlap(op, "vMax", vMax, n, "v", v, n, false);
            noOverlap(op, "vMax", vMax, n, "m", m, n, false);
            noOverlap(op, "vMax", vMax, n, "params", params, n, false);
        }
    }

    /** {@code mom} may be null only with momentum 0; {@code mg} (centered) may be null. */
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper,
                              float rho, float momentum, float eps) {
        String op = "rmspropUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "ms", ms, n);
        vectorOrNull(op, "mom", mom, n);
        vectorOrNull(op, "mg", mg, n);
        hyper(op, hyper);
        unitInterval(op, "rho", rho);
        checkEps(op, eps);
        momentumHasState(op, momentum, mom, "mom", "a momentum slice");
        unitInterval(op, "momentum", momentum);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "ms", ms, n, "params", params, n, false); // once the OpenCL backend's rule alone
    }

    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        String op = "adagradUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "accumulator", accumulator, n);
        hyper(op, hyper);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accumulator", accumulator, n, "params", params, n, false);
    }

    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        String op = "learningRateSchedule";
        int need = ScheduleMath.minimumLength(kind); // names the kind when it is unknown
        f32(op, "schedule", schedule, need, "the parameters of schedule kind " + kind);
        counters(op, counters);
        hyper(op, hyper);
        f32(op, "out", out, Backend.HYPER_LR + 1, "HYPER_LR + 1");
        noOverlap(op, "out", out, Backend.HYPER_LR + 1, "schedule", schedule, schedule.length(), false);
    }

    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        String op = "accumulateGradients";
        nonNegative(op, "n", n);
        vector(op, "grads", grads, n);
        vector(op, "accumulator", accumulator, n);
        counters(op, counters);
        accumulationSteps(op, steps, 2);
        slice(op, "optimizerCounters", optimizerCounters, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
        noOverlap(op, "grads", grads, n, "accumulator", accumulator, n, false);
        noOverlap(op, "optimizerCounters", optimizerCounters, Backend.COUNTERS_LENGTH, "counters", counters,
                Backend.COUNTERS_LENGTH, false);
    }

    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        String op = "restoreUnlessUpdateStep";
        nonNegative(op, "n", n);
        vector(op, "dst", dst, n);
        vector(op, "backup", backup, n);
        counters(op, counters);
        accumulationSteps(op, steps, 2);
        noOverlap(op, "dst", dst, n, "backup", backup, n, false);
    }

    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        String op = "emaUpdate";
        nonNegative(op, "n", n);
        vector(op, "params", params, n);
        vector(op, "average", average, n);
        counters(op, counters);
        accumulationSteps(op, accumulationSteps, 1);
        unitInterval(op, "momentum", momentum);
        nonNegative(op, "overwriteFrequency", overwriteFrequency);
        noOverlap(op, "params", params, n, "average", average, n, false);
    }

    private static void accumulationSteps(String op, int steps, int min) {
        if (steps < min) {
            throw new IllegalArgumentException(op + ": accumulation steps " + steps + "; expected at least " + min);
        }
    }

    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        String op = "adamaxUpdate";
        twoMomentStates(op, params, grads, "m", m, "u", u, n, hyper, counters, beta1, beta2, eps);
    }

    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        String op = "nadamUpdate";
        twoMomentStates(op, params, grads, "m", m, "v", v, n, hyper, counters, beta1, beta2, eps);
    }

    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        String op = "lionUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "m", m, n);
        hyper(op, hyper);
        unitInterval(op, "beta1", beta1);
        unitInterval(op, "beta2", beta2);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "m", m, n, "params", params, n, false);
        noOverlap(op, "m", m, n, "grads", grads, n, false);
    }

    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        String op = "adadeltaUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "accGrad", accGrad, n);
        vector(op, "accDelta", accDelta, n);
        hyper(op, hyper);
        unitInterval(op, "rho", rho);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accGrad", accGrad, n, "accDelta", accDelta, n, false);
        noOverlap(op, "accGrad", accGrad, n, "params", params, n, false);
        noOverlap(op, "accDelta", accDelta, n, "params", params, n, false);
    }

    /** Keras's ranges: {@code lrPower <= 0}, the strengths and beta {@code >= 0}, all finite. */
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        String op = "ftrlUpdate";
        paramsAndGrads(op, params, grads, n);
        vector(op, "accumulator", accumulator, n);
        vector(op, "linear", linear, n);
        hyper(op, hyper);
        if (!(lrPower <= 0f) || Float.isInfinite(lrPower)) {
            throw new IllegalArgumentException(op + ": lrPower " + lrPower + "; expected a finite value <= 0");
        }
        float[] strengths = {l1, l2, l2Shrinkage, beta};
        String[] names = {"l1", "l2", "l2Shrinkage", "beta"};
        for (int i = 0; i < strengths.length; i++) {
            if (!(strengths[i] >= 0f) || Float.isInfinite(strengths[i])) {
                throw new IllegalArgumentException(op + ": " + names[i] + " " + strengths[i]
                        + "; expected a finite value >= 0");
            }
        }
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accumulator", accumulator, n, "linear", linear, n, false);
        noOverlap(op, "accumulator", accumulator, n, "params", params, n, false);
        noOverlap(op, "linear", linear, n, "params", params, n, false);
    }

    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        twoMomentStates("lambUpdate", params, grads, "m", m, "v", v, n, hyper, counters, beta1, beta2, eps);
    }

    /**
     * {@code rows, cols >= 0} with a product that fits an int; {@code beta2Decay <= 0}, the epsilons {@code >= 0},
     * all finite; {@code clipThreshold > 0} and finite.
     */
    public void adafactorUpdate(Slice params, Slice grads, Slice accumulator, int rows, int cols, Slice hyper,
                                Slice counters, float beta2Decay, float epsilon1, float epsilon2,
                                float clipThreshold) {
        String op = "adafactorUpdate";
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
        long size = (long) rows * cols;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": rows " + rows + " x cols " + cols + " = " + size
                    + " elements; expected at most " + Integer.MAX_VALUE);
        }
        int n = (int) size;
        paramsAndGrads(op, params, grads, n);
        vector(op, "accumulator", accumulator, n);
        hyper(op, hyper);
        counters(op, counters);
        if (!(beta2Decay <= 0f) || Float.isInfinite(beta2Decay)) {
            throw new IllegalArgumentException(op + ": beta2Decay " + beta2Decay + "; expected a finite value <= 0");
        }
        float[] epsilons = {epsilon1, epsilon2};
        String[] names = {"epsilon1", "epsilon2"};
        for (int i = 0; i < epsilons.length; i++) {
            if (!(epsilons[i] >= 0f) || Float.isInfinite(epsilons[i])) {
                throw new IllegalArgumentException(op + ": " + names[i] + " " + epsilons[i]
                        + "; expected a finite value >= 0");
            }
        }
        if (!(clipThreshold > 0f) || Float.isInfinite(clipThreshold)) {
            throw new IllegalArgumentException(op + ": clipThreshold " + clipThreshold
                    + "; expected a finite value > 0");
        }
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accumulator", accumulator, n, "params", params, n, false);
        noOverlap(op, "accumulator", accumulator, n, "grads", grads, n, false);
    }

    /** {@code weightDecay >= 0} and finite. */
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        String op = "weightDecay";
        nonNegative(op, "n", n);
        vector(op, "params", params, n);
        hyper(op, hyper);
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(op + ": weightDecay " + weightDecay + "; expected a finite value >= 0");
        }
    }

    /** clipByValue and clipByNorm: {@code grads} of n elements and a finite bound {@code > 0}. */
    public void clip(String op, String name, Slice grads, int n, float bound) {
        nonNegative(op, "n", n);
        vector(op, "grads", grads, n);
        if (!(bound > 0f) || Float.isInfinite(bound)) {
            throw new IllegalArgumentException(op + ": " + name + " " + bound + "; expected a finite value > 0");
        }
    }

    /** Adamax and Nadam: two moment states beside the parameters, betas in [0, 1), the step counter. */
    private void twoMomentStates(String op, Slice params, Slice grads, String n1, Slice s1, String n2, Slice s2,
                                 int n, Slice hyper, Slice counters, float beta1, float beta2, float eps) {
        paramsAndGrads(op, params, grads, n);
        vector(op, n1, s1, n);
        vector(op, n2, s2, n);
        hyper(op, hyper);
        counters(op, counters);
        halfOpenUnit(op, "beta1", beta1);
        halfOpenUnit(op, "beta2", beta2);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, n1, s1, n, n2, s2, n, false);
        noOverlap(op, "params", params, n, n1, s1, n, false);
        noOverlap(op, "params", params, n, n2, s2, n, false);
    }

    /** What every optimizer starts with: {@code n >= 0}, then the parameters and their gradients, n of each. */
    private void paramsAndGrads(String op, Slice params, Slice grads, int n) {
        nonNegative(op, "n", n);
        vector(op, "params", params, n);
        vector(op, "grads", grads, n);
    }

    /**
     * The first half of {@link Backend#gather}'s checks, what it reads: the sizes, {@code src} (any dtype), the
     * optional {@code indices} and {@code counters}, and, without counters, that batch 0 lies within the rows of
     * src or the elements of indices. With counters the batch lives in device memory: the CPU backend checks it
     * (and the indices' values) next, the GPU backends on the device. {@link #gatherOutput} follows.
     */
    public void gatherRows(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows) {
        String op = "gather";
        positive(op, "width", width);
        nonNegative(op, "batchSize", batchSize);
        nonNegative(op, "rows", rows);
        open(op, "src", src);
        sliceOrNull(op, "indices", indices, DType.I32, 0, null);
        sliceOrNull(op, "counters", counters, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
        if (counters == null) {
            batchInRange(op, 0, batchSize, rows, indices == null ? src.length() / width : indices.length(),
                    indices != null);
        }
    }

    /**
     * The second half of {@link Backend#gather}'s checks, what it writes: no transform of integer rows, an
     * {@code out} of the source's kind (I32 for I32, else F32) with {@code rows * width} elements, the optional
     * {@code scale} and {@code shift} of {@code width}, and no overlap of out with src.
     */
    public void gatherOutput(Slice src, int width, int rows, Slice scale, Slice shift, Slice out) {
        String op = "gather";
        noTransformOfIntegers(op, src.dtype(), scale, shift);
        long total = (long) rows * width;
        slice(op, "out", out, src.dtype() == DType.I32 ? DType.I32 : DType.F32, total, "rows*width");
        sliceOrNull(op, "scale", scale, DType.F32, width, "width");
        sliceOrNull(op, "shift", shift, DType.F32, width, "width");
        noOverlap(op, "out", out, total, "src", src, src.length(), false);
    }

    /** {@code maxN}: the largest permutation the backend can sort. */
    public void randomPermutation(Slice out, int n, int maxN) {
        String op = "randomPermutation";
        nonNegative(op, "n", n);
        atMost(op, "n", n, maxN);
        slice(op, "out", out, DType.I32, n, "n");
    }

    public void advanceCounters(Slice counters) {
        counters("advanceCounters", counters);
    }

    // ------------------------------------------------------------------ one slice

    /** {@code s} is a slice of an open buffer of this backend. */
    private void open(String op, String name, Slice s) {
        AbstractBuffer<?> b = owned(op, name, s, owner, bufferType);
        notClosed(op, name, s, b.isClosed());
    }

    /** {@code s} is a slice of an open buffer of this backend, of dtype {@code want}, with {@code need} elements. */
    private void slice(String op, String name, Slice s, DType want, long need, String what) {
        open(op, name, s);
        typed(op, name, s, want, need, what);
    }

    /** {@link #slice}, for an optional slice: null passes. */
    private void sliceOrNull(String op, String name, Slice s, DType want, long need, String what) {
        if (s != null) {
            slice(op, name, s, want, need, what);
        }
    }

    private void f32(String op, String name, Slice s, long need, String what) {
        slice(op, name, s, DType.F32, need, what);
    }

    /** An F32 {@code rows x cols} matrix. */
    private void matrix(String op, String name, Slice s, int rows, int cols) {
        f32(op, name, s, (long) rows * cols, "rows*cols");
    }

    private void matrixOrNull(String op, String name, Slice s, int rows, int cols) {
        sliceOrNull(op, name, s, DType.F32, (long) rows * cols, "rows*cols");
    }

    /** An F32 vector of one value per column (a bias, a batch-norm statistic). */
    private void perColumn(String op, String name, Slice s, int cols) {
        f32(op, name, s, cols, "cols");
    }

    private void perColumnOrNull(String op, String name, Slice s, int cols) {
        sliceOrNull(op, name, s, DType.F32, cols, "cols");
    }

    /** An F32 vector of {@code n} elements (parameters, their gradients, an optimizer's state). */
    private void vector(String op, String name, Slice s, int n) {
        f32(op, name, s, n, "n");
    }

    private void vectorOrNull(String op, String name, Slice s, int n) {
        sliceOrNull(op, name, s, DType.F32, n, "n");
    }

    /** The F32 {@code stats} slice a loss or penalty adds to. */
    private void stats(String op, Slice s) {
        f32(op, "stats", s, Backend.STATS_LENGTH, "STATS_LENGTH");
    }

    /** The I32 counters slice of a training step. */
    private void counters(String op, Slice s) {
        slice(op, "counters", s, DType.I32, Backend.COUNTERS_LENGTH, "COUNTERS_LENGTH");
    }

    /** The F32 hyper-parameter slice of an optimizer, which holds at least the learning rate. */
    private void hyper(String op, Slice s) {
        f32(op, "hyper", s, Backend.HYPER_LR + 1, "HYPER_LR + 1");
    }
}
