package dev.dendrite.backend;

/**
 * The argument checks of the {@link Backend} op set, and their messages, in one place for every backend.
 *
 * <p>Each check throws {@link IllegalArgumentException} with a message that names the op, the argument, what it
 * got and what was expected, e.g. {@code "gemm: c has 3 elements; expected at least 4 (m*n)"}; the use of a
 * closed buffer or backend throws {@link IllegalStateException}. A backend calls these before it issues any
 * work, so that a bad call fails the same way, with the same words, on every backend. What only a backend
 * knows (its buffer class, its closed flags) it passes in; checks of values that live in device memory (labels,
 * gather indices, the batch counter) are made on the host by the CPU backend and on the device by the GPU
 * backends, with the messages built here.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public final class OpChecks {
    private OpChecks() {
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

    // ------------------------------------------------------------------ the rules of each op
    //
    // What each op forbids once its slices have been checked for owner, dtype and length: the aliasing the
    // Backend contract rules out ("unless stated, outputs must not alias inputs") and the ranges of its
    // scalars. A backend checks its dimensions, then types its slices, then calls the op's method here.

    public static void gemm(Slice a, Slice b, Slice c, int m, int n, int k) {
        noOverlap("gemm", "c", c, (long) m * n, "a", a, (long) m * k, false);
        noOverlap("gemm", "c", c, (long) m * n, "b", b, (long) k * n, false);
    }

    public static void columnSums(Slice x, int rows, int cols, Slice out) {
        noOverlap("columnSums", "out", out, cols, "x", x, (long) rows * cols, false);
    }

    public static void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f,
                                             Slice y) {
        String op = "biasActivationForward";
        long total = (long) rows * cols;
        // In place would destroy the pre-activation the backward pass needs, except for LINEAR where z == y.
        noOverlap(op, "y", y, total, "z", z, total, f == ActivationFunction.LINEAR);
        if (bias != null) {
            noOverlap(op, "z", z, total, "bias", bias, cols, false);
            noOverlap(op, "y", y, total, "bias", bias, cols, false);
        }
    }

    /** {@code dz} may be {@code dy} exactly; {@code dbias} (may be null) overlaps nothing. */
    public static void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, Slice dz, Slice dbias) {
        String op = "activationBackward";
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

    public static void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols,
                                           Slice probs, Slice dlogits, Slice stats) {
        String op = "softmaxCrossEntropy";
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

    public static void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice probs,
                                           Slice dlogits, Slice stats) {
        String op = "sigmoidCrossEntropy";
        long total = (long) rows * cols;
        checkLossOverlaps(op, "probs", probs, logits, targets, stats, total);
        if (dlogits != null) {
            checkLossOverlaps(op, "dlogits", dlogits, logits, targets, stats, total);
            noOverlap(op, "dlogits", dlogits, total, "probs", probs, total, false);
        }
    }

    public static void meanSquaredError(Slice pred, Slice targets, int rows, int cols, Slice dpred, Slice stats) {
        String op = "meanSquaredError";
        long total = (long) rows * cols;
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "pred", pred, total, false);
        noOverlap(op, "stats", stats, Backend.STATS_LENGTH, "targets", targets, total, false);
        if (dpred != null) {
            checkLossOverlaps(op, "dpred", dpred, pred, targets, stats, total);
        }
    }

    public static void regularizerGradient(Slice w, Slice grad, int n) {
        noOverlap("regularizerGradient", "grad", grad, n, "w", w, n, false);
    }

    public static void regularizerPenalty(Slice w, int n, Slice stats) {
        noOverlap("regularizerPenalty", "stats", stats, Backend.STATS_LENGTH, "w", w, n, false);
    }

    /** Dropout forward ({@code x -> y}) or backward ({@code dy -> dx}): in place or disjoint. */
    public static void dropout(String op, String inName, Slice in, String outName, Slice out, int n) {
        noOverlap(op, outName, out, n, inName, in, n, true);
    }

    public static void batchNormForwardTraining(Slice x, int rows, int cols, Slice runningMean, Slice runningVar,
                                                Slice y, Slice saveMean, Slice saveInvStd) {
        String op = "batchNormForwardTraining";
        long total = (long) rows * cols;
        noOverlap(op, "y", y, total, "x", x, total, false);
        noOverlap(op, "saveMean", saveMean, cols, "saveInvStd", saveInvStd, cols, false);
        noOverlap(op, "runningMean", runningMean, cols, "runningVar", runningVar, cols, false);
        noOverlap(op, "y", y, total, "saveMean", saveMean, cols, false);
        noOverlap(op, "y", y, total, "saveInvStd", saveInvStd, cols, false);
    }

    public static void batchNormForwardInference(Slice x, int rows, int cols, Slice y) {
        long total = (long) rows * cols;
        noOverlap("batchNormForwardInference", "y", y, total, "x", x, total, false);
    }

    /** {@code dx}, {@code dgamma} and {@code dbeta} may each be null. */
    public static void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice dx, Slice dgamma,
                                         Slice dbeta) {
        String op = "batchNormBackward";
        long total = (long) rows * cols;
        if (dx != null) {
            noOverlap(op, "dx", dx, total, "x", x, total, false);
            noOverlap(op, "dx", dx, total, "dy", dy, total, false);
        }
        if (dgamma != null && dbeta != null) {
            noOverlap(op, "dgamma", dgamma, cols, "dbeta", dbeta, cols, false);
        }
    }

    public static void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, float momentum) {
        String op = "sgdUpdate";
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        momentumHasState(op, momentum, velocity, "velocity", "a velocity slice");
        if (velocity != null) {
            unitInterval(op, "momentum", momentum);
            noOverlap(op, "velocity", velocity, n, "params", params, n, false);
            noOverlap(op, "velocity", velocity, n, "grads", grads, n, false);
        }
    }

    public static void adamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, float beta1, float beta2,
                                  float eps) {
        String op = "adamUpdate";
        halfOpenUnit(op, "beta1", beta1);
        halfOpenUnit(op, "beta2", beta2);
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "m", m, n, "v", v, n, false);
    }

    public static void rmspropUpdate(Slice params, Slice grads, Slice mom, int n, float rho, float momentum,
                                     float eps) {
        String op = "rmspropUpdate";
        unitInterval(op, "rho", rho);
        checkEps(op, eps);
        momentumHasState(op, momentum, mom, "mom", "a momentum slice");
        unitInterval(op, "momentum", momentum);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
    }

    public static void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, float eps) {
        String op = "adagradUpdate";
        checkEps(op, eps);
        noOverlap(op, "params", params, n, "grads", grads, n, false);
        noOverlap(op, "accumulator", accumulator, n, "params", params, n, false);
    }

    /** The output rows of a gather against its whole source. */
    public static void gather(Slice src, int width, int rows, Slice out) {
        noOverlap("gather", "out", out, (long) rows * width, "src", src, src.length(), false);
    }

    /** {@link Backend#copy} after both slices are known to be this backend's: same shape, no overlap. */
    public static void copy(Slice src, Slice dst) {
        sameShape("copy", src, dst);
        noOverlap("copy", "dst", dst, dst.length(), "src", src, src.length(), false);
    }
}
