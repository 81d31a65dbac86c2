package dev.dendrite.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A backend with CUDA-graph semantics on the CPU, for testing what the engine records: {@link Backend#capture}
 * stores each op with its arguments instead of running it, and each replay issues exactly those calls again,
 * while the host code that issued them does not run. A step whose host code computes something per step (a
 * learning rate, a batch offset, a step count) and passes it by value would replay a stale value here just as
 * it would in a CUDA graph, and its results would drift from a run without recording.
 *
 * <p>As in a CUDA stream capture, ops that move data to or from the host, allocate or wait throw
 * {@link IllegalStateException} while recording.
 */
public final class ReplayBackend implements InvocationHandler {
    /** What a CUDA stream capture forbids: host copies, allocation, waiting, and ending the backend. */
    private static final Set<String> FORBIDDEN_WHILE_RECORDING =
            Set.of("upload", "download", "allocate", "synchronize", "close", "capture");

    private final Backend delegate;
    private List<Object[]> recording;
    private int recordings;
    private int openRecordings;
    private long replays;

    private ReplayBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** The handler behind a proxy made by {@link #wrap}, for its counters. */
    public static ReplayBackend of(Backend proxy) {
        return (ReplayBackend) Proxy.getInvocationHandler(proxy);
    }

    /** A backend that runs every op on {@code delegate} and records steps as described above. */
    public static Backend wrap(Backend delegate) {
        return BackendProxies.proxy(new ReplayBackend(delegate));
    }

    /** Steps recorded so far. */
    public int recordings() {
        return recordings;
    }

    /** Recorded steps not yet closed. */
    public int openRecordings() {
        return openRecordings;
    }

    /** Replays so far. */
    public long replays() {
        return replays;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (BackendProxies.isObjectMethod(method)) {
            return BackendProxies.objectMethod(proxy, method, args, "ReplayBackend(" + delegate + ")");
        }
        if (recording != null) {
            if (FORBIDDEN_WHILE_RECORDING.contains(name)) {
                throw new IllegalStateException(name + " while recording a step");
            }
            if (name.equals("updateThenAdvanceCounters")) {
                // What a graph holds of it: the update's ops (recorded as they are issued), then the advance.
                ((Runnable) args[1]).run();
                recording.add(new Object[] {Backend.class.getMethod("advanceCounters", Slice.class),
                    new Object[] {args[0]}});
                return null;
            }
            if (method.getReturnType() == void.class) {
                recording.add(new Object[] {method, args == null ? new Object[0] : args.clone()});
                return null;
            }
            return call(method, args); // name(), description() ...: no device work
        }
        if (name.equals("capture")) {
            return record((Runnable) args[0]);
        }
        return call(method, args);
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private CapturedStep record(Runnable ops) {
        List<Object[]> ops0 = new ArrayList<>();
        recording = ops0;
        try {
            ops.run();
        } finally {
            recording = null;
        }
        recordings++;
        openRecordings++;
        List<Object[]> frozen = List.copyOf(ops0);
        return new CapturedStep() {
            private boolean closed;

            @Override
            public void run() {
                if (closed) {
                    throw new IllegalStateException("replay of a closed recording");
                }
                replays++;
                for (Object[] op : frozen) {
                    try {
                        call((Method) op[0], (Object[]) op[1]);
                    } catch (RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException(t);
                    }
                }
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    openRecordings--;
                }
            }
        };
    }
}
