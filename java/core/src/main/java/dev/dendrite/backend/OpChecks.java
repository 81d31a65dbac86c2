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
 * <p>The per-op checks live with their family, one interface each ({@code AlgebraChecks}, {@code ActivationChecks},
 * {@code LossChecks}, {@code NoiseChecks}, {@code AugmentChecks}, {@code NormChecks}, {@code OptimizerChecks},
 * {@code OptimizerOptionChecks}, {@code DataChecks}, {@code MemoryChecks}), built from the slice shapes of
 * {@code SliceChecks}; this class implements them all, so that one object checks every op. What they share is
 * here: the primitive checks and their wording (an overlap, a dtype, a length, the scalar ranges), static so that
 * the backends' own code (the CPU backend's checks of device values) and the model code word their messages alike.
 * A new op's checks go into its family's interface as a default method of the op's name.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public final class OpChecks implements MemoryChecks, AlgebraChecks, ActivationChecks, LossChecks, NoiseChecks,
        AugmentChecks, NormChecks, OptimizerChecks, OptimizerOptionChecks, DataChecks, MetricChecks {
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

    /**
     * inputGradientActivationBackward's upper weight gradient reads this layer's output as the upper layer's input,
     * which a Dropout between them would have dropped: refused with one ({@code counters} non-null, a rate above 0).
     */
    public static void noDropoutUnderWeightGradient(float rate, Slice counters) {
        if (counters != null && rate != 0f) {
            throw new IllegalArgumentException("inputGradientActivationBackward: the upper layer's weight gradient "
                    + "(dwNext) with a Dropout of rate " + rate + " between the layers; expected none: the upper "
                    + "layer's input is then the dropped output, not y");
        }
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

    // ------------------------------------------------------------------ mixup

    /** The smallest alpha {@link Backend#mixup} takes: below it a Gamma draw's log leaves float's range. */
    public static final float MIXUP_MIN_ALPHA = 1e-6f;

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

    // ------------------------------------------------------------------ the one check that needs the backend

    @Override
    public void open(String op, String name, Slice s) {
        AbstractBuffer<?> b = owned(op, name, s, owner, bufferType);
        notClosed(op, name, s, b.isClosed());
    }
}
