package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.DeviceOpTimer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/**
 * The CUDA backend's device clock for {@link dev.dendrite.backend.ProfilingBackend}: a pair of CUDA events around
 * each op, read in one wait when the profiler drains them (or when {@value #MAX_PENDING_OP_TIMES} are pending).
 */
final class CudaOpTimer implements DeviceOpTimer {
    private final CudaContext ctx;

    CudaOpTimer(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** A started or finished op timing: its events and, once ended, the key it is charged to. */
    private record OpTiming(CUevent start, CUevent stop, String key) {
    }

    /** Every event made for op timing (destroyed by close()), the idle ones, and timings not yet read. */
    private final List<CUevent> opEvents = new ArrayList<>();
    private final java.util.ArrayDeque<CUevent> freeOpEvents = new java.util.ArrayDeque<>();
    private final List<OpTiming> pendingOpTimes = new ArrayList<>();
    /** Start events of ops begun and not yet ended, by token. */
    private final java.util.Map<Integer, CUevent> openOpStarts = new java.util.HashMap<>();
    private int nextOpToken;
    private final java.util.Map<String, long[]> drainedOpTimes = new java.util.LinkedHashMap<>();
    /** Timings kept unread before they are read in one wait: bounds the events in use. */
    private static final int MAX_PENDING_OP_TIMES = 1024;

    private CUevent opEvent() {
        CUevent e = freeOpEvents.poll();
        if (e == null) {
            e = new CUevent();
            cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
            opEvents.add(e);
        }
        return e;
    }

    /** Records a start event on the stream (not during a capture, where it returns -1 and times nothing). */
    @Override
    public int begin() {
        if (ctx.capturing) {
            return -1;
        }
        CUevent e = opEvent();
        cuEventRecord(e, ctx.stream);
        int token = nextOpToken++ & Integer.MAX_VALUE;
        openOpStarts.put(token, e);
        return token;
    }

    @Override
    public void end(int token, String key) {
        if (token < 0 || ctx.capturing) {
            return;
        }
        CUevent start = openOpStarts.remove(token);
        if (start == null) {
            throw new IllegalArgumentException("cuda: no op timing was begun with token " + token);
        }
        CUevent stop = opEvent();
        cuEventRecord(stop, ctx.stream);
        pendingOpTimes.add(new OpTiming(start, stop, key));
        if (pendingOpTimes.size() >= MAX_PENDING_OP_TIMES) {
            readOpTimes();
        }
    }

    @Override
    public void drain(java.util.Map<String, long[]> into) {
        readOpTimes();
        drainedOpTimes.forEach((k, v) -> {
            long[] t = into.computeIfAbsent(k, x -> new long[2]);
            t[0] += v[0];
            t[1] += v[1];
        });
        drainedOpTimes.clear();
    }

    /** Waits for the pending timings' last event and adds their elapsed times to {@link #drainedOpTimes}. */
    private void readOpTimes() {
        if (pendingOpTimes.isEmpty()) {
            return;
        }
        ctx.bind();
        cuEventSynchronize(pendingOpTimes.get(pendingOpTimes.size() - 1).stop());
        float[] ms = new float[1];
        for (OpTiming t : pendingOpTimes) {
            cuEventElapsedTime(ms, t.start(), t.stop());
            long[] v = drainedOpTimes.computeIfAbsent(t.key(), x -> new long[2]);
            v[0]++;
            v[1] += Math.round(ms[0] * 1e6);
            freeOpEvents.add(t.start());
            freeOpEvents.add(t.stop());
        }
        pendingOpTimes.clear();
    }

    /** Destroys every event made for op timing, noting failures in {@code problems}. */
    void release(List<String> problems) {
        for (CUevent e : opEvents) {
            CudaContext.attempt(problems, "cuEventDestroy", () -> cuEventDestroy(e));
        }
        opEvents.clear();
        freeOpEvents.clear();
        pendingOpTimes.clear();
        openOpStarts.clear();
    }
}
