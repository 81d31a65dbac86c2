package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;

import org.junit.jupiter.api.Test;

/** Run-time program builds: a compiler error comes back with its log; include expansion is faithful. */
class OpenClProgramBuildTest {

    @Test
    void brokenSourceThrowsWithTheProgramNameAndFullBuildLog() {
        try (OpenClBackend backend = OpenClTestSupport.backendOrSkip()) {
            String broken = "__kernel void broken(__global float *x) {\n"
                    + "    x[0] = undeclared_identifier_4711 + ;\n"
                    + "}\n";
            OpenClException e = assertThrows(OpenClException.class,
                    () -> backend.programs().checkBuild("broken_test.cl", broken));
            String msg = e.getMessage();
            assertTrue(msg.contains("broken_test.cl"), "names the program: " + msg);
            assertTrue(msg.contains(backend.device().name()), "names the device: " + msg);
            assertTrue(msg.contains("build log:"), "carries the log: " + msg);
            // The compiler's own diagnostic, which quotes the offending identifier.
            assertTrue(msg.contains("undeclared_identifier_4711"), "the log has the compiler's message: " + msg);
            assertTrue(e.status() < 0, "an OpenCL error code: " + e.status());

            // The backend is unaffected: its own programs still build and run.
            Buffer b = backend.allocate(DType.F32, 3);
            backend.fill(b.all(), 2.5f);
            float[] got = new float[3];
            backend.download(b.all(), got, 0);
            assertEquals(2.5f, got[2]);
        }
    }

    @Test
    void everyKernelFileBuildsOnThisDevice() {
        try (OpenClBackend backend = OpenClTestSupport.backendOrSkip()) {
            for (String file : new String[] {"activations.cl", "batchnorm.cl", "data.cl", "dropout.cl", "gemm.cl",
                "losses.cl", "optimizers.cl", "reductions.cl", "regularizers.cl"}) {
                backend.programs().checkBuild(file, KernelSources.load(file));
            }
        }
    }

    @Test
    void includesAreExpandedOnceWithLineDirectives() {
        String src = KernelSources.load("losses.cl");
        // losses.cl includes activations.h, errors.h and losses.h, which all include dialect.h and sums.h.
        assertEquals(1, count(src, "#define DENDRITE_DIALECT_H"), "dialect.h inserted once");
        assertEquals(1, count(src, "#define DENDRITE_SUMS_H"), "sums.h inserted once");
        assertTrue(src.contains("#line 1 \"common/activations.h\""), "marks where a header starts");
        assertTrue(src.contains("\"opencl/losses.cl\""), "returns to the including file");
        assertFalse(src.contains("#include \"../common/"), "no quoted include is left for the driver");
    }

    @Test
    void aHeaderWithoutAGuardIsExpandedAtEveryInclude() {
        // gemm.cl includes the GEMM template once per variant (each copy defines that variant's body); the guarded
        // dialect.h, which the template includes too, goes in once.
        String src = KernelSources.load("gemm.cl");
        assertEquals(3, count(src, "#line 1 \"common/gemm_tiled.h\""), "the template once per variant");
        assertEquals(1, count(src, "#define DENDRITE_DIALECT_H"), "dialect.h once");
    }

    @Test
    void missingSourcesAndIncludesAreNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelSources.load("no_such_kernel.cl"));
        assertTrue(e.getMessage().contains("no_such_kernel.cl"), e.getMessage());
        assertEquals("dev/dendrite/kernels/common/x.h",
                KernelSources.resolve("dev/dendrite/kernels/opencl/a.cl", "../common/./x.h"));
        assertThrows(IllegalStateException.class, () -> KernelSources.resolve("a.cl", "../../x.h"));
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
