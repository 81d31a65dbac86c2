package dev.dendrite.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A backend whose {@link Backend#branch} runs its ops as late as the contract allows: at the next
 * {@link Backend#joinBranches()}, or before anything that waits for the device. In place (the default) and
 * deferred are the two ends of what a GPU backend may do with a branch, so a caller that keeps the branch
 * contract trains identically on both; one that reads a branch's result before the join, or writes what a
 * pending branch reads, does not. Wraps the cpu backend for the engine's tests.
 */
public final class DeferredBranchBackend implements InvocationHandler {
    /** Calls that wait for the device or end its use: pending branches run first. */
    private static final Set<String> WAITING = Set.of("download", "synchronize", "close", "upload");

    private final Backend inner;
    private final List<Runnable> pending = new ArrayList<>();
    private int branches;
    private int maxPending;

    private DeferredBranchBackend(Backend inner) {
        this.inner = inner;
    }

    /** {@code inner} with deferred branches. */
    public static Backend wrap(Backend inner) {
        return BackendProxies.proxy(new DeferredBranchBackend(inner));
    }

    /** The handler behind a proxy from {@link #wrap}. */
    public static DeferredBranchBackend of(Backend proxy) {
        return (DeferredBranchBackend) Proxy.getInvocationHandler(proxy);
    }

    /** Branches issued so far. */
    public int branches() {
        return branches;
    }

    /** The most branches that were pending at once. */
    public int maxPending() {
        return maxPending;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (BackendProxies.isObjectMethod(method)) {
            return BackendProxies.objectMethod(proxy, method, args, "DeferredBranchBackend[" + inner + "]");
        }
        switch (name) {
            case "branch" -> {
                branches++;
                pending.add((Runnable) args[0]);
                maxPending = Math.max(maxPending, pending.size());
                return null;
            }
            case "joinBranches" -> {
                runPending();
                return null;
            }
            default -> {
                if (WAITING.contains(name)) {
                    runPending();
                }
            }
        }
        try {
            return method.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private void runPending() {
        while (!pending.isEmpty()) {
            pending.remove(0).run();
        }
    }
}
