package dev.dendrite.backend.cuda;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * Kernel launches with programmatic dependent launch (PDL): on Hopper and newer a kernel launched with the
 * attribute {@code programmaticStreamSerialization} may be placed on the multiprocessors while the kernel before it
 * on the stream still runs, and a stream capture turns the launch's dependency into a programmatic graph edge. The
 * kernel's first statement, {@code dendrite_pdl_begin()} in {@code kernels/cuda/common.cuh}, waits for that kernel
 * to finish before it touches memory, so results do not change; only the launch latency hides under the tail of
 * the kernel before. A course network's step is 15-25 dependent kernels of 2-10 us, so that latency is a large part
 * of it.
 *
 * <p>JCuda 12.6 binds neither {@code cuLaunchKernelEx} nor the graph edge data, so the calls go through
 * {@code libdendrite_launch.so} ({@code native/launch}), which opens the driver itself. Off with
 * {@code -Ddendrite.cuda.pdl=false}; {@link CudaBackend#description()} says whether it is on and, if not, why.
 */
final class CudaLaunchEx {
    /** Class-path location of the library native/launch/build.sh produces. */
    static final String RESOURCE = "/dev/dendrite/native/linux-x86_64/libdendrite_launch.so";

    private static boolean bound;
    private static String loadProblem;

    private CudaLaunchEx() {
    }

    /**
     * Why kernels cannot be launched with PDL on a device of compute capability {@code ccMajor}.x in this JVM, as a
     * phrase for the backend's description, or null when they can.
     */
    static String pdlProblem(int ccMajor) {
        if ("false".equalsIgnoreCase(System.getProperty("dendrite.cuda.pdl"))) {
            return "turned off by -Ddendrite.cuda.pdl=false";
        }
        if (ccMajor < 9) {
            return "needs compute capability 9.0 (Hopper) or newer";
        }
        String problem = load();
        if (problem != null) {
            return problem;
        }
        try {
            return driverProblem();
        } catch (LinkageError e) {
            return "libdendrite_launch.so does not match this build: " + e;
        }
    }

    /** Loads and binds the library once; null when it is ready, else why not. */
    static synchronized String load() {
        if (bound || loadProblem != null) {
            return loadProblem;
        }
        String problem = CudaLibraries.loadNative(RESOURCE, "libdendrite_launch.so");
        try {
            if (problem == null && !bind()) {
                problem = "libdendrite_launch.so could not find JCuda's pointer fields";
            }
        } catch (LinkageError e) {
            problem = "libdendrite_launch.so does not match this build: " + e;
        }
        if (problem == null) {
            bound = true;
        } else {
            loadProblem = problem;
        }
        return loadProblem;
    }

    /**
     * One 8-byte slot per kernel parameter, as the driver reads them: a device address (0 for null), or an int or a
     * float's bits in the low 4 bytes. The arguments have passed {@link CudaContext#checkArguments}.
     */
    static long[] slots(Object[] args) {
        long[] slots = new long[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof CUdeviceptr) {
                slots[i] = address(a);
            } else if (a instanceof Integer) {
                slots[i] = (Integer) a & 0xFFFF_FFFFL;
            } else if (a instanceof Float) {
                slots[i] = Float.floatToRawIntBits((Float) a) & 0xFFFF_FFFFL;
            }
        }
        return slots;
    }

    /** cuLaunchKernelEx with programmaticStreamSerialization; a driver error is thrown as JCuda throws its own. */
    static void launch(CUfunction function, CUstream stream, int gridX, int gridY, int gridZ, int blockX, int blockY,
                       int sharedBytes, Object[] args) {
        check(launchEx(function, stream, gridX, gridY, gridZ, blockX, blockY, 1, sharedBytes, slots(args), true));
    }

    /**
     * {programmatic edges, all edges, nodes on the longest chain of edges} of a graph (a captured step: how many of
     * its launches overlap, and how many must run one after another).
     */
    static long[] edges(CUgraph graph) {
        long[] counts = new long[3];
        check(countEdges(graph, counts));
        return counts;
    }

    private static void check(int result) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(CUresult.stringFor(result));
        }
    }

    // ================================================================== libdendrite_launch.so (native/launch/launch.c)

    /** Finds JCuda's handle fields; false if this JCuda lays them out differently. */
    private static native boolean bind();

    /** Why the driver's cuLaunchKernelEx cannot be called (no libcuda.so.1, too old a driver), or null. */
    static native String driverProblem();

    /** A JCuda handle's native value (a {@link jcuda.Pointer}'s with its byte offset added); 0 for null. */
    static native long address(Object handle);

    private static native int launchEx(Object function, Object stream, int gridX, int gridY, int gridZ, int blockX,
                                       int blockY, int blockZ, int sharedBytes, long[] slots, boolean programmatic);

    private static native int countEdges(Object graph, long[] counts);
}
