package dev.dendrite.backend.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_SINGLE_FP_CONFIG;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ACCELERATOR;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_DEVICE_NOT_FOUND;
import static org.jocl.CL.CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as the runtime reports it, and the rules for choosing one.
 *
 * <p>{@link #all()} lists every device of every platform in a fixed order (platforms as the ICD loader lists
 * them, devices within each); a device's {@link #index()} is its position in that list and is what
 * {@code dendrite.opencl.device=<index>} refers to. Without a choice, {@link #select(String)} prefers GPUs,
 * then accelerators, then CPUs, keeping the list order within each kind.
 */
public final class OpenClDevice {
    /** System property choosing the device: an index into {@link #all()} or a substring of its name. */
    public static final String PROPERTY = "dendrite.opencl.device";
    /** Environment variable read when {@link #PROPERTY} is not set. */
    public static final String ENVIRONMENT = "DENDRITE_OPENCL_DEVICE";

    /** Found in libOpenCL.so when no platform is installed (cl_khr_icd); not a constant in JOCL. */
    private static final int CL_PLATFORM_NOT_FOUND_KHR = -1001;

    final cl_platform_id platform;
    final cl_device_id device;
    private final int index;
    private final String platformName;
    private final String name;
    private final String version;
    private final long type;
    private final int computeUnits;
    private final long globalMemoryBytes;
    private final long maxAllocationBytes;
    private final long maxWorkGroupSize;
    private final long localMemoryBytes;
    private final boolean correctlyRoundedDivideSqrt;

    private OpenClDevice(int index, cl_platform_id platform, cl_device_id device) {
        this.index = index;
        this.platform = platform;
        this.device = device;
        this.platformName = platformString(platform, CL_PLATFORM_NAME);
        this.name = deviceString(device, CL_DEVICE_NAME);
        this.version = deviceString(device, CL_DEVICE_VERSION);
        this.type = deviceLong(device, CL_DEVICE_TYPE, Sizeof.cl_ulong);
        this.computeUnits = (int) deviceLong(device, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint);
        this.globalMemoryBytes = deviceLong(device, CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong);
        this.maxAllocationBytes = deviceLong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong);
        this.maxWorkGroupSize = deviceLong(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t);
        this.localMemoryBytes = deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE, Sizeof.cl_ulong);
        long fp = deviceLong(device, CL_DEVICE_SINGLE_FP_CONFIG, Sizeof.cl_ulong);
        this.correctlyRoundedDivideSqrt = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    }

    /** PoCL's platform name: its devices are the host's CPU (Debian's pocl-opencl-icd has no other). */
    static final String POCL_PLATFORM = "Portable Computing Language";

    /**
     * The names of this machine's OpenCL platforms, asked without listing their devices: PoCL starts its devices,
     * and with them LLVM's signal handlers, only when its devices are listed (see
     * {@link OpenClBackendProvider#passOverUnstarted()}).
     *
     * @throws UnsupportedOperationException when the OpenCL runtime itself cannot be loaded, saying why
     */
    static List<String> platformNames() {
        List<String> out = new ArrayList<>();
        try {
            for (cl_platform_id p : platforms()) {
                out.add(platformString(p, CL_PLATFORM_NAME));
            }
        } catch (CLException e) {
            throw new UnsupportedOperationException("OpenCL platforms could not be listed: "
                    + CL.stringFor_errorCode(e.getStatus()) + " (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /** The runtime loaded, its platforms (none when it reports CL_PLATFORM_NOT_FOUND_KHR). */
    private static cl_platform_id[] platforms() {
        loadRuntime();
        int[] count = new int[1];
        try {
            clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) {
                return new cl_platform_id[0];
            }
            throw e;
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        if (platforms.length > 0) {
            clGetPlatformIDs(platforms.length, platforms, null);
        }
        return platforms;
    }

    /**
     * Every OpenCL device on this machine, in {@link #index()} order; empty when the runtime is installed but
     * has no platform or device.
     *
     * @throws UnsupportedOperationException when the OpenCL runtime itself cannot be loaded, saying why
     */
    public static List<OpenClDevice> all() {
        List<OpenClDevice> out = new ArrayList<>();
        try {
            for (cl_platform_id p : platforms()) {
                int[] n = new int[1];
                try {
                    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
                } catch (CLException e) {
                    if (e.getStatus() == CL_DEVICE_NOT_FOUND) {
                        continue; // a platform without devices is not an error
                    }
                    throw e;
                }
                cl_device_id[] devices = new cl_device_id[n[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, devices.length, devices, null);
                for (cl_device_id d : devices) {
                    out.add(new OpenClDevice(out.size(), p, d));
                }
            }
        } catch (CLException e) {
            throw new UnsupportedOperationException("OpenCL devices could not be listed: "
                    + CL.stringFor_errorCode(e.getStatus()) + " (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /**
     * The device named by {@code selector}, or the preferred one when {@code selector} is null or blank.
     *
     * @param selector an index into {@link #all()}, or a case-insensitive substring of
     *                 {@code "<platform> / <device>"}
     * @throws UnsupportedOperationException when there is no OpenCL device at all
     * @throws IllegalArgumentException when no device matches the selector, listing the devices there are
     */
    public static OpenClDevice select(String selector) {
        List<OpenClDevice> devices = all();
        if (devices.isEmpty()) {
            throw new UnsupportedOperationException("no OpenCL device found: the OpenCL runtime is installed but "
                    + "reports no platform with a device (install a driver or an ICD such as pocl-opencl-icd)");
        }
        if (selector == null || selector.isBlank()) {
            List<OpenClDevice> ranked = new ArrayList<>(devices);
            Collections.sort(ranked, Comparator.comparingInt(OpenClDevice::rank)); // stable: list order kept
            return ranked.get(0);
        }
        String s = selector.trim();
        if (s.chars().allMatch(Character::isDigit)) {
            int i;
            try {
                i = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                i = -1;
            }
            if (i >= 0 && i < devices.size()) {
                return devices.get(i);
            }
            throw new IllegalArgumentException("OpenCL device index " + s + " does not exist; expected 0 to "
                    + (devices.size() - 1) + ": " + describeAll(devices));
        }
        String needle = s.toLowerCase(Locale.ROOT);
        for (OpenClDevice d : devices) {
            if (d.label().toLowerCase(Locale.ROOT).contains(needle)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no OpenCL device matches '" + s + "'; expected an index or part of "
                + "one of these names: " + describeAll(devices));
    }

    /** The selector given by {@link #PROPERTY} or {@link #ENVIRONMENT}, or null. */
    static String configuredSelector() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENVIRONMENT);
        }
        return p == null || p.isBlank() ? null : p.trim();
    }

    private static String describeAll(List<OpenClDevice> devices) {
        StringBuilder sb = new StringBuilder();
        for (OpenClDevice d : devices) {
            sb.append(sb.length() == 0 ? "" : "; ").append(d.index).append(" = ").append(d.label());
        }
        return sb.toString();
    }

    /** Lower is preferred: GPUs, then accelerators, then CPUs, then anything else. */
    private int rank() {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return 0;
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return 1;
        }
        if ((type & CL_DEVICE_TYPE_CPU) != 0) {
            return 2;
        }
        return 3;
    }

    /**
     * Loads JOCL and, through it, the OpenCL ICD loader, turning a missing library into an exception that says
     * what to install. JOCL 2.0.5 opens {@code libOpenCL.so} by that exact name on Linux, which only the
     * development package (or a symbolic link) provides. Turning JOCL's exceptions on is process-wide; every
     * OpenCL call in this package expects it and wraps the {@code CLException} with the op's context.
     */
    static void loadRuntime() {
        try {
            CL.setExceptionsEnabled(true);
        } catch (LinkageError e) {
            throw new UnsupportedOperationException("the OpenCL runtime could not be loaded (" + e + "). JOCL needs "
                    + "the OpenCL ICD loader under the name libOpenCL.so: on Debian/Ubuntu install "
                    + "ocl-icd-opencl-dev (or link libOpenCL.so to libOpenCL.so.1 in a directory on "
                    + "LD_LIBRARY_PATH), plus a driver such as pocl-opencl-icd", e);
        }
    }

    /** Position in {@link #all()}. */
    public int index() {
        return index;
    }

    public String platformName() {
        return platformName;
    }

    public String name() {
        return name;
    }

    /** {@code "<platform> / <device>"}: what a name selector is matched against. */
    public String label() {
        return platformName + " / " + name;
    }

    /** {@code GPU}, {@code CPU}, {@code accelerator} or {@code other}. */
    public String typeName() {
        switch (rank()) {
            case 0:
                return "GPU";
            case 1:
                return "accelerator";
            case 2:
                return "CPU";
            default:
                return "other";
        }
    }

    /** The device's OpenCL version string. */
    public String version() {
        return version;
    }

    public int computeUnits() {
        return computeUnits;
    }

    public long globalMemoryBytes() {
        return globalMemoryBytes;
    }

    /** The largest single buffer the device accepts ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}). */
    public long maxAllocationBytes() {
        return maxAllocationBytes;
    }

    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    public long localMemoryBytes() {
        return localMemoryBytes;
    }

    /** Whether {@code -cl-fp32-correctly-rounded-divide-sqrt} is available (IEEE division, as in Java). */
    public boolean correctlyRoundedDivideSqrt() {
        return correctlyRoundedDivideSqrt;
    }

    @Override
    public String toString() {
        return label() + " (" + typeName() + ", " + computeUnits + " compute units, "
                + (globalMemoryBytes >> 20) + " MiB global memory)";
    }

    // ------------------------------------------------------------------ info queries

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    /** An unsigned integer device property of {@code size} bytes (4 or 8). */
    private static long deviceLong(cl_device_id d, int param, int size) {
        if (size == 4) {
            int[] v = new int[1];
            clGetDeviceInfo(d, param, 4, Pointer.to(v), null);
            return v[0] & 0xffffffffL;
        }
        long[] v = new long[1];
        clGetDeviceInfo(d, param, 8, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8).trim();
    }
}
