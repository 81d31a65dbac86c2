package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jcuda.JCudaVersion;

/**
 * The libcublas.so.12 forwarding library (native/cublas12): it must define every symbol JCublas2's native
 * library imports from libcublas.so.12, under the right SONAME, and its trampolines must hand calls to
 * cuBLAS 13 with every argument intact. Checked without a GPU: the symbol tables are read from the ELF files
 * themselves, and the forwarding is exercised against a stand-in libcublas.so.13 built with gcc.
 *
 * <p>Without gcc at build time (or off Linux x86-64) there is no library and the tests are skipped; on CI
 * ({@code CI=true}) with /usr/bin/gcc on Linux x86-64 a missing library is a failure.
 */
class CublasForwardingLibraryTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = CublasForwardingLibraryTest.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static boolean linuxX64() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    private static byte[] shimOrSkip() throws IOException {
        byte[] shim = resource(CudaLibraries.CUBLAS12_RESOURCE);
        if (shim != null) {
            return shim;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI")) && linuxX64() && Files.isExecutable(Path.of("/usr/bin/gcc"))) {
            fail("CI=true with gcc on Linux x86-64, but the build produced no " + CudaLibraries.CUBLAS12_RESOURCE);
        }
        Assumptions.abort("no " + CudaLibraries.CUBLAS12_RESOURCE + " on the class path (built only on Linux x86-64 "
                + "with gcc)");
        return null;
    }

    /** JCublas2's native library, from the jcublas-natives jar on the test class path. */
    private static byte[] jcublas2() throws IOException {
        String name = "/lib/libJCublas2-" + JCudaVersion.get() + "-linux-x86_64.so";
        byte[] lib = resource(name);
        if (lib == null) {
            fail("no " + name + " on the class path (org.jcuda:jcublas-natives)");
        }
        return lib;
    }

    @Test
    void exportsEverySymbolJcublas2ImportsUnderTheSoname() throws IOException {
        byte[] shim = shimOrSkip();
        Elf imports = new Elf(jcublas2(), 0);
        Set<String> wanted = new TreeSet<>();
        for (Elf.Symbol s : imports.symbols(true)) {
            if (!s.defined() && "libcublas.so.12".equals(s.requiredFrom())) {
                wanted.add(s.name());
            }
        }
        assertTrue(wanted.size() > 400, "only " + wanted.size() + " imports from libcublas.so.12 found");
        Elf lib = new Elf(shim, 0);
        assertEquals(Elf.EM_X86_64, lib.machine);
        assertEquals("libcublas.so.12", lib.soname());
        Set<String> exported = new TreeSet<>();
        for (Elf.Symbol s : lib.symbols(true)) {
            if (s.exportedFunction()) {
                exported.add(s.name());
            }
        }
        Set<String> missing = new TreeSet<>(wanted);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), missing.size() + " of " + wanted.size()
                + " symbols JCublas2 imports are not exported: " + missing);
        Set<String> extra = new TreeSet<>(exported);
        extra.removeAll(wanted);
        assertTrue(extra.isEmpty(), "exports beyond what JCublas2 imports: " + extra);
    }

    /** A stand-in for cuBLAS 13 that checks what it is called with. */
    private static final String FAKE_CUBLAS13 = String.join("\n",
            "int cublasCreate_v2(void **h) { *h = (void *) 0x1234; return 0; }",
            "int cublasDestroy_v2(void *h) { return h == (void *) 0x1234 ? 0 : 7; }",
            "int cublasGetVersion_v2(void *h, int *v) { *v = 130100; return h == (void *) 0x1234 ? 0 : 7; }",
            "int cublasGetPointerMode_v2(void *h, int *mode) { (void) h; *mode = 0; return 0; }",
            "int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *a,",
            "                   int lda, const float *b, int ldb, const float *beta, float *c, int ldc) {",
            "    /* 14 arguments: 6 in registers, 8 on the stack, all must arrive unchanged */",
            "    return h == (void *) 0x1234 && ta == 1 && tb == 0 && m == 3 && n == 4 && k == 5 && *alpha == 2.0f",
            "        && a == (const float *) 0xA0 && lda == 6 && b == (const float *) 0xB0 && ldb == 7",
            "        && *beta == 0.5f && c == (float *) 0xC0 && ldc == 8 ? 0 : 13;",
            "}",
            "");

    /**
     * In a fresh JVM (loading native libraries is for the life of a JVM): CudaLibraries.loadCublas() finds no
     * libcublas.so.12, loads the forwarding library, then JCublas2; JCublas2 calls go through the trampolines to
     * the stand-in cuBLAS 13, which checks every argument.
     */
    @Test
    void forwardsJcublas2CallsToCublas13(@TempDir Path dir) throws IOException, InterruptedException {
        shimOrSkip();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "no gcc to build a stand-in cuBLAS 13");
        Assumptions.assumeFalse(CudaAvailabilityTest.driverLibraryPresent() && systemHasCublas12(),
                "this machine has a real libcublas.so.12; the forwarding path is not taken");
        Path source = dir.resolve("fake13.c");
        Files.writeString(source, FAKE_CUBLAS13);
        Path fake = dir.resolve("libcublas.so.13");
        Process cc = new ProcessBuilder("/usr/bin/gcc", "-shared", "-fPIC", "-o", fake.toString(), source.toString())
                .redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), "gcc: " + ccOut);

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(childClassPath());
        cmd.add("-Djava.io.tmpdir=" + dir);
        cmd.add(CublasForwardingProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DENDRITE_CUBLAS", fake.toString());
        // No libcublas.so.12 may be found on the path, or JCublas2 loads it directly and nothing is forwarded: the
        // CPU emulation of native/emulator puts one there for the other tests.
        pb.environment().remove("LD_LIBRARY_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("route=libcublas.so.13 through the libcublas.so.12 forwarding library"), out);
        assertTrue(out.contains("version=130100"), out);
        assertTrue(out.contains("sgemm=ok"), out);
    }

    /**
     * The probe's class path: where its own classes, Dendrite's, JCuda's and the JCuda natives come from (this
     * JVM's java.class.path is not enough under launchers that load test classes in a class loader of their
     * own, such as JUnit's console launcher), then java.class.path.
     */
    private static String childClassPath() throws IOException {
        Set<String> entries = new java.util.LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {CublasForwardingProbe.class, CudaLibraries.class, jcuda.LibUtils.class,
            jcuda.jcublas.JCublas2.class}) {
            entries.add(location(c.getProtectionDomain().getCodeSource().getLocation()));
        }
        for (String resource : new String[] {CudaLibraries.CUBLAS12_RESOURCE,
            "/lib/libJCublas2-" + JCudaVersion.get() + "-linux-x86_64.so"}) {
            java.net.URL url = CublasForwardingLibraryTest.class.getResource(resource);
            if (url != null && "jar".equals(url.getProtocol())) {
                String file = url.getPath();
                entries.add(location(new java.net.URL(file.substring(0, file.indexOf("!/")))));
            }
        }
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static String location(java.net.URL url) {
        try {
            return Path.of(url.toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(url.toString(), e);
        }
    }

    private static boolean systemHasCublas12() {
        try {
            byte[] cache = Files.readAllBytes(Path.of("/etc/ld.so.cache"));
            return new String(cache, StandardCharsets.ISO_8859_1).contains("libcublas.so.12");
        } catch (IOException e) {
            return false;
        }
    }
}
