package dev.dendrite.backend.opencl;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;

/**
 * Builds a deliberately broken OpenCL program and reports what came back, on stdout, for
 * {@link OpenClProgramBuildTest}. It runs in a child JVM because PoCL's compiler also writes its diagnostics
 * ("2 errors generated.") straight to the native stderr, where neither Java nor surefire can catch them: the
 * test captures the child's stderr instead, so that a passing {@code mvn test} prints no failure-looking line.
 *
 * <p>Output, one field a line: {@code device <name>}, {@code status <OpenCL error code>}, {@code after <value the
 * backend read back after the failed build>}, then {@code message} followed by the exception's full message.
 * Exit status 0 when the build threw {@link OpenClException}, 2 when it did not, 3 when no OpenCL device opened
 * (none at all, or none matching the selector the parent used).
 */
final class BrokenProgramBuild {
    static final String SOURCE = "__kernel void broken(__global float *x) {\n"
            + "    x[0] = undeclared_identifier_4711 + ;\n"
            + "}\n";
    static final int NO_DEVICE = 3;

    private BrokenProgramBuild() {
    }

    public static void main(String[] args) {
        OpenClBackend backend;
        try {
            backend = new OpenClBackend();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            System.out.println("no OpenCL device: " + e.getMessage());
            System.exit(NO_DEVICE);
            return;
        }
        String report;
        try (backend) {
            report = report(backend);
        }
        System.out.print(report);
        System.out.flush();
        System.exit(report.contains("\nstatus ") ? 0 : 2);
    }

    /** The fields above for one build of {@link #SOURCE} on {@code backend}; no status line when it built. */
    static String report(OpenClBackend backend) {
        StringBuilder out = new StringBuilder("device ").append(backend.device().name()).append('\n');
        OpenClException thrown = null;
        try {
            backend.programs().checkBuild("broken_test.cl", SOURCE);
        } catch (OpenClException e) {
            thrown = e;
        }
        // The backend is unaffected: its own programs still build and run.
        try (Buffer b = backend.allocate(DType.F32, 3)) {
            backend.fill(b.all(), 2.5f);
            float[] got = new float[3];
            backend.download(b.all(), got, 0);
            out.append("after ").append(got[2]).append('\n');
        }
        if (thrown == null) {
            return out.append("message\n(no exception: the broken source built)\n").toString();
        }
        return out.append("status ").append(thrown.status()).append('\n')
                .append("message\n").append(thrown.getMessage()).append('\n').toString();
    }
}
