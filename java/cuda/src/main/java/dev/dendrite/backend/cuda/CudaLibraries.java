package dev.dendrite.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import jcuda.JCudaVersion;
import jcuda.LibUtils;

/**
 * Loads the native pieces the CUDA backend needs, in an order that turns every failure into one clear sentence
 * instead of an {@link UnsatisfiedLinkError} from a class initialiser (after which JCuda's classes could never be
 * used again in this JVM):
 * <ol>
 *   <li>JCuda's driver binding, which needs the CUDA driver ({@code libcuda.so.1}); loading it first, through
 *       JCuda's own {@link LibUtils}, tells "no driver" apart before any JCuda class is initialised;</li>
 *   <li>JCublas2's binding, which needs {@code libcublas.so.12}. Where only cuBLAS 13 is installed, the
 *       {@code libcublas.so.12} forwarding library built from {@code native/cublas12} (a class-path resource)
 *       is extracted and {@link System#load}ed first, so that JCublas2's dependency resolves to it.</li>
 *   <li>The kernels: {@code dendrite_kernels.fatbin}, a class-path resource when nvcc existed at build time.</li>
 * </ol>
 * Outcomes are remembered: a second attempt fails (or succeeds) at once with the same message.
 */
final class CudaLibraries {
    /** Class-path location of the forwarding library that native/cublas12/build.sh produces. */
    static final String CUBLAS12_RESOURCE = "/dev/dendrite/native/linux-x86_64/libcublas.so.12";

    private static final String UNAVAILABLE = "CUDA is unavailable: ";

    private static boolean driverLoaded;
    private static String driverProblem;
    private static String cublasRoute;
    private static String cublasProblem;
    private static byte[] fatbin;
    private static boolean fatbinLooked;

    private CudaLibraries() {
    }

    /**
     * Loads JCuda's driver binding.
     *
     * @throws UnsupportedOperationException saying why CUDA cannot run here, e.g.
     *         {@code "CUDA is unavailable: no CUDA driver (libcuda.so.1) found"}
     */
    static synchronized void loadDriver() {
        if (driverLoaded) {
            return;
        }
        if (driverProblem != null) {
            throw new UnsupportedOperationException(driverProblem);
        }
        String platform = platformProblem();
        if (platform != null) {
            driverProblem = UNAVAILABLE + platform;
            throw new UnsupportedOperationException(driverProblem);
        }
        try {
            LibUtils.loadLibrary(LibUtils.createPlatformLibraryName("JCudaDriver-" + JCudaVersion.get()));
            driverLoaded = true;
        } catch (LinkageError | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            driverProblem = UNAVAILABLE + (why.contains("libcuda.so")
                    ? "no CUDA driver (libcuda.so.1) found"
                    : "JCuda's driver binding could not be loaded: " + essence(why));
            throw new UnsupportedOperationException(driverProblem, e);
        }
    }

    /**
     * Loads JCublas2's binding, through the cuBLAS 12 to 13 forwarding library when the system has no
     * {@code libcublas.so.12}.
     *
     * @return how cuBLAS is reached, for the backend's description
     * @throws UnsupportedOperationException when cuBLAS cannot be loaded, saying why
     */
    static synchronized String loadCublas() {
        if (cublasRoute != null) {
            return cublasRoute;
        }
        if (cublasProblem != null) {
            throw new UnsupportedOperationException(cublasProblem);
        }
        String library = LibUtils.createPlatformLibraryName("JCublas2-" + JCudaVersion.get());
        try {
            LibUtils.loadLibrary(library);
            cublasRoute = "libcublas.so.12";
            return cublasRoute;
        } catch (LinkageError | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.contains("libcublas.so.12")) {
                cublasProblem = UNAVAILABLE + "JCublas2's binding could not be loaded: " + essence(why);
                throw new UnsupportedOperationException(cublasProblem, e);
            }
        }
        // No cuBLAS 12 on this machine: put the forwarding library in its place, then try again.
        Path shim;
        try {
            shim = extract(CUBLAS12_RESOURCE, "libcublas.so.12");
        } catch (IOException e) {
            cublasProblem = UNAVAILABLE + "cuBLAS 12 (libcublas.so.12) was not found and the forwarding library "
                    + "to cuBLAS 13 could not be extracted: " + e.getMessage();
            throw new UnsupportedOperationException(cublasProblem, e);
        }
        if (shim == null) {
            cublasProblem = UNAVAILABLE + "cuBLAS 12 (libcublas.so.12) was not found, and this build has no "
                    + "forwarding library to cuBLAS 13 (gcc was not found at build time, or this is not Linux x86-64)";
            throw new UnsupportedOperationException(cublasProblem);
        }
        try {
            System.load(shim.toString());
            LibUtils.loadLibrary(library);
            cublasRoute = "libcublas.so.13 through the libcublas.so.12 forwarding library";
            return cublasRoute;
        } catch (LinkageError | RuntimeException e) {
            cublasProblem = UNAVAILABLE + "cuBLAS could not be loaded, even through the libcublas.so.12 forwarding "
                    + "library: " + essence(String.valueOf(e.getMessage()));
            throw new UnsupportedOperationException(cublasProblem, e);
        }
    }

    /**
     * Extracts a JNI library of this build from the class path and loads it.
     *
     * @return null once it is loaded, else why it could not be (for a description: the backend runs without it)
     */
    static String loadNative(String resource, String fileName) {
        Path file;
        try {
            file = extract(resource, fileName);
        } catch (IOException e) {
            return fileName + " could not be extracted: " + e.getMessage();
        }
        if (file == null) {
            return "this build has no " + fileName + " (gcc was not found at build time, or this is not Linux x86-64)";
        }
        try {
            System.load(file.toString());
            return null;
        } catch (LinkageError e) {
            return fileName + " could not be loaded: " + essence(String.valueOf(e.getMessage()));
        }
    }

    /** The kernels' fatbin from the class path, or null when this build has none. */
    static synchronized byte[] fatbin() {
        if (!fatbinLooked) {
            fatbinLooked = true;
            try (InputStream in = CudaLibraries.class.getResourceAsStream(CudaKernel.FATBIN_RESOURCE)) {
                fatbin = in == null ? null : in.readAllBytes();
            } catch (IOException e) {
                fatbin = null;
            }
        }
        return fatbin;
    }

    /** Why JCuda's natives (linux-x86_64 in this build) cannot run on this platform, or null. */
    private static String platformProblem() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "this build of Dendrite carries JCuda's native libraries for Linux x86-64 only, not "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch");
        }
        return null;
    }

    /**
     * Copies a class-path resource into a fresh temporary directory (deleted at exit) under {@code fileName};
     * null when the resource does not exist.
     */
    private static Path extract(String resource, String fileName) throws IOException {
        try (InputStream in = CudaLibraries.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path dir = Files.createTempDirectory("dendrite-native");
            Path file = dir.resolve(fileName);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        }
    }

    /**
     * The informative line of a JCuda load failure, whose message otherwise carries two nested stack traces:
     * the first line naming a shared object that cannot be opened or a symbol that cannot be found.
     */
    static String essence(String message) {
        for (String line : message.split("\\R")) {
            String l = line.trim();
            if (l.contains("cannot open shared object") || l.contains("undefined symbol")
                    || l.contains("version `")) {
                String prefix = "java.lang.UnsatisfiedLinkError: ";
                return l.startsWith(prefix) ? l.substring(prefix.length()) : l;
            }
        }
        String first = message.split("\\R", 2)[0].trim();
        return first.isEmpty() ? "(no message)" : first;
    }
}
