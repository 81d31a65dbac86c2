package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.BackendConformanceTest;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;

import org.junit.jupiter.api.Test;

/**
 * The conformance suite on the CUDA backend, plus what only it promises: device-side checks reported at the
 * next synchronisation, graph capture and replay, TF32, out-of-memory that leaves the backend usable, and
 * deterministic reductions. Skipped, with the reason, where there is no usable GPU. The dense layers stay off
 * cuBLASLt's epilogue (-Ddendrite.cuda.ltEpilogue=false): the suite checks denseForward and its pairs bit for bit
 * against the product and the kernels after it, which Backend.denseForward promises for relu and linear only where
 * that path is off; CudaGemmTest checks the epilogue against float64.
 */
class CudaBackendConformanceTest extends BackendConformanceTest {

    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass(), "dendrite.cuda.ltEpilogue", "false");
    }

    private CudaBackend cuda() {
        return (CudaBackend) backend;
    }

    @Test
    void describesItself() {
        assertEquals("cuda", backend.name());
        assertTrue(backend.description().startsWith("cuda: "), backend.description());
        assertTrue(backend.description().contains("cuBLAS"), backend.description());
    }

    @Test
    void sparseLabelsOutsideTheClassesAreReportedAtTheNextSynchronize() {
        for (int bad : new int[] {-1, 3}) {
            backend.softmaxCrossEntropy(f32(normal(6, 1)), i32(new int[] {0, bad}), true, 2, 3, f32Out(6), null, 1f,
                    f32(new float[2]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, backend::synchronize);
            assertTrue(e.getMessage().contains("label " + bad), e.getMessage());
            backend.synchronize(); // reported once; the backend stays usable
        }
    }

    @Test
    void gatherIndicesAndBatchesOutOfRangeAreReported() {
        Slice src = f32(normal(10 * 4, 1));
        Slice out = f32Out(3 * 4);
        backend.gather(src, 4, i32(new int[] {0, 10, 2}), null, 3, 3, null, null, out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, backend::synchronize);
        assertTrue(e.getMessage().contains("= 10"), e.getMessage());
        backend.gather(src, 4, null, i32(new int[] {0, 3}), 3, 3, null, null, out);
        assertThrows(IllegalArgumentException.class, () -> get(out));
        backend.synchronize();
        // The same through the one-launch gather of inputs and labels.
        Slice labels = i32(new int[10]);
        Slice labelsOut = i32(new int[3]);
        backend.gatherBatch(src, 4, null, null, out, labels, 1, labelsOut, i32(new int[] {0, 10, 2}), null, 3, 3);
        e = assertThrows(IllegalArgumentException.class, backend::synchronize);
        assertTrue(e.getMessage().contains("= 10"), e.getMessage());
        backend.gatherBatch(src, 4, null, null, out, labels, 1, labelsOut, null, i32(new int[] {0, 3}), 3, 3);
        assertThrows(IllegalArgumentException.class, () -> get(out));
        backend.synchronize();
    }

    /**
     * One training-like step (gather by the device batch counter, GEMM, bias + ReLU, softmax cross-entropy,
     * backward, Adam, advanceCounters) replayed from a graph gives the same bits as issued op by op.
     */
    @Test
    void graphReplayMatchesEagerOps() {
        int rows = 16;
        int in = 12;
        int classes = 5;
        int batches = 4;
        byte[] data = new byte[rows * batches * in];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) rnd.nextInt(256);
        }
        int[] labels = new int[rows * batches];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rnd.nextInt(classes);
        }
        float[] w0 = normal(in * classes, 0.1);
        float[][] eager = runSteps(false, data, labels, w0, rows, in, classes, batches);
        float[][] graph = runSteps(true, data, labels, w0, rows, in, classes, batches);
        for (int i = 0; i < eager.length; i++) {
            assertArrayEquals(eager[i], graph[i], "output " + i);
        }
    }

    private float[][] runSteps(boolean useGraph, byte[] data, int[] labels, float[] w0, int rows, int in,
                               int classes, int batches) {
        Slice x = u8(data);
        Slice y = i32(labels);
        Slice w = f32(w0);
        Slice bias = f32(new float[classes]);
        Slice counters = i32(new int[2]);
        Slice hyper = f32(new float[] {0.01f});
        Slice stats = f32(new float[2]);
        Slice xb = f32Out(rows * in);
        Slice yb = i32(new int[rows]);
        Slice z = f32Out(rows * classes);
        Slice probs = f32Out(rows * classes);
        Slice dz = f32Out(rows * classes);
        Slice dw = f32Out(in * classes);
        Slice m = f32(new float[in * classes]);
        Slice v = f32(new float[in * classes]);
        Runnable step = () -> {
            backend.gatherBatch(x, in, null, null, xb, y, 1, yb, null, counters, rows, rows);
            backend.gemm(false, false, rows, classes, in, 1f / 255f, xb, w, 0f, z);
            backend.biasActivationForward(z, bias, rows, classes, ActivationFunction.LINEAR, 0f, z);
            backend.softmaxCrossEntropy(z, yb, true, rows, classes, probs, dz, 1f / rows, stats);
            backend.gemm(true, false, in, classes, rows, 1f, xb, dz, 0f, dw);
            backend.adamUpdate(w, dw, m, v, null, in * classes, hyper, counters, 0.9f, 0.999f, 1e-7f);
            backend.advanceCounters(counters);
        };
        if (useGraph) {
            try (CudaGraph g = CudaGraph.capture(cuda(), step)) {
                for (int i = 0; i < batches; i++) {
                    g.launch();
                }
                backend.synchronize();
            }
        } else {
            for (int i = 0; i < batches; i++) {
                step.run();
            }
        }
        return new float[][] {get(w), get(stats), get(probs), toFloats(getInts(counters))};
    }

    private static float[] toFloats(int[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    @Test
    void captureRefusesHostSynchronisingOps() {
        Slice s = f32(new float[4]);
        CudaGraph g = CudaGraph.begin(cuda());
        try {
            assertThrows(IllegalStateException.class, backend::synchronize);
            assertThrows(IllegalStateException.class, () -> backend.allocate(DType.F32, 4));
            assertThrows(IllegalStateException.class, () -> backend.upload(new float[4], 0, s));
        } finally {
            g.close();
        }
        backend.synchronize();
    }

    @Test
    void tf32IsAnExplicitOptIn() {
        assertEquals(false, cuda().isTf32());
        cuda().setTf32(true);
        try {
            assertTrue(backend.description().contains("TF32"), backend.description());
            Slice a = f32(normal(64 * 64, 1));
            Slice c = f32Out(64 * 64);
            backend.gemm(false, false, 64, 64, 64, 1f, a, a, 0f, c);
            get(c);
        } finally {
            cuda().setTf32(false);
        }
        assertTrue(backend.description().contains("FP32"), backend.description());
    }

    @Test
    void outOfMemoryLeavesTheBackendUsable() {
        // 8 GiB at a time until the GPU is full (an H100 holds several).
        java.util.List<Buffer> hogs = new java.util.ArrayList<>();
        CudaOutOfMemoryException e = null;
        try {
            for (int i = 0; i < 64 && e == null; i++) {
                try {
                    hogs.add(backend.allocate(DType.F32, Integer.MAX_VALUE));
                } catch (CudaOutOfMemoryException oom) {
                    e = oom;
                }
            }
        } finally {
            hogs.forEach(Buffer::close);
        }
        assertTrue(e != null, "64 allocations of 8 GiB succeeded");
        assertTrue(e.getMessage().contains("bytes requested") && e.getMessage().contains("free of"),
                e.getMessage());
        assertEquals(4L * Integer.MAX_VALUE, e.requestedBytes(), e.getMessage());
        Slice s = f32(new float[] {1, 2, 3});
        assertArrayEquals(new float[] {1, 2, 3}, get(s));
    }

    @Test
    void closeIsIdempotentAndFreesEverything() {
        CudaBackend b = new CudaBackend();
        Buffer x = b.allocate(DType.F32, 10);
        b.allocate(DType.I32, 3);
        b.allocate(DType.U8, 0);
        assertEquals(3, b.openBuffers());
        x.close();
        assertEquals(2, b.openBuffers());
        b.close();
        b.close();
        assertEquals(0, b.openBuffers());
        assertThrows(IllegalStateException.class, b::synchronize);
    }
}
