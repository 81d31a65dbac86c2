package dev.dendrite.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Wraps a backend and measures where time goes, op by op: {@code ProfilingBackend p = new
 * ProfilingBackend(Backends.create("cpu"), true); new Sequential(...).backend(p.backend())}. With {@code synchronizeEachOp} every op is followed by
 * {@link Backend#synchronize()}, so an asynchronous backend's device time is charged to the op that caused it
 * (at the price of the overlap it would otherwise have); without it, the times are what the host spends
 * issuing ops. GEMMs are keyed by their shape, so a report separates the layers of a network.
 *
 * <p>The profiled backend is a {@link java.lang.reflect.Proxy} over {@link Backend}: every op (every method not
 * listed in {@code UNTIMED}) is timed under its method name, so an op added to the interface is profiled without an
 * edit here. Profiling is not the hot path; the reflective call per op is part of what it measures, the same for every op.
 *
 * <p>Closing the profiler (or the profiled backend) closes the wrapped backend.
 */
public final class ProfilingBackend implements AutoCloseable {
    /** Methods that pass straight to the wrapped backend, untimed: its identity, memory and lifecycle, not ops. */
    private static final Set<String> UNTIMED =
            Set.of("name", "runsOnHostCpu", "allocate", "synchronize", "peakDeviceBytes", "close");
    private final Backend inner;
    private final boolean synchronizeEachOp;
    private final Map<String, long[]> stats = new LinkedHashMap<>();
    /** The wrapped backend's own device clock, when it has one (CUDA events), else null. */
    private final DeviceOpTimer deviceTimer;
    private final Map<String, long[]> deviceStats = new LinkedHashMap<>();
    private final Backend profiled;

    public ProfilingBackend(Backend inner, boolean synchronizeEachOp) {
        if (inner == null) {
            throw new IllegalArgumentException("the backend to profile is null");
        }
        this.inner = inner;
        this.synchronizeEachOp = synchronizeEachOp;
        this.deviceTimer = inner instanceof DeviceOpTimer ? (DeviceOpTimer) inner : null;
        this.profiled = BackendProxies.proxy(this::dispatch);
    }

    /** The wrapped backend. */
    public Backend inner() {
        return inner;
    }

    /** The profiled backend: give this to the model; each of its ops runs on {@link #inner()} and is timed. */
    public Backend backend() {
        return profiled;
    }

    /** Closes the wrapped backend. */
    @Override
    public void close() {
        inner.close();
    }

    private Object dispatch(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (BackendProxies.isObjectMethod(method)) {
            return BackendProxies.objectMethod(proxy, method, args, "ProfilingBackend[" + inner + "]");
        }
        if (name.equals("description")) {
            return inner.description() + " (profiled)";
        }
        if (UNTIMED.contains(name)) {
            return invokeInner(method, args);
        }
        // Ops that run other ops: those come back through this proxy and are timed one by one, so timing the call
        // as well would count them twice. Op by op, a branch runs in place, and a step's last update is the update
        // and then the counters' own op.
        if (name.equals("branch")) {
            ((Runnable) args[0]).run();
            return null;
        }
        if (name.equals("joinBranches")) {
            return invokeInner(method, args);
        }
        if (name.equals("updateThenAdvanceCounters")) {
            Slice counters = (Slice) args[0];
            java.util.Objects.requireNonNull(args[1], "updateThenAdvanceCounters: update is null");
            ((Runnable) args[1]).run();
            return timed("advanceCounters", () -> {
                inner.advanceCounters(counters);
                return null;
            });
        }
        if (method.isDefault()) {
            // e.g. capture: the interface's own version, whose ops come back through this proxy and are timed
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        return timed(name.equals("gemm") ? gemmKey(args) : name, () -> invokeInner(method, args));
    }

    private Object invokeInner(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** GEMMs are keyed by shape and transposes, e.g. "gemm 32x10x128 NT". */
    private static String gemmKey(Object[] a) {
        return "gemm " + a[2] + "x" + a[3] + "x" + a[4] + ((Boolean) a[0] ? " T" : " N") + ((Boolean) a[1] ? "T" : "N");
    }

    /** One call of the inner backend. */
    @FunctionalInterface
    private interface Op {
        Object run() throws Throwable;
    }

    /**
     * Runs {@code op} (one call of the inner backend) and charges its time to {@code key}, after waiting for the
     * device when {@code synchronizeEachOp}. An op that throws is not counted.
     */
    private Object timed(String key, Op op) throws Throwable {
        long t0 = System.nanoTime();
        int token = deviceTimer == null ? -1 : deviceTimer.begin();
        Object result = op.run();
        if (deviceTimer != null) {
            deviceTimer.end(token, key);
        }
        if (synchronizeEachOp) {
            inner.synchronize();
        }
        long[] s = stats.computeIfAbsent(key, k -> new long[2]);
        s[0]++;
        s[1] += System.nanoTime() - t0;
        return result;
    }

    /** Clears the measurements (e.g. after a warm-up epoch). */
    public void reset() {
        stats.clear();
        if (deviceTimer != null) {
            deviceTimer.drain(new LinkedHashMap<>()); // the markers so far belong to what is being discarded
        }
        deviceStats.clear();
    }

    /** Whether {@link #deviceMeasurements()} has the device's own times (the wrapped backend is a DeviceOpTimer). */
    public boolean timesOnDevice() {
        return deviceTimer != null;
    }

    /**
     * Ops and device nanoseconds per op key, measured by the wrapped backend's own clock (empty when it has none):
     * what each op costs the device, without the host's issue and wait times that {@link #measurements()} holds.
     */
    public Map<String, long[]> deviceMeasurements() {
        if (deviceTimer != null) {
            deviceTimer.drain(deviceStats);
        }
        Map<String, long[]> copy = new LinkedHashMap<>();
        deviceStats.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** Total nanoseconds measured for ops whose key starts with {@code prefix} ("" for all). */
    public long totalNanos(String prefix) {
        long t = 0;
        for (Map.Entry<String, long[]> e : stats.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                t += e.getValue()[1];
            }
        }
        return t;
    }

    /** Calls and total nanoseconds per op key, in first-seen order. */
    public Map<String, long[]> measurements() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        stats.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** A table of the ops sorted by total time: calls, total ms, microseconds per call, share. */
    public String report() {
        long total = Math.max(1, totalNanos(""));
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(stats.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-34s %9s %11s %11s %7s%n", "op", "calls",
                "total ms", "us/call", "share"));
        for (Map.Entry<String, long[]> e : rows) {
            long[] v = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-34s %9d %11.1f %11.1f %6.1f%%%n", e.getKey(), v[0], v[1] / 1e6,
                    v[1] / 1e3 / v[0], 100.0 * v[1] / total));
        }
        sb.append(String.format(Locale.ROOT, "%-34s %9s %11.1f%n", "total", "", total / 1e6));
        return sb.toString();
    }

}
