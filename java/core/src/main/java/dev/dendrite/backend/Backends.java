package dev.dendrite.backend;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import dev.dendrite.backend.cpu.CpuBackend;

/**
 * Finds and creates backends. {@link #auto()} tries CUDA, then OpenCL, then the CPU, and {@link #probe()} says
 * why each one was passed over: its artifact is not on the class path, it found no device, or it failed to
 * start. The system property {@code dendrite.backend} (or the environment variable {@code DENDRITE_BACKEND})
 * forces one: {@code cpu}, {@code cuda} or {@code opencl}.
 *
 * <p>The cpu backend is always here. The GPU backends live in their own artifacts ({@code dendrite-cuda},
 * {@code dendrite-opencl}; {@code dendrite-cli.jar} has both), found with {@link ServiceLoader} through the
 * {@link BackendProvider} each registers.
 */
public final class Backends {
    /** The names {@link #create} accepts, in the order {@link #auto()} tries them. */
    public static final List<String> NAMES = List.of("cuda", "opencl", "cpu");

    /** The artifact that brings each backend other than cpu. */
    private static final Map<String, String> ARTIFACTS = Map.of(
            "cuda", "dev.dendrite:dendrite-cuda",
            "opencl", "dev.dendrite:dendrite-opencl");

    private Backends() {
    }

    /** Whether a backend can run here, and if not, which kind of reason {@link Probe#detail()} gives. */
    public enum Status {
        /** Created and closed again without error. */
        AVAILABLE,
        /** Its artifact (and so its {@link BackendProvider}) is not on the class path. */
        NOT_ON_CLASS_PATH,
        /** The backend is here but found no driver or device it can use. */
        NO_DEVICE,
        /** The backend is here but failed otherwise: a native library that did not load, a driver error. */
        FAILED_TO_START,
        /**
         * The backend is here but was not started, by its provider's advice: starting it would harm this process,
         * and auto would not keep it ({@link BackendProvider#passOverUnstarted()}). It may still run when named.
         */
        NOT_STARTED
    }

    /** One backend's availability, for {@code info} and for the log of {@link #auto()}. */
    public static final class Probe {
        private final String name;
        private final Status status;
        private final String detail;

        Probe(String name, Status status, String detail) {
            this.name = name;
            this.status = status;
            this.detail = detail;
        }

        public String name() {
            return name;
        }

        public boolean available() {
            return status == Status.AVAILABLE;
        }

        public Status status() {
            return status;
        }

        /** The device it would run on, or why it cannot run. */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return name + ": " + (available() ? "available - " : "unavailable - ") + detail;
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
     * cpu backend (unstarted where its provider knows that beforehand: PoCL, see
     * {@link BackendProvider#passOverUnstarted()}). The caller owns (and closes) the result.
     */
    public static Backend auto() {
        String forced = forcedName();
        if (forced != null && !forced.equals("auto")) {
            return create(forced);
        }
        for (String name : NAMES) {
            Backend b;
            try {
                if (passOverUnstarted(name) != null) {
                    continue;
                }
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
            case "opencl":
                return startProvided(n);
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "'; expected auto or one of: " + NAMES);
        }
    }

    /** Tries every backend and reports which work, closing what it created. */
    public static List<Probe> probe() {
        List<Probe> out = new ArrayList<>();
        for (String name : NAMES) {
            String passedOver = passOverUnstarted(name);
            if (passedOver != null) {
                out.add(new Probe(name, Status.NOT_STARTED, passedOver));
                continue;
            }
            try (Backend b = create(name)) {
                out.add(new Probe(name, Status.AVAILABLE, b.description() + (!name.equals("cpu") && b.runsOnHostCpu()
                        ? " (a CPU device: 'auto' prefers the cpu backend)" : "")));
            } catch (RuntimeException | LinkageError e) {
                Status status = e instanceof Unavailable ? ((Unavailable) e).status
                        : e instanceof UnsupportedOperationException ? Status.NO_DEVICE : Status.FAILED_TO_START;
                out.add(new Probe(name, status, e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
        return out;
    }

    /**
     * Why the provider of {@code name} asks {@link #auto()} and {@link #probe()} not to start it
     * ({@link BackendProvider#passOverUnstarted()}), or null: always null for cpu and for a provider that is not on
     * the class path (creating it then says why).
     */
    private static String passOverUnstarted(String name) {
        if (name.equals("cpu")) {
            return null;
        }
        try {
            return provider(name).passOverUnstarted();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Starts the backend that a {@link BackendProvider} on the class path registers under {@code name}. A backend
     * that finds no device throws its own {@link UnsupportedOperationException}, which passes through as it is.
     */
    private static Backend startProvided(String name) {
        BackendProvider provider = provider(name);
        try {
            return provider.create();
        } catch (LinkageError e) {
            throw new Unavailable(Status.FAILED_TO_START, name + " backend failed to start: " + e, e);
        }
    }

    /** The {@link BackendProvider} on the class path registered under {@code name}. */
    private static BackendProvider provider(String name) {
        List<String> broken = new ArrayList<>();
        BackendProvider provider = null;
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class,
                loader != null ? loader : Backends.class.getClassLoader()).iterator();
        while (provider == null) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                BackendProvider p = it.next();
                if (name.equals(p.name())) {
                    provider = p;
                }
            } catch (ServiceConfigurationError e) {
                broken.add(e.getMessage()); // a provider that cannot even be loaded: named if nothing else fits
            }
        }
        if (provider == null) {
            throw new Unavailable(Status.NOT_ON_CLASS_PATH, "the " + name + " backend is not on the class path: add"
                    + " the artifact " + ARTIFACTS.get(name) + " (dendrite-cli.jar has every backend)"
                    + (broken.isEmpty() ? "" : "; providers that failed to load: " + broken));
        }
        return provider;
    }

    /** Why {@link #create} could not give a backend, where the backend's own exception does not say. */
    private static final class Unavailable extends UnsupportedOperationException {
        private static final long serialVersionUID = 1L;
        private final transient Status status;

        Unavailable(Status status, String message) {
            super(message);
            this.status = status;
        }

        Unavailable(Status status, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
        }
    }
}
