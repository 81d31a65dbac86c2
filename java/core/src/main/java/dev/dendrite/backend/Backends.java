package dev.dendrite.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Finds and creates backends. {@link #auto()} tries CUDA, then OpenCL, then the CPU, and records why each
 * one before the chosen was passed over. The system property {@code dendrite.backend} (or the environment
 * variable {@code DENDRITE_BACKEND}) forces one: {@code cpu}, {@code cuda} or {@code opencl}.
 */
public final class Backends {
    /** The names {@link #create} accepts, in the order {@link #auto()} tries them. */
    public static final List<String> NAMES = List.of("cuda", "opencl", "cpu");

    private static final String[] PROVIDERS = {
        "dev.dendrite.backend.cuda.CudaBackend",
        "dev.dendrite.backend.opencl.OpenClBackend",
    };

    private Backends() {
    }

    /** One backend's availability, for {@code info} and for the log of {@link #auto()}. */
    public static final class Probe {
        private final String name;
        private final boolean available;
        private final String detail;

        Probe(String name, boolean available, String detail) {
            this.name = name;
            this.available = available;
            this.detail = detail;
        }

        public String name() {
            return name;
        }

        public boolean available() {
            return available;
        }

        /** The device it would run on, or why it cannot run. */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return name + ": " + (available ? "available - " : "unavailable - ") + detail;
        }
    }

    /** The backend the user forced by property or environment, or null. */
    public static String forcedName() {
        String p = System.getProperty("dendrite.backend");
        if (p == null || p.isBlank()) {
            p = System.getenv("DENDRITE_BACKEND");
        }
        return p == null || p.isBlank() ? null : p.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The backend forced by {@code dendrite.backend}/{@code DENDRITE_BACKEND}, else the first that works of
     * CUDA, OpenCL and CPU, where an OpenCL device that is the host's own CPU is passed over for the faster
     * cpu backend. The caller owns (and closes) the result.
     */
    public static Backend auto() {
        String forced = forcedName();
        if (forced != null && !forced.equals("auto")) {
            return create(forced);
        }
        for (String name : NAMES) {
            Backend b;
            try {
                b = create(name);
            } catch (RuntimeException | LinkageError e) {
                continue; // passed over; probe() reports why
            }
            if (!name.equals("cpu") && b.runsOnHostCpu()) {
                b.close();
                continue;
            }
            return b;
        }
        throw new IllegalStateException("no backend could be created");
    }

    /**
     * Creates a backend by name; {@code "auto"} means {@link #auto()}.
     *
     * @throws IllegalArgumentException for an unknown name
     * @throws UnsupportedOperationException when the backend exists but cannot run here, saying why
     */
    public static Backend create(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "auto":
                return auto();
            case "cpu":
                return new CpuBackend();
            case "cuda":
                return reflect(PROVIDERS[0], "cuda");
            case "opencl":
                return reflect(PROVIDERS[1], "opencl");
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "'; expected auto or one of: " + NAMES);
        }
    }

    /** Tries every backend and reports which work, closing what it created. */
    public static List<Probe> probe() {
        List<Probe> out = new ArrayList<>();
        for (String name : NAMES) {
            try (Backend b = create(name)) {
                out.add(new Probe(name, true, b.description() + (!name.equals("cpu") && b.runsOnHostCpu()
                        ? " (a CPU device: 'auto' prefers the cpu backend)" : "")));
            } catch (RuntimeException | LinkageError e) {
                out.add(new Probe(name, false, e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
        return out;
    }

    private static Backend reflect(String className, String name) {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new UnsupportedOperationException("the " + name + " backend is not part of this build of Dendrite");
        }
        try {
            return (Backend) c.getConstructor().newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new UnsupportedOperationException(name + " backend failed to start: " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new UnsupportedOperationException(name + " backend failed to start: " + e, e);
        }
    }
}
