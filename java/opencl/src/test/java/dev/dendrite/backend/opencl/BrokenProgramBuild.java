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
 * Exit status 0 when the build threw {@link OpenClException}, 2 when it did not, 3 when no OpenCL device opened.
 */
final class BrokenProgramBuild {
    static final String SOURCE = "__kernel void broken(__global float *x) {\n"
            + "    x[0] = undeclared_identifier_4711 + ;\n"
            + "}\n";

    private BrokenProgramBuild() {
    }

    public static void main(String[] args) {
        OpenClBackend backend;
        try {
            backend = new OpenClBackend();
        } catch (UnsupportedOperationException e) {
            System.out.println("no OpenCL device: " + e.getMessage());
            System.exit(3);
            return;
        }
        try (backend) {
            System.out.println("device " + backend.device().name());
            OpenClException thrown = null;
            try {
                backend.programs().checkBuild("broken_test.cl", SOURCE);
            } catch (OpenClException e) {
                thrown = e;
            }
            // The backend is unaffected: its own programs still build and run.
            Buffer b = backend.allocate(DType.F32, 3);
            backend.fill(b.all(), 2.5f);
            float[] got = new float[3];
            backend.download(b.all(), got, 0);
            System.out.println("after " + got[2]);
            if (thrown == null) {
                System.out.println("message");
                System.out.println("(no exception: the broken source built)");
                System.exit(2);
            }
            System.out.println("status " + thrown.status());
            System.out.println("message");
            System.out.println(thrown.getMessage());
        }
        System.out.flush();
        System.exit(0);
    }
}
