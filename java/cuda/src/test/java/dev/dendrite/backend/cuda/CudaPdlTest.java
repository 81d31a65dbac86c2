package dev.dendrite.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import jcuda.driver.CUdeviceptr;

/**
 * Programmatic dependent launch ({@link CudaLaunchEx}): a kernel may be placed while the one before it runs, so
 * every kernel must wait for that one before it touches memory. Without a GPU: that every kernel of the built PTX
 * does (a kernel that read first would race only on a GPU, and only sometimes), and that the JNI library loads and
 * packs arguments as the driver reads them. With a Hopper GPU: that launches are programmatic, that a chain of
 * read-modify-write kernels loses no update, and that training gives the same bits as without PDL.
 */
class CudaPdlTest {
    /** A memory access in PTX other than a parameter load: none may come before griddepcontrol.wait. */
    private static final Pattern MEMORY_ACCESS =
            Pattern.compile("\\b(?:ld|ldu|st|atom|red|tex|suld|sust|cp\\.async|prefetch|cp\\.reduce\\.async)"
                    + "\\.(?!param)[\\w.]*|\\bcall(?:\\.uni)?\\b");

    @Test
    void everyKernelWaitsForTheKernelBeforeItBeforeTouchingMemory() throws IOException {
        String ptx = new String(CudaKernelNamesTest.fatbinOrSkip(), StandardCharsets.ISO_8859_1);
        Matcher entry = Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(").matcher(ptx);
        List<String> wrong = new ArrayList<>();
        int kernels = 0;
        while (entry.find()) {
            kernels++;
            int open = ptx.indexOf('{', ptx.indexOf(')', entry.end()));
            String body = ptx.substring(open, ptx.indexOf("\n}", open));
            int wait = body.indexOf("griddepcontrol.wait;");
            if (wait < 0) {
                wrong.add(entry.group(1) + " (no griddepcontrol.wait)");
                continue;
            }
            Matcher early = MEMORY_ACCESS.matcher(body.substring(0, wait));
            if (early.find()) {
                wrong.add(entry.group(1) + " (" + early.group() + " before the wait)");
            }
            if (body.indexOf("griddepcontrol.launch_dependents;", wait) < 0) {
                wrong.add(entry.group(1) + " (no griddepcontrol.launch_dependents after the wait)");
            }
        }
        assertTrue(kernels >= CudaKernel.values().length, "PTX entries found: " + kernels);
        assertTrue(wrong.isEmpty(), "kernels that must begin with dendrite_pdl_begin() (kernels/cuda/common.cuh): "
                + wrong);
    }

    /** The library is built wherever gcc is (CI included); without it the backend runs without PDL. */
    private static void libraryOrSkip() {
        String problem = CudaLaunchEx.load();
        assumeTrue(problem == null || !problem.startsWith("this build has no"), problem);
        assertNull(problem, "libdendrite_launch.so is in this build but did not load");
    }

    @Test
    void argumentsArePackedAsTheDriverReadsThem() throws ReflectiveOperationException {
        libraryOrSkip();
        CUdeviceptr base = new CUdeviceptr();
        Field nativePointer = jcuda.NativePointerObject.class.getDeclaredField("nativePointer");
        nativePointer.setAccessible(true);
        nativePointer.setLong(base, 0x7f12_3456_7000L);
        assertEquals(0x7f12_3456_7000L, CudaLaunchEx.address(base));
        assertEquals(0x7f12_3456_7000L + 4 * 1000, CudaLaunchEx.address(base.withByteOffset(4 * 1000)),
                "a slice's address: the buffer's plus the byte offset");
        assertEquals(0L, CudaLaunchEx.address(null));
        long[] slots = CudaLaunchEx.slots(new Object[] {base.withByteOffset(8), null, -1, 1.5f, 7});
        assertArrayEquals(new long[] {0x7f12_3456_7008L, 0L, 0xFFFF_FFFFL, Float.floatToRawIntBits(1.5f), 7L},
                slots, "device addresses whole; an int's or a float's 4 bytes low, the high 4 zero");
    }

    @Test
    void whyPdlIsOffIsSaid() {
        libraryOrSkip();
        String key = "dendrite.cuda.pdl";
        assertEquals("turned off by -Ddendrite.cuda.pdl=false",
                CudaTestSupport.withProperties(() -> CudaLaunchEx.pdlProblem(9), key, "false"));
        assertEquals("needs compute capability 9.0 (Hopper) or newer",
                CudaTestSupport.withProperties(() -> CudaLaunchEx.pdlProblem(8), key, null));
        String driver = CudaLaunchEx.driverProblem();
        assertEquals(driver, CudaTestSupport.withProperties(() -> CudaLaunchEx.pdlProblem(9), key, null),
                "on a Hopper device only the driver can stand in the way");
        if (driver != null) {
            // launch.c: no libcuda.so.1, or a driver without one of the two calls it needs.
            assertTrue(driver.contains("libcuda.so.1") || driver.contains("cuLaunchKernelEx")
                    || driver.contains("cuGraphGetEdges_v2"), driver);
        }
    }

    // ================================================================== on a GPU

    /** cuBLAS pinned: two backends measuring the GEMM candidates could choose differently. */
    private static CudaBackend cudaOrSkip(boolean pdl) {
        return CudaTestSupport.backendOrSkip(CudaPdlTest.class, "dendrite.cuda.pdl", Boolean.toString(pdl),
                "dendrite.cuda.gemm", "cublas");
    }

    /** A backend launching with PDL, or skipped: pre-Hopper GPU, or PDL turned off for this run. */
    private static CudaBackend pdlOrSkip() {
        assumeFalse("false".equalsIgnoreCase(System.getProperty("dendrite.cuda.pdl")),
                "-Ddendrite.cuda.pdl=false for this run");
        CudaBackend cuda = cudaOrSkip(true);
        if (!cuda.programmaticDependentLaunch()) {
            String why = cuda.description();
            cuda.close();
            assumeTrue(why.matches(".*\\(sm_[0-8]\\d, .*"), "a Hopper or newer GPU launches with PDL: " + why);
            throw new AssertionError("a Hopper or newer GPU without PDL: " + why);
        }
        assertTrue(cuda.description().contains(", programmatic dependent launch"), cuda.description());
        return cuda;
    }

    /**
     * Eight counter advances in one graph: each kernel reads the counters the one before wrote. A kernel that read
     * before its predecessor had finished would lose an increment, so 25 replays must add exactly 200; and the
     * capture must have made the seven edges programmatic, or PDL was asked for and not given.
     */
    @Test
    void aChainOfReadModifyWriteKernelsLosesNoUpdate() {
        try (CudaBackend cuda = pdlOrSkip(); Buffer counters = cuda.allocate(DType.I32, 2)) {
            Slice c = counters.all();
            cuda.upload(new int[] {0, 0}, 0, c);
            try (CudaGraph g = CudaGraph.capture(cuda, () -> {
                for (int i = 0; i < 8; i++) {
                    cuda.advanceCounters(c);
                }
            })) {
                long[] nodesAndEdges = g.nodesAndEdges();
                assertEquals(8, nodesAndEdges[0], "nodes");
                assertEquals(7, nodesAndEdges[1], "edges");
                assertEquals(7, g.programmaticEdges(), "programmatic edges");
                for (int r = 0; r < 25; r++) {
                    g.launch();
                }
            }
            int[] got = new int[2];
            cuda.download(c, got, 0);
            assertArrayEquals(new int[] {200, 200}, got);
        }
    }

    /**
     * Eight weight decays of 2^24 parameters in place, in one graph, each halving every parameter exactly
     * ({@code fma(-p, 0.5, p)}): 8 kernels of some 20 us each over all multiprocessors, each reading what the one
     * before wrote. A kernel that read before its predecessor had finished would leave some element at 2^-7 of its
     * start or above, so after 3 replays every element must be exactly its start times 2^-24.
     */
    @Test
    void aChainOfLargeInPlaceKernelsReadsOnlyFinishedResults() {
        int n = 1 << 24;
        float[] start = new float[n];
        Random random = new Random(20261205L);
        for (int i = 0; i < n; i++) {
            start[i] = 1f + random.nextFloat(); // [1, 2): 2^-24 of it is still a normal float
        }
        try (CudaBackend cuda = pdlOrSkip();
             Buffer params = cuda.allocate(DType.F32, n);
             Buffer hyper = cuda.allocate(DType.F32, Backend.HYPER_LR + 1)) {
            cuda.upload(start, 0, params.all());
            float[] h = new float[Backend.HYPER_LR + 1];
            h[Backend.HYPER_LR] = 1f;
            cuda.upload(h, 0, hyper.all());
            try (CudaGraph g = CudaGraph.capture(cuda, () -> {
                for (int i = 0; i < 8; i++) {
                    cuda.weightDecay(params.all(), n, hyper.all(), 0.5f);
                }
            })) {
                assertEquals(7, g.programmaticEdges(), "programmatic edges");
                for (int r = 0; r < 3; r++) {
                    g.launch();
                }
            }
            float[] got = new float[n];
            cuda.download(params.all(), got, 0);
            int wrong = 0;
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (got[i] != start[i] * 0x1p-24f) {
                    wrong++;
                    first = first < 0 ? i : first;
                }
            }
            assertEquals(0, wrong, "elements not halved 24 times; the first at " + first
                    + (first < 0 ? "" : ": " + got[first] + " for " + start[first] * 0x1p-24f));
        }
    }

    private record Run(History history, List<float[]> weights) {
    }

    private static Run train(CudaBackend cuda, Dataset train, Preprocessing scale) {
        try (cuda;
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(256, "relu"),
                     new BatchNormalization(), new Dropout(0.2), new Dense(128, "relu"), new Dense(10, "softmax"))
                     .backend(cuda)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = m.fit(scale.apply(train.images()), train.labels(), new FitOptions().batchSize(64).epochs(2)
                    .verbose(0).validationSplit(0.1).seed(5));
            return new Run(h, m.getWeights());
        }
    }

    /**
     * Training with PDL gives exactly the bits training without it gives: the same kernels run on the same inputs
     * in the same order (PDL moves only when a kernel's blocks are placed), with cuBLAS pinned, so the tolerance is
     * zero. Graphs are on in both, so the step is recorded and replayed (about 80 replays).
     */
    @Test
    void trainingWithPdlGivesTheBitsOfTrainingWithout() throws IOException {
        Dataset train = FashionMnist.loadSample().train();
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        CudaBackend with = pdlOrSkip();
        Run pdl = train(with, train, scale);
        Run plain = train(cudaOrSkip(false), train, scale);
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(plain.history().get(key), pdl.history().get(key), key + " per epoch");
        }
        assertEquals(plain.weights().size(), pdl.weights().size());
        for (int i = 0; i < plain.weights().size(); i++) {
            assertArrayEquals(plain.weights().get(i), pdl.weights().get(i), "weight array " + i);
        }
        assertNotNull(pdl.history().get("accuracy"));
        assertTrue(pdl.history().get("accuracy").get(1) > 0.7, "learns: " + pdl.history().get("accuracy"));
    }
}
