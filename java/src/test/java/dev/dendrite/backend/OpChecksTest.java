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
            Buffer b = cpu.allocate(DType.F32, 100);
            Slice a = b.slice(0, 6);
            Slice c = b.slice(10, 6);
            Slice d = b.slice(20, 6);
            Slice e = b.slice(30, 6);
            Slice stats = b.slice(40, 2);
            String disjoint = "; expected disjoint slices";
            rejects("gemm: c (Slice[F32 0+6]) overlaps b (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.gemm(c, a, a, 2, 3, 2));
            rejects("columnSums: out (Slice[F32 0+6]) overlaps x (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.columnSums(a, 2, 3, a));
            OpChecks.biasActivationForward(a, null, 2, 3, ActivationFunction.LINEAR, a);
            rejects("biasActivationForward: y (Slice[F32 1+6]) overlaps z (Slice[F32 0+6]); expected the same "
                    + "elements or disjoint ones", () -> OpChecks.biasActivationForward(a, null, 2, 3,
                    ActivationFunction.LINEAR, b.slice(1, 6)));
            rejects("biasActivationForward: y (Slice[F32 0+6]) overlaps z (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.biasActivationForward(a, null, 2, 3, ActivationFunction.RELU, a));
            rejects("biasActivationForward: z (Slice[F32 0+6]) overlaps bias (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.biasActivationForward(a, a, 2, 3, ActivationFunction.RELU, c));
            OpChecks.activationBackward(a, c, d, 2, 3, d, e.slice(0, 3));
            rejects("activationBackward: dbias (Slice[F32 20+3]) overlaps dz (Slice[F32 20+6])" + disjoint,
                    () -> OpChecks.activationBackward(a, c, e, 2, 3, d, d.slice(0, 3)));
            rejects("softmaxCrossEntropy: stats (Slice[F32 0+2]) overlaps logits (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.softmaxCrossEntropy(a, c, false, 2, 3, d, null, a.slice(0, 2)));
            rejects("softmaxCrossEntropy: dlogits (Slice[F32 20+6]) overlaps probs (Slice[F32 20+6])" + disjoint,
                    () -> OpChecks.softmaxCrossEntropy(a, c, true, 2, 3, d, d, stats));
            rejects("sigmoidCrossEntropy: dlogits (Slice[F32 20+6]) overlaps probs (Slice[F32 20+6])" + disjoint,
                    () -> OpChecks.sigmoidCrossEntropy(a, c, 2, 3, d, d, stats));
            rejects("meanSquaredError: dpred (Slice[F32 10+6]) overlaps targets (Slice[F32 10+6])" + disjoint,
                    () -> OpChecks.meanSquaredError(a, c, 2, 3, c, stats));
            rejects("regularizerGradient: grad (Slice[F32 0+6]) overlaps w (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.regularizerGradient(a, a, 6));
            rejects("regularizerPenalty: stats (Slice[F32 0+2]) overlaps w (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.regularizerPenalty(a, 6, a.slice(0, 2)));
            OpChecks.dropout("dropoutForward", "x", a, "y", a, 6);
            rejects("dropoutBackward: dx (Slice[F32 1+6]) overlaps dy (Slice[F32 0+6]); expected the same elements "
                    + "or disjoint ones", () -> OpChecks.dropout("dropoutBackward", "dy", a, "dx", b.slice(1, 6), 6));
            rejects("batchNormForwardTraining: runningMean (Slice[F32 10+3]) overlaps runningVar (Slice[F32 12+3])"
                    + disjoint, () -> OpChecks.batchNormForwardTraining(a, 2, 3, c.slice(0, 3), b.slice(12, 3), d,
                    e.slice(0, 3), e.slice(3, 3)));
            rejects("batchNormForwardInference: y (Slice[F32 0+6]) overlaps x (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.batchNormForwardInference(a, 2, 3, a));
            OpChecks.batchNormBackward(a, c, 2, 3, null, e.slice(0, 3), e.slice(3, 3));
            rejects("batchNormBackward: dgamma (Slice[F32 30+3]) overlaps dbeta (Slice[F32 30+3])" + disjoint,
                    () -> OpChecks.batchNormBackward(a, c, 2, 3, d, e.slice(0, 3), e.slice(0, 3)));
            rejects("sgdUpdate: velocity (Slice[F32 0+6]) overlaps params (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.sgdUpdate(a, c, a, 6, 0.9f));
            rejects("adamUpdate: m (Slice[F32 20+6]) overlaps v (Slice[F32 20+6])" + disjoint,
                    () -> OpChecks.adamUpdate(a, c, d, d, 6, 0.9f, 0.999f, 1e-7f));
            rejects("adamUpdate: beta2 1.0; expected 0 <= beta2 < 1",
                    () -> OpChecks.adamUpdate(a, c, d, e, 6, 0.9f, 1f, 1e-7f));
            rejects("rmspropUpdate: momentum 0.5 but mom is null; expected a momentum slice, or momentum 0",
                    () -> OpChecks.rmspropUpdate(a, c, null, 6, 0.9f, 0.5f, 1e-7f));
            rejects("adagradUpdate: accumulator (Slice[F32 0+6]) overlaps params (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.adagradUpdate(a, c, a, 6, 1e-7f));
            rejects("gather: out (Slice[F32 0+6]) overlaps src (Slice[F32 0+100])" + disjoint,
                    () -> OpChecks.gather(b.all(), 3, 2, a));
            rejects("copy: dst (Slice[F32 3+6]) overlaps src (Slice[F32 0+6])" + disjoint,
                    () -> OpChecks.copy(a, b.slice(3, 6)));
        }
    }
}
