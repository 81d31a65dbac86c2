package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.CounterAdvanceConformance;
import dev.dendrite.backend.DType;

/** {@link CounterAdvanceConformance} on OpenCL (PoCL on CI). */
class OpenClCounterAdvanceTest extends CounterAdvanceConformance {
    @Override
    protected Backend createBackend() {
        return OpenClTestSupport.backendOrSkip();
    }

    @Override
    protected long fusedUpdates(Backend backend) {
        return ((OpenClBackend) backend).countersAdvancedByUpdates();
    }

    /** -Ddendrite.opencl.fuse=false issues the counters' own kernel after the update. */
    @Override
    protected boolean advancesInItsRuleKernels() {
        return !"false".equalsIgnoreCase(System.getProperty("dendrite.opencl.fuse"));
    }

    /**
     * An evaluation batch's gather advances the counters in its own launch (data.cl's gather_batch_u8, its last
     * work-group): one recorded launch where gatherBatch and advanceCounters are two (with fuse=false, those two),
     * replayed three times, the counters one batch further each time and the batch the one they pointed to.
     * Planted, a last group that does not advance fails it; BackendConformanceTest checks the bits on every backend.
     */
    @Test
    void anEvaluationBatchsGatherAdvancesTheCountersInItsOwnLaunch() {
        boolean fused = advancesInItsRuleKernels();
        int width = 784;
        int srcRows = 500;
        int batch = 128;
        try (OpenClBackend backend = OpenClTestSupport.backendOrSkip();
             Buffer x = backend.allocate(DType.U8, srcRows * width); Buffer y = backend.allocate(DType.I32, srcRows);
             Buffer xOut = backend.allocate(DType.F32, batch * width); Buffer yOut = backend.allocate(DType.I32, batch);
             Buffer counters = backend.allocate(DType.I32, 2)) {
            int[] labels = new int[srcRows];
            for (int i = 0; i < srcRows; i++) {
                labels[i] = i;
            }
            backend.upload(labels, 0, y.all());
            backend.upload(new int[] {7, 0}, 0, counters.all());
            long before = backend.countersAdvancedByGathers();
            Runnable op = () -> backend.gatherBatchThenAdvanceCounters(x.all(), width, null, null, xOut.all(), y.all(),
                    1, yOut.all(), null, counters.all(), batch, batch);
            try (CapturedStep step = backend.capture(op)) {
                List<String> names = ((OpenClRecording) step).commandNames();
                assertEquals(fused ? List.of("data.cl:gather_batch_u8")
                        : List.of("data.cl:gather_batch_u8", "data.cl:advance_counters"), names);
                for (int replay = 0; replay < 3; replay++) {
                    step.run();
                    int[] got = new int[2];
                    backend.download(counters.all(), got, 0);
                    assertArrayEquals(new int[] {8 + replay, 1 + replay}, got, "counters after replay " + replay);
                    int[] rows = new int[batch];
                    backend.download(yOut.all(), rows, 0);
                    assertEquals(replay * batch, rows[0], "the batch's first row, replay " + replay);
                    assertEquals(replay * batch + batch - 1, rows[batch - 1], "its last row, replay " + replay);
                }
            }
            assertEquals(fused ? 1 : 0, backend.countersAdvancedByGathers() - before, "gathers that advanced");
        }
    }
}
