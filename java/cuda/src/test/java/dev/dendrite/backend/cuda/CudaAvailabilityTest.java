package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Where there is no CUDA driver (every CI machine), asking for CUDA fails at once with one clear sentence, and
 * {@link Backends#auto()} falls through to the next backend. On a GPU machine the same tests check the
 * opposite: the backend starts and auto() picks it.
 */
class CudaAvailabilityTest {

    /** Whether libcuda.so.1 is anywhere the dynamic loader would look (its cache or LD_LIBRARY_PATH). */
    static boolean driverLibraryPresent() {
        List<Path> dirs = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String d : new String[] {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
            "/usr/lib", "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64"}) {
            dirs.add(Path.of(d));
        }
        for (Path d : dirs) {
            if (Files.exists(d.resolve("libcuda.so.1"))) {
                return true;
            }
        }
        try {
            byte[] cache = Files.readAllBytes(Path.of("/etc/ld.so.cache"));
            return new String(cache, StandardCharsets.ISO_8859_1).contains("libcuda.so.1");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void withoutADriverCreateFailsFastSayingWhy() {
        Assumptions.assumeFalse(driverLibraryPresent(), "libcuda.so.1 is present: this test is for machines without");
        for (int attempt = 0; attempt < 2; attempt++) {
            long start = System.nanoTime();
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Backends.create("cuda"));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(e.getMessage().startsWith("CUDA is unavailable: no CUDA driver (libcuda.so.1) found"),
                    e.getMessage());
            assertTrue(seconds < 10, "took " + seconds + " s");
        }
        // The constructor itself, as Backends reaches it by reflection, says the same.
        UnsupportedOperationException direct = assertThrows(UnsupportedOperationException.class, CudaBackend::new);
        assertTrue(direct.getMessage().startsWith("CUDA is unavailable: no CUDA driver (libcuda.so.1) found"),
                direct.getMessage());
    }

    @Test
    void withoutADriverAutoFallsThroughAndProbeSaysWhy() {
        Assumptions.assumeFalse(driverLibraryPresent(), "libcuda.so.1 is present: this test is for machines without");
        Assumptions.assumeTrue(Backends.forcedName() == null, "a backend is forced by dendrite.backend/DENDRITE_BACKEND");
        try (Backend b = Backends.auto()) {
            assertNotEquals("cuda", b.name());
        }
        Backends.Probe cuda = Backends.probe().stream().filter(p -> p.name().equals("cuda")).findFirst()
                .orElseThrow();
        assertEquals(false, cuda.available());
        assertTrue(cuda.detail().startsWith("CUDA is unavailable: no CUDA driver (libcuda.so.1) found"),
                cuda.detail());
    }

    @Test
    void withAGpuAutoPicksCuda() {
        Assumptions.assumeTrue(driverLibraryPresent(), "no libcuda.so.1 here");
        Backend b;
        try {
            b = Backends.create("cuda");
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("a driver but no usable GPU: " + e.getMessage());
            return;
        }
        try (b) {
            assertEquals("cuda", b.name());
            assertTrue(b.description().startsWith("cuda: "), b.description());
        }
        if (Backends.forcedName() == null) {
            try (Backend auto = Backends.auto()) {
                assertEquals("cuda", auto.name());
            }
        }
    }
}
