package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.SplittableRandom;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

import org.junit.jupiter.api.Test;

/**
 * {@value #CYCLES} whole lives of a backend: create a {@link CudaBackend}, build and compile a small model on it,
 * fit one short epoch (shuffled, with validation data, so that the permutation's sort scratch, the validation
 * upload and the evaluation buffers are all made), predict, close the model, close the backend. The GPU's free
 * memory must come back to where it was.
 *
 * <p>The model borrows the backend ({@link Sequential#backend}), so the cycle closes both itself: the model's
 * close must free every buffer it made (the backend's {@link CudaBackend#openBuffers()} is back to 0 while the
 * backend is still open; after the backend's close it is 0 by construction, so that is not what is checked),
 * and the backend's close must free what is not a buffer: the cuBLAS handle and its workspace, the control
 * block, the sort scratch, the kernel module, the stream.
 *
 * <p>Free memory is read with {@link CudaBackend#memoryInfo()} from a probe backend held open all along. The
 * probe keeps the device's primary context alive, so the context is not torn down and rebuilt each cycle,
 * and memory can be read between cycles. The baseline is taken after {@value #WARM_UP} warm-up cycles, since
 * the driver and cuBLAS load code and reserve context-wide memory lazily, once.
 *
 * <p>Tolerance: {@value #TOLERANCE_MIB} MiB below the baseline at any point. The driver allocates in pages of
 * 2 MiB, and its own context-level reservations may move by a few pages; 64 MiB is 32 such pages. A leak is
 * far bigger, since it repeats: one cycle's backend holds a cuBLAS workspace of 32 MiB (4 MiB before
 * Hopper), the kernel module and a control block; its model about 2 MiB of weights, gradients, Adam slots and
 * data. Leaking any of these every cycle loses at least 200 x 0.33 MiB = 66 MiB over the run, and leaking a
 * backend 0.8 to 6 GiB. Another process using the same GPU at the same time would disturb the measurement;
 * this test assumes the GPU to itself, as the other CUDA tests of this build do.
 *
 * <p>On native/emulator's CPU emulation of the driver, free memory is counted to the byte and there are no
 * driver reservations, so {@value #EMULATED_CYCLES} cycles with no tolerance at all find the same leaks (one
 * cycle there takes about a second, spent tuning the GEMMs of a new backend).
 *
 * <p>Skipped, with the reason, where there is no usable GPU.
 */
class CudaMemoryCyclesTest {
    static final int CYCLES = 200;
    static final int WARM_UP = 3;
    static final int TOLERANCE_MIB = 64;
    static final int EMULATED_CYCLES = 12;
    private static final long MIB = 1L << 20;

    private static CudaBackend openOrSkip() {
        return CudaTestSupport.backendOrSkip(CudaMemoryCyclesTest.class);
    }

    @Test
    void everyCycleGivesItsDeviceMemoryBack() {
        CudaBackend probe = openOrSkip();
        boolean emulated = CudaTestSupport.emulated(probe);
        int cycles = emulated ? EMULATED_CYCLES : CYCLES;
        long tolerance = emulated ? 0 : TOLERANCE_MIB * MIB;
        try {
            int rows = 384;
            SplittableRandom rnd = new SplittableRandom(11);
            byte[] pixels = new byte[rows * 784];
            int[] labels = new int[rows];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (byte) rnd.nextInt(256);
            }
            for (int i = 0; i < rows; i++) {
                labels[i] = rnd.nextInt(10);
            }
            ByteTensor raw = ByteTensor.wrap(pixels, rows, 784);
            ByteTensor x = Preprocessing.fit("scale", raw).apply(raw);

            for (int i = 0; i < WARM_UP; i++) {
                cycle(-1 - i, x, labels);
            }
            long[] start = probe.memoryInfo();
            long baseline = start[0];
            long lowest = baseline;
            for (int i = 0; i < cycles; i++) {
                cycle(i, x, labels);
                long free = probe.memoryInfo()[0];
                lowest = Math.min(lowest, free);
                assertTrue(baseline - free <= tolerance, String.format(Locale.ROOT,
                        "after cycle %d of %d, free GPU memory is %.3f MiB below where it started (%.1f MiB free "
                                + "of %.1f MiB); more than the %.0f MiB the driver's own allocations may move",
                        i + 1, cycles, (baseline - free) / (double) MIB, baseline / (double) MIB,
                        start[1] / (double) MIB, tolerance / (double) MIB));
            }
            long end = probe.memoryInfo()[0];
            System.out.printf(Locale.ROOT, "CudaMemoryCyclesTest: %d cycles on %s; free memory %.1f MiB at the "
                            + "start, %.1f MiB at the end (difference %+.1f MiB, lowest %.1f MiB below the start)%n",
                    cycles, probe.deviceName(), baseline / (double) MIB, end / (double) MIB,
                    (end - baseline) / (double) MIB, (baseline - lowest) / (double) MIB);
        } finally {
            probe.close();
        }
        assertThrows(IllegalStateException.class, probe::memoryInfo);
    }

    /** One life: backend, model, fit, predict, close both; the model must leave no buffer open. */
    private static void cycle(int i, ByteTensor x, int[] labels) {
        CudaBackend b = new CudaBackend();
        try {
            int heldOpen;
            try (Sequential m = new Sequential(new Input(784), new Dense(128, "relu"), new BatchNormalization(),
                    new Dropout(0.2), new Dense(10, "softmax")).backend(b).seed(i)) {
                m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
                m.fit(x, labels, new FitOptions().batchSize(64).epochs(1).verbose(0)
                        .validationData(x.rows(0, 64), java.util.Arrays.copyOf(labels, 64)));
                m.predict(x.rows(0, 10));
                heldOpen = b.openBuffers();
            }
            assertTrue(heldOpen > 0, "cycle " + i + ": the model held no buffer on the backend");
            assertEquals(0, b.openBuffers(), "cycle " + i + ": buffers left open by the closed model (of "
                    + heldOpen + " it held)");
        } finally {
            b.close();
        }
    }
}
