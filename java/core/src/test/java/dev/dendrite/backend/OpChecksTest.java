package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.backend.cpu.CpuBuffer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The shared argument checks, message by message: every backend throws these words, so they are pinned here
 * once (the GPU-only paths included: a batch-0 range checked on the host, and the messages of values the GPUs
 * check on the device).
 */
class OpChecksTest {

    private static void rejects(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    private static void rejectsState(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalStateException.class, call).getMessage());
    }

    @Test
    void buffersAndSlices() {
        try (CpuBackend cpu = new CpuBackend(1); CpuBackend other = new CpuBackend(1)) {
            Buffer f = cpu.allocate(DType.F32, 10);
            Slice s = f.slice(2, 4);
            assertSame(f, OpChecks.owned("op", "x", s, cpu, CpuBuffer.class));
            rejects("op: x is null; expected a slice",
                    () -> OpChecks.owned("op", "x", null, cpu, CpuBuffer.class));
            rejects("op: x (Slice[F32 2+4]) belongs to another backend (cpu); expected a buffer allocated by this cpu "
                    + "backend", () -> OpChecks.owned("op", "x", s, other, CpuBuffer.class));
            rejectsState("op: x (Slice[F32 2+4]) is a closed buffer",
                    () -> OpChecks.notClosed("op", "x", s, true));
            OpChecks.notClosed("op", "x", s, false);
            OpChecks.typed("op", "x", s, DType.F32, 4, "n");
            rejects("op: x is F32; expected I32", () -> OpChecks.typed("op", "x", s, DType.I32, 0, null));
            rejects("op: x has 4 elements; expected at least 6 (rows*cols)",
                    () -> OpChecks.typed("op", "x", s, DType.F32, 6, "rows*cols"));
            Slice i = cpu.allocate(DType.I32, 4).all();
            rejects("copy: src is F32 but dst is I32; expected the same dtype",
                    () -> OpChecks.sameShape("copy", s, i));
            rejects("copy: src has 4 elements but dst has 3; expected the same length",
                    () -> OpChecks.sameShape("copy", s, f.slice(0, 3)));
            rejectsState("cpu backend is closed", () -> OpChecks.backendOpen("cpu", true));
        }
    }

    @Test
    void hostArrays() {
        OpChecks.checkHost("upload", "src", 10, 2, 8);
        rejects("upload: src array is null", () -> OpChecks.checkHost("upload", "src", -1, 0, 1));
        rejects("upload: src offset 3 + 8 elements does not fit in an array of 10",
                () -> OpChecks.checkHost("upload", "src", 10, 3, 8));
        rejects("upload: src offset -1 + 1 elements does not fit in an array of 10",
                () -> OpChecks.checkHost("upload", "src", 10, -1, 1));
    }

    @Test
    void overlaps() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Buffer b = cpu.allocate(DType.F32, 20);
            Slice a = b.slice(0, 6);
            OpChecks.noOverlap("op", "out", b.slice(6, 6), 6, "in", a, 6, false);
            OpChecks.noOverlap("op", "out", a, 6, "in", a, 6, true);
            OpChecks.noOverlap("op", "out", null, 6, "in", a, 6, false);
            OpChecks.noOverlap("op", "out", a, 0, "in", a, 6, false);
            rejects("op: out (Slice[F32 0+6]) overlaps in (Slice[F32 0+6]); expected disjoint slices",
                    () -> OpChecks.noOverlap("op", "out", a, 6, "in", a, 6, false));
            rejects("op: out (Slice[F32 2+6]) overlaps in (Slice[F32 0+6]); expected the same elements or disjoint "
                    + "ones", () -> OpChecks.noOverlap("op", "out", b.slice(2, 6), 6, "in", a, 6, true));
            Slice stats = b.slice(18, 2);
            rejects("loss: stats (Slice[F32 18+2]) overlaps targets (Slice[F32 14+6]); expected disjoint slices",
                    () -> OpChecks.checkLossOverlaps("loss", "probs", a, b.slice(6, 6), b.slice(14, 6), stats, 6));
        }
    }

    @Test
    void scalars() {
        rejects("op: n = -1; expected >= 0", () -> OpChecks.nonNegative("op", "n", -1));
        rejects("op: rows = 0; expected >= 1", () -> OpChecks.positive("op", "rows", 0));
        rejects("op: n = 11; expected at most 10", () -> OpChecks.atMost("op", "n", 11, 10));
        OpChecks.atMost("op", "n", 10, 10);
        rejects("op: rho 1.5; expected 0 <= rho <= 1", () -> OpChecks.unitInterval("op", "rho", 1.5f));
        rejects("op: momentum NaN; expected 0 <= momentum <= 1",
                () -> OpChecks.unitInterval("op", "momentum", Float.NaN));
        OpChecks.unitInterval("op", "rho", 1f);
        rejects("op: beta1 1.0; expected 0 <= beta1 < 1", () -> OpChecks.halfOpenUnit("op", "beta1", 1f));
        rejects("op: rate -0.1; expected 0 <= rate < 1", () -> OpChecks.halfOpenUnit("op", "rate", -0.1f));
        OpChecks.halfOpenUnit("op", "rate", 0f);
        rejects("op: eps -1.0; expected a finite value >= 0", () -> OpChecks.checkEps("op", -1f));
        rejects("op: eps Infinity; expected a finite value >= 0",
                () -> OpChecks.checkEps("op", Float.POSITIVE_INFINITY));
        rejects("op: eps NaN; expected a finite value >= 0", () -> OpChecks.checkEps("op", Float.NaN));
        OpChecks.checkEps("op", 0f);
        rejects("op: activation is null; expected an ActivationFunction",
                () -> OpChecks.requireActivation("op", null));
        rejects("sgdUpdate: momentum 0.9 but velocity is null; expected a velocity slice, or momentum 0",
                () -> OpChecks.momentumHasState("sgdUpdate", 0.9f, null, "velocity", "a velocity slice"));
        OpChecks.momentumHasState("sgdUpdate", 0f, null, "velocity", "a velocity slice");
    }

    @Test
    void gatherAndLabels() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Slice shift = cpu.allocate(DType.F32, 4).all();
            rejects("gather: scale/shift given for an I32 src; expected null (integer rows are copied unchanged)",
                    () -> OpChecks.noTransformOfIntegers("gather", DType.I32, null, shift));
            OpChecks.noTransformOfIntegers("gather", DType.U8, null, shift);
            OpChecks.noTransformOfIntegers("gather", DType.I32, null, null);
        }
        OpChecks.batchInRange("gather", 2, 3, 3, 9, false);
        rejects("gather: batch 3 of size 3 reads positions [9, 12) but src has 10 rows",
                () -> OpChecks.batchInRange("gather", 3, 3, 3, 10, false));
        rejects("gather: batch 0 of size 64 reads positions [0, 64) but indices has 50 elements",
                () -> OpChecks.batchInRange("gather", 0, 64, 64, 50, true));
        assertEquals("gather: indices[7] = 10; expected a row of src in [0, 10)",
                OpChecks.badIndex("gather", 7, 10, 10));
        assertEquals("softmaxCrossEntropy: label 3 in row 1; expected a class index in [0, 3)",
                OpChecks.badLabel("softmaxCrossEntropy", 3, 1, 3));
    }

    /**
     * Each op's rules: one forbidden overlap each (the message names the op and both slices), and the in-place
     * uses the contract allows.
     */
    @Test
    void theRulesOfEachOp() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            OpChecks checks = new OpChecks(cpu, CpuBuffer.class);
            Buffer b = cpu.allocate(DType.F32, 100);
            Slice a = b.slice(0, 6);
            Slice c = b.slice(10, 6);
            Slice d = b.slice(20, 6);
            Slice e = b.slice(30, 6);
            Slice stats = b.slice(40, 2);
            Slice hyper = b.slice(50, 1);
            Slice saveMean = b.slice(60, 3);
            Slice saveInvStd = b.slice(63, 3);
            Slice counters = cpu.allocate(DType.I32, 2).all();
            Slice labels = cpu.allocate(DType.I32, 2).all();
            String disjoint = "; expected disjoint slices";
            rejects("gemm: c (Slice[F32 0+6]) overlaps b (Slice[F32 0+6])" + disjoint,
                    () -> checks.gemm(2, 3, 2, c, a, a));
            rejects("columnSums: out (Slice[F32 0+6]) overlaps x (Slice[F32 0+6])" + disjoint,
                    () -> checks.columnSums(a, 2, 3, a));
            checks.biasActivationForward(a, null, 2, 3, ActivationFunction.LINEAR, a);
            rejects("biasActivationForward: y (Slice[F32 1+6]) overlaps z (Slice[F32 0+6]); expected the same "
                    + "elements or disjoint ones", () -> checks.biasActivationForward(a, null, 2, 3,
                    ActivationFunction.LINEAR, b.slice(1, 6)));
            rejects("biasActivationForward: y (Slice[F32 0+6]) overlaps z (Slice[F32 0+6])" + disjoint,
                    () -> checks.biasActivationForward(a, null, 2, 3, ActivationFunction.RELU, a));
            rejects("biasActivationForward: z (Slice[F32 0+6]) overlaps bias (Slice[F32 0+6])" + disjoint,
                    () -> checks.biasActivationForward(a, a, 2, 3, ActivationFunction.RELU, c));
            checks.activationBackward(a, c, d, 2, 3, ActivationFunction.RELU, d, e.slice(0, 3));
            rejects("activationBackward: dbias (Slice[F32 20+3]) overlaps dz (Slice[F32 20+6])" + disjoint,
                    () -> checks.activationBackward(a, c, e, 2, 3, ActivationFunction.RELU, d, d.slice(0, 3)));
            rejects("softmaxCrossEntropy: stats (Slice[F32 0+2]) overlaps logits (Slice[F32 0+6])" + disjoint,
                    () -> checks.softmaxCrossEntropy(a, c, false, 2, 3, null, null, d, null, a.slice(0, 2)));
            rejects("softmaxCrossEntropy: dlogits (Slice[F32 20+6]) overlaps probs (Slice[F32 20+6])" + disjoint,
                    () -> checks.softmaxCrossEntropy(a, labels, true, 2, 3, null, null, d, d, stats));
            rejects("sigmoidCrossEntropy: dlogits (Slice[F32 20+6]) overlaps probs (Slice[F32 20+6])" + disjoint,
                    () -> checks.sigmoidCrossEntropy(a, c, 2, 3, null, null, d, d, stats));
            rejects("regressionLoss: dpred (Slice[F32 10+6]) overlaps targets (Slice[F32 10+6])" + disjoint,
                    () -> checks.regressionLoss(a, c, 2, 3, RegressionKind.SQUARED_ERROR, 0f, null, c, stats));
            rejects("regularizerGradient: grad (Slice[F32 0+6]) overlaps w (Slice[F32 0+6])" + disjoint,
                    () -> checks.regularizerGradient(a, a, 6));
            rejects("regularizerPenalty: stats (Slice[F32 0+2]) overlaps w (Slice[F32 0+6])" + disjoint,
                    () -> checks.regularizerPenalty(a, 6, a.slice(0, 2)));
            checks.dropout("dropoutForward", "x", a, "y", a, 6, 0.5f, counters);
            rejects("dropoutBackward: dx (Slice[F32 1+6]) overlaps dy (Slice[F32 0+6]); expected the same elements "
                    + "or disjoint ones", () -> checks.dropout("dropoutBackward", "dy", a, "dx", b.slice(1, 6), 6, 0.5f,
                    counters));
            rejects("batchNormForwardTraining: runningMean (Slice[F32 10+3]) overlaps runningVar (Slice[F32 12+3])"
                    + disjoint, () -> checks.batchNormForwardTraining(a, 2, 3, null, null, 1e-3f, 0.99f,
                    c.slice(0, 3), b.slice(12, 3), d, e.slice(0, 3), e.slice(3, 3)));
            rejects("batchNormForwardInference: y (Slice[F32 0+6]) overlaps x (Slice[F32 0+6])" + disjoint,
                    () -> checks.batchNormForwardInference(a, 2, 3, null, null, 1e-3f, e.slice(0, 3), e.slice(3, 3),
                            a));
            checks.batchNormBackward(a, c, 2, 3, null, saveMean, saveInvStd, null, e.slice(0, 3), e.slice(3, 3));
            rejects("batchNormBackward: dgamma (Slice[F32 30+3]) overlaps dbeta (Slice[F32 30+3])" + disjoint,
                    () -> checks.batchNormBackward(a, c, 2, 3, null, saveMean, saveInvStd, d, e.slice(0, 3),
                            e.slice(0, 3)));
            rejects("sgdUpdate: velocity (Slice[F32 0+6]) overlaps params (Slice[F32 0+6])" + disjoint,
                    () -> checks.sgdUpdate(a, c, a, 6, hyper, 0.9f));
            rejects("adamUpdate: m (Slice[F32 20+6]) overlaps v (Slice[F32 20+6])" + disjoint,
                    () -> checks.adamUpdate(a, c, d, d, null, 6, hyper, counters, 0.9f, 0.999f, 1e-7f));
            rejects("adamUpdate: beta2 1.0; expected 0 <= beta2 < 1",
                    () -> checks.adamUpdate(a, c, d, e, null, 6, hyper, counters, 0.9f, 1f, 1e-7f));
            rejects("rmspropUpdate: momentum 0.5 but mom is null; expected a momentum slice, or momentum 0",
                    () -> checks.rmspropUpdate(a, c, d, null, null, 6, hyper, 0.9f, 0.5f, 1e-7f));
            rejects("adagradUpdate: accumulator (Slice[F32 0+6]) overlaps params (Slice[F32 0+6])" + disjoint,
                    () -> checks.adagradUpdate(a, c, a, 6, hyper, 1e-7f));
            rejects("gather: out (Slice[F32 0+6]) overlaps src (Slice[F32 0+100])" + disjoint,
                    () -> checks.gatherOutput(b.all(), 3, 2, null, null, a));
            rejects("copy: dst (Slice[F32 3+6]) overlaps src (Slice[F32 0+6])" + disjoint,
                    () -> checks.copy(a, b.slice(3, 6)));
        }
    }

    /**
     * The slices of each op: owner, open, dtype and length, in argument order and after the dimensions; the
     * shapes of the shared kinds (a rows x cols matrix, a per-column vector, an n-vector, stats, counters, hyper);
     * optional slices that may be null and are checked when given.
     */
    @Test
    void theSlicesOfEachOp() {
        try (CpuBackend cpu = new CpuBackend(1); CpuBackend other = new CpuBackend(1)) {
            OpChecks checks = new OpChecks(cpu, CpuBuffer.class);
            Buffer b = cpu.allocate(DType.F32, 100);
            Slice m6 = b.slice(0, 6);
            Slice n6 = b.slice(10, 6);
            Slice o6 = b.slice(20, 6);
            Slice stats = b.slice(40, 2);
            Slice hyper = b.slice(50, 1);
            Slice counters = cpu.allocate(DType.I32, 2).all();
            Slice ints = cpu.allocate(DType.I32, 6).all();

            rejects("allocate: dtype is null; expected F32, I32 or U8", () -> checks.allocate(null, 1));
            rejects("allocate: length -1; expected >= 0", () -> checks.allocate(DType.F32, -1));
            checks.allocate(DType.U8, 0);

            checks.upload(new float[8], 2, m6);
            rejects("upload: dst is F32; expected I32", () -> checks.upload(new int[6], 0, m6));
            rejects("upload: dst is F32; expected U8", () -> checks.upload(new byte[6], 0, m6));
            rejects("upload: src offset 0 + 6 elements does not fit in an array of 3",
                    () -> checks.upload(new float[3], 0, m6));
            rejects("download: dst array is null", () -> checks.download(ints, (int[]) null, 0));
            rejects("download: src is I32; expected F32", () -> checks.download(ints, new float[6], 0));
            rejects("fill: x is I32; expected F32", () -> checks.fill(ints));
            rejects("copy: src is F32 but dst is I32; expected the same dtype", () -> checks.copy(m6, ints));

            // Dimensions first, then each slice in argument order.
            rejects("gemm: k = -1; expected >= 0", () -> checks.gemm(2, 2, -1, null, null, null));
            rejects("gemm: a is null; expected a slice", () -> checks.gemm(2, 2, 2, null, null, null));
            rejects("gemm: c has 3 elements; expected at least 4 (m*n)",
                    () -> checks.gemm(2, 2, 2, m6, n6, b.slice(30, 3)));
            Slice foreign = other.allocate(DType.F32, 6).all();
            rejects("columnSums: x (Slice[F32 0+6]) belongs to another backend (cpu); expected a buffer allocated "
                    + "by this cpu backend", () -> checks.columnSums(foreign, 2, 3, n6));
            rejects("biasActivationForward: activation is null; expected an ActivationFunction",
                    () -> checks.biasActivationForward(m6, null, -1, 3, null, n6));
            rejects("biasActivationForward: y has 5 elements; expected at least 6 (rows*cols)",
                    () -> checks.biasActivationForward(m6, null, 2, 3, ActivationFunction.RELU, b.slice(30, 5)));
            rejects("biasActivationForward: bias has 2 elements; expected at least 3 (cols)",
                    () -> checks.biasActivationForward(m6, b.slice(30, 2), 2, 3, ActivationFunction.RELU, n6));
            rejects("activationBackward: dbias is I32; expected F32", () -> checks.activationBackward(m6, n6, o6, 2, 3,
                    ActivationFunction.RELU, o6, ints));

            rejects("softmaxCrossEntropy: cols = 0; expected >= 1",
                    () -> checks.softmaxCrossEntropy(m6, ints, true, 2, 0, null, null, n6, null, stats));
            rejects("softmaxCrossEntropy: labels is F32; expected I32",
                    () -> checks.softmaxCrossEntropy(m6, o6, true, 2, 3, null, null, n6, null, stats));
            rejects("softmaxCrossEntropy: labels has 1 elements; expected at least 2 (rows)",
                    () -> checks.softmaxCrossEntropy(m6, counters.slice(0, 1), true, 2, 3, null, null, n6, null,
                            stats));
            rejects("softmaxCrossEntropy: labels is I32; expected F32",
                    () -> checks.softmaxCrossEntropy(m6, ints, false, 2, 3, null, null, n6, null, stats));
            rejects("sigmoidCrossEntropy: dlogits has 5 elements; expected at least 6 (rows*cols)",
                    () -> checks.sigmoidCrossEntropy(m6, n6, 2, 3, null, null, o6, b.slice(30, 5), stats));
            rejects("softmaxCrossEntropy: classWeights has 2 elements; expected at least 3 (cols)",
                    () -> checks.softmaxCrossEntropy(m6, ints, true, 2, 3, b.slice(50, 2), null, n6, null, stats));
            rejects("softmaxCrossEntropy: rowWeights has 1 elements; expected at least 2 (rows)",
                    () -> checks.softmaxCrossEntropy(m6, ints, true, 2, 3, null, b.slice(50, 1), n6, null, stats));
            rejects("regressionLoss: dpred (Slice[F32 20+6]) overlaps rowWeights (Slice[F32 21+2]); expected "
                    + "disjoint slices", () -> checks.regressionLoss(m6, n6, 2, 3, RegressionKind.SQUARED_ERROR, 0f,
                    b.slice(21, 2), o6, stats));
            rejects("softmaxCrossEntropy: classWeights is I32; expected F32",
                    () -> checks.softmaxCrossEntropy(m6, ints, true, 2, 3, ints, null, n6, null, stats));
            rejects("softmaxCrossEntropy: probs (Slice[F32 10+6]) overlaps classWeights (Slice[F32 12+3]); expected "
                    + "disjoint slices",
                    () -> checks.softmaxCrossEntropy(m6, ints, true, 2, 3, b.slice(12, 3), null, n6, null, stats));
            rejects("sigmoidCrossEntropy: class weights with cols 3; expected cols 1 (a binary classifier, whose "
                    + "class is its rounded target)",
                    () -> checks.sigmoidCrossEntropy(m6, n6, 2, 3, b.slice(50, 2), null, o6, null, stats));
            rejects("sigmoidCrossEntropy: classWeights has 1 elements; expected at least 2 (2 (classes 0 and 1))",
                    () -> checks.sigmoidCrossEntropy(b.slice(0, 2), b.slice(10, 2), 2, 1, b.slice(50, 1), null,
                            b.slice(20, 2), null, stats));
            rejects("regressionLoss: stats has 1 elements; expected at least 2 (STATS_LENGTH)",
                    () -> checks.regressionLoss(m6, n6, 2, 3, RegressionKind.SQUARED_ERROR, 0f, null, null,
                            b.slice(40, 1)));
            rejects("regularizerPenalty: w has 6 elements; expected at least 7 (n)",
                    () -> checks.regularizerPenalty(m6, 7, stats));

            rejects("dropoutForward: rate 1.0; expected 0 <= rate < 1",
                    () -> checks.dropout("dropoutForward", "x", m6, "y", n6, 6, 1f, counters));
            rejects("dropoutBackward: dx is I32; expected F32",
                    () -> checks.dropout("dropoutBackward", "dy", m6, "dx", ints, 6, 0.5f, counters));
            rejects("dropoutForward: counters is null; expected a slice",
                    () -> checks.dropout("dropoutForward", "x", m6, "y", n6, 6, 0.5f, null));
            rejects("advanceCounters: counters is F32; expected I32", () -> checks.advanceCounters(m6));
            rejects("advanceCounters: counters has 1 elements; expected at least 2 (COUNTERS_LENGTH)",
                    () -> checks.advanceCounters(counters.slice(0, 1)));

            rejects("batchNormBackward: rows = 0; expected >= 1",
                    () -> checks.batchNormBackward(m6, n6, 0, 3, null, null, null, null, null, null));
            rejects("batchNormForwardTraining: eps -1.0; expected a finite value >= 0",
                    () -> checks.batchNormForwardTraining(null, 2, 3, null, null, -1f, 0.99f, null, null, null, null,
                            null));
            rejects("batchNormForwardTraining: x has 5 elements; expected at least 6 (rows*cols)",
                    () -> checks.batchNormForwardTraining(b.slice(30, 5), 2, 3, null, null, 1e-3f, 0.99f, null, null,
                            b.slice(30, 5), null, null));
            rejects("batchNormForwardInference: beta has 2 elements; expected at least 3 (cols)",
                    () -> checks.batchNormForwardInference(m6, 2, 3, null, b.slice(30, 2), 1e-3f, null, null, n6));
            rejects("batchNormBackward: saveMean is null; expected a slice",
                    () -> checks.batchNormBackward(m6, n6, 2, 3, null, null, null, null, null, null));

            rejects("sgdUpdate: hyper has 0 elements; expected at least 1 (HYPER_LR + 1)",
                    () -> checks.sgdUpdate(m6, n6, null, 6, b.slice(50, 0), 0f));
            rejects("adamUpdate: vMax has 5 elements; expected at least 6 (n)",
                    () -> checks.adamUpdate(m6, n6, o6, b.slice(30, 6), b.slice(30, 5), 6, hyper, counters, 0.9f,
                            0.999f, 1e-7f));
            // The optimizers check their slices before their scalars.
            rejects("adamUpdate: counters is F32; expected I32",
                    () -> checks.adamUpdate(m6, n6, o6, b.slice(30, 6), null, 6, hyper, m6, 2f, 2f, -1f));
            rejects("rmspropUpdate: mg has 5 elements; expected at least 6 (n)",
                    () -> checks.rmspropUpdate(m6, n6, o6, null, b.slice(30, 5), 6, hyper, 0.9f, 0f, 1e-7f));
            rejects("adagradUpdate: accumulator has 5 elements; expected at least 6 (n)",
                    () -> checks.adagradUpdate(m6, n6, b.slice(30, 5), 6, hyper, 1e-7f));

            rejects("randomPermutation: n = -1; expected >= 0", () -> checks.randomPermutation(ints, -1, 10));
            rejects("randomPermutation: n = 11; expected at most 10", () -> checks.randomPermutation(m6, 11, 10));
            rejects("randomPermutation: out is F32; expected I32", () -> checks.randomPermutation(m6, 6, 10));
        }
    }

    /** Gather's two halves: what it reads (the batch-0 range when there are no counters), then what it writes. */
    @Test
    void theSlicesOfAGather() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            OpChecks checks = new OpChecks(cpu, CpuBuffer.class);
            Slice src = cpu.allocate(DType.U8, 12).all(); // 4 rows of 3
            Slice indices = cpu.allocate(DType.I32, 5).all();
            Slice counters = cpu.allocate(DType.I32, 2).all();
            Slice out = cpu.allocate(DType.F32, 6).all();
            Slice scale = cpu.allocate(DType.F32, 3).all();
            rejects("gather: width = 0; expected >= 1", () -> checks.gatherRows(src, 0, null, null, 2, 2));
            rejects("gather: src is null; expected a slice", () -> checks.gatherRows(null, 3, null, null, 2, 2));
            rejects("gather: indices is U8; expected I32", () -> checks.gatherRows(src, 3, src, null, 2, 2));
            rejects("gather: counters has 1 elements; expected at least 2 (COUNTERS_LENGTH)",
                    () -> checks.gatherRows(src, 3, null, counters.slice(0, 1), 2, 2));
            rejects("gather: batch 0 of size 8 reads positions [0, 8) but src has 4 rows",
                    () -> checks.gatherRows(src, 3, null, null, 8, 8));
            rejects("gather: batch 0 of size 8 reads positions [0, 6) but indices has 5 elements",
                    () -> checks.gatherRows(src, 3, indices, null, 8, 6));
            checks.gatherRows(src, 3, indices, counters, 8, 6); // the batch lives in the counters: checked later
            checks.gatherOutput(src, 3, 2, scale, null, out);
            rejects("gather: out has 6 elements; expected at least 9 (rows*width)",
                    () -> checks.gatherOutput(src, 3, 3, null, null, out));
            rejects("gather: shift has 2 elements; expected at least 3 (width)",
                    () -> checks.gatherOutput(src, 3, 2, scale, scale.slice(0, 2), out));
            Slice intSrc = cpu.allocate(DType.I32, 12).all();
            rejects("gather: out is F32; expected I32", () -> checks.gatherOutput(intSrc, 3, 2, null, null, out));
            rejects("gather: scale/shift given for an I32 src; expected null (integer rows are copied unchanged)",
                    () -> checks.gatherOutput(intSrc, 3, 2, scale, null, out));
        }
    }

    /** A closed buffer is reported as such (IllegalStateException) wherever a slice of it is checked. */
    @Test
    void closedBuffers() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            OpChecks checks = new OpChecks(cpu, CpuBuffer.class);
            Buffer f = cpu.allocate(DType.F32, 4);
            f.close();
            rejectsState("fill: x (Slice[F32 0+4]) is a closed buffer", () -> checks.fill(f.all()));
            rejectsState("regularizerGradient: w (Slice[F32 0+4]) is a closed buffer",
                    () -> checks.regularizerGradient(f.all(), null, 4));
        }
    }
}
