package dev.dendrite.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * What every {@link java.lang.reflect.Proxy} of a {@link Backend} answers for {@link Object}'s own methods (the
 * profiling backend here, the test doubles that replay or defer ops): identity equality and hash code, and a name.
 */
final class BackendProxies {
    private BackendProxies() {
    }

    /** A {@link Backend} whose every call goes to {@code handler}. */
    static Backend proxy(InvocationHandler handler) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                handler);
    }

    /** Whether {@code method} is one of {@link Object}'s, which {@link #objectMethod} answers. */
    static boolean isObjectMethod(Method method) {
        return method.getDeclaringClass() == Object.class;
    }

    /** {@code equals}, {@code hashCode} or {@code toString} of {@code proxy}; {@code toString} gives {@code name}. */
    static Object objectMethod(Object proxy, Method method, Object[] args, String name) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> name;
        };
    }
}
