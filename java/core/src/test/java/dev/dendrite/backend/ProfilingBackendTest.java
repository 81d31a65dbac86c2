package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.cpu.CpuBackend;

/**
 * The profiler charges each op to its key, on the host clock and, when the wrapped backend has a device clock
 * ({@link DeviceOpTimer}, CUDA events on the cuda backend), on that clock too. A stand-in device clock that charges
 * every op 1,000 ns checks the bookkeeping without a GPU.
 */
class ProfilingBackendTest {

    /** A CPU backend that also claims a device clock, charging 1,000 ns per op and counting begin/end calls. */
    private static Backend withFakeClock(CpuBackend cpu, int[] markers) {
        Map<String, long[]> pending = new LinkedHashMap<>();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class, DeviceOpTimer.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "begin":
                            markers[0]++;
                            return 7;
                        case "end":
                            markers[1]++;
                            assertEquals(7, args[0], "end gets the token begin gave");
                            long[] v = pending.computeIfAbsent((String) args[1], k -> new long[2]);
                            v[0]++;
                            v[1] += 1000;
                            return null;
                        case "drain":
                            @SuppressWarnings("unchecked")
                            Map<String, long[]> into = (Map<String, long[]>) args[0];
                            pending.forEach((k, p) -> {
                                long[] t = into.computeIfAbsent(k, x -> new long[2]);
                                t[0] += p[0];
                                t[1] += p[1];
                            });
                            pending.clear();
                            return null;
                        default:
                            try {
                                return method.invoke(cpu, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    @Test
    void chargesEachOpToItsKeyOnBothClocks() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            int[] markers = new int[2];
            ProfilingBackend p = new ProfilingBackend(withFakeClock(cpu, markers), false);
            assertTrue(p.timesOnDevice());
            Backend b = p.backend(); // the profiled backend: its ops are timed
            try (Buffer x = b.allocate(DType.F32, 12); Buffer out = b.allocate(DType.F32, 4)) {
                b.fill(x.all(), 2f);
                p.reset(); // the fill is discarded, on both clocks
                b.columnSums(x.all(), 3, 4, out.all());
                b.columnSums(x.all(), 3, 4, out.all());
                b.gemm(false, false, 2, 2, 2, 1f, x.all(), x.all(), 0f, out.all());
                Map<String, long[]> device = p.deviceMeasurements();
                assertArrayEquals(new long[] {2, 2000}, device.get("columnSums"));
                assertArrayEquals(new long[] {1, 1000}, device.get("gemm 2x2x2 NN"));
                assertFalse(device.containsKey("fill"), "reset drops what the device clock measured before it");
                assertEquals(2, p.measurements().get("columnSums")[0], "the host clock counts the same calls");
                assertEquals(markers[0], markers[1], "every begin has its end");
            }
        }
        try (CpuBackend cpu = new CpuBackend(1)) {
            ProfilingBackend plain = new ProfilingBackend(cpu, true);
            assertFalse(plain.timesOnDevice());
            assertTrue(plain.deviceMeasurements().isEmpty());
        }
    }

    /**
     * Ops that issue other ops (a branch, a step's last update) are not timed themselves: their ops are, one by one,
     * through the proxy, and timing the call too would count them twice.
     */
    @Test
    void opsThatRunOtherOpsAreNotCountedTwice() {
        try (CpuBackend cpu = new CpuBackend(1); ProfilingBackend p = new ProfilingBackend(cpu, false)) {
            Backend b = p.backend();
            try (Buffer x = b.allocate(DType.F32, 4); Buffer counters = b.allocate(DType.I32, 2)) {
                b.branch(() -> b.reluForward(x.all(), 4, 0f, Float.POSITIVE_INFINITY, 0f, x.all()));
                b.joinBranches();
                b.updateThenAdvanceCounters(counters.all(), () -> b.fill(x.all(), 1f));
                int[] c = new int[2];
                b.download(counters.all(), c, 0);
                assertArrayEquals(new int[] {1, 1}, c, "the counters advanced once");
            }
            assertEquals(Set.of("reluForward", "fill", "advanceCounters", "download"), p.measurements().keySet(),
                    p.report());
        }
    }

    /**
     * The profiled backend is a proxy: each op runs on the inner backend and is charged to its method name, the
     * backend's identity and memory calls pass through untimed, and the inner backend's own exceptions reach the
     * caller unwrapped.
     */
    @Test
    void timesEveryOpUnderItsNameAndPassesTheRestThrough() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            ProfilingBackend p = new ProfilingBackend(cpu, true);
            Backend b = p.backend();
            assertEquals(cpu.name(), b.name());
            assertEquals(cpu.description() + " (profiled)", b.description());
            try (Buffer x = b.allocate(DType.F32, 4); Buffer y = b.allocate(DType.F32, 4)) {
                b.upload(new float[] {1, -2, 3, -4}, 0, x.all());
                b.reluForward(x.all(), 4, 0f, Float.POSITIVE_INFINITY, 0f, y.all());
                float[] out = new float[4];
                b.download(y.all(), out, 0);
                assertArrayEquals(new float[] {1, 0, 3, 0}, out, "the op ran on the inner backend");
            }
            assertEquals(Set.of("upload", "reluForward", "download"), p.measurements().keySet(),
                    "ops are timed; allocate, name and description are not");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.allocate(DType.F32, -1));
            assertTrue(e.getMessage().contains("length -1"), e.getMessage());
        }
    }
}
