package dev.dendrite.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that runs every call on the backend it wraps and counts the calls by method name: for tests of which
 * ops a caller (the engine) issues, not only what they compute. It also keeps them in order ({@link #log}).
 */
public final class CountingBackend implements InvocationHandler {
    private final Backend inner;
    private final Map<String, Integer> calls = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private int branchDepth;

    private CountingBackend(Backend inner) {
        this.inner = inner;
    }

    /** {@code inner}, with its calls counted. */
    public static Backend wrap(Backend inner) {
        return BackendProxies.proxy(new CountingBackend(inner));
    }

    /** The handler behind a proxy from {@link #wrap}. */
    public static CountingBackend of(Backend proxy) {
        return (CountingBackend) Proxy.getInvocationHandler(proxy);
    }

    /** How many times {@code method} (any overload) was called so far. */
    public int calls(String method) {
        return calls.getOrDefault(method, 0);
    }

    /**
     * Every call so far, in order, by method name; a call made inside a {@link Backend#branch} (the caller's ops
     * issued through this proxy) is prefixed with "branch:" for each branch it is in.
     */
    public List<String> log() {
        return List.copyOf(log);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (BackendProxies.isObjectMethod(method)) {
            return BackendProxies.objectMethod(proxy, method, args, "CountingBackend(" + inner + ")");
        }
        calls.merge(method.getName(), 1, Integer::sum);
        log.add("branch:".repeat(branchDepth) + method.getName());
        boolean branch = method.getName().equals("branch");
        branchDepth += branch ? 1 : 0;
        try {
            return method.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            branchDepth -= branch ? 1 : 0;
        }
    }
}
