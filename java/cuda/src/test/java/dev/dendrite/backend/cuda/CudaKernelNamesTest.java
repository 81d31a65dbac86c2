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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.dendrite.backend.GemmVariant;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Static checks that the Java side and the CUDA kernels agree, with no GPU: every {@link CudaKernel} exists in
 * every image of the built {@code dendrite_kernels.fatbin} (SASS for sm_75, sm_80, sm_86, sm_89, sm_90, and the
 * compute_90 PTX), no kernel is left unused, and each constant's parameter signature matches the kernel's
 * declaration in {@code kernels/cuda/*.cu}.
 *
 * <p>Without nvcc at build time there is no fatbin and the fatbin checks are skipped, saying so; on CI
 * ({@code CI=true}) with nvcc at /usr/local/cuda/bin/nvcc a missing fatbin is a failure.
 */
class CudaKernelNamesTest {
    private static final int[] SASS_ARCHES = {75, 80, 86, 89, 90};

    static byte[] fatbinOrSkip() throws IOException {
        try (InputStream in = CudaKernelNamesTest.class.getResourceAsStream(CudaKernel.FATBIN_RESOURCE)) {
            if (in != null) {
                return in.readAllBytes();
            }
        }
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (ci && Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))) {
            fail("CI=true and /usr/local/cuda/bin/nvcc exists, but the build produced no " + CudaKernel.FATBIN_RESOURCE
                    + " (the cuda-kernels Maven profile should have run kernels/cuda/build.sh)");
        }
        Assumptions.abort("no " + CudaKernel.FATBIN_RESOURCE + " on the class path: nvcc was not found at build "
                + "time, so the CUDA kernels were not built");
        return null;
    }

    private static Set<String> javaNames() {
        return Stream.of(CudaKernel.values()).map(CudaKernel::symbol).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void everyLaunchedKernelIsInEverySassImage() throws IOException {
        byte[] fatbin = fatbinOrSkip();
        Map<Integer, Set<String>> byArch = new TreeMap<>();
        for (int offset : Elf.imageOffsets(fatbin)) {
            Elf elf = new Elf(fatbin, offset);
            if (elf.machine != Elf.EM_CUDA) {
                continue;
            }
            byArch.computeIfAbsent(elf.cudaSm(), k -> new TreeSet<>()).addAll(elf.globalFunctions());
        }
        for (int arch : SASS_ARCHES) {
            assertTrue(byArch.containsKey(arch), "no sm_" + arch + " image in the fatbin; found " + byArch.keySet()
                    + " (is it compressed? kernels/cuda/build.sh passes --no-compress)");
            Set<String> missing = new TreeSet<>(javaNames());
            missing.removeAll(byArch.get(arch));
            assertTrue(missing.isEmpty(), "sm_" + arch + " image lacks kernels the Java side launches: " + missing);
            Set<String> unused = new TreeSet<>(byArch.get(arch));
            unused.removeAll(javaNames());
            assertTrue(unused.isEmpty(), "sm_" + arch + " image has kernels no CudaKernel constant names: " + unused);
        }
    }

    @Test
    void everyLaunchedKernelIsInThePtx() throws IOException {
        byte[] fatbin = fatbinOrSkip();
        String text = new String(fatbin, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains(".target sm_90"), "no compute_90 PTX in the fatbin");
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(").matcher(text);
        while (m.find()) {
            entries.add(m.group(1));
        }
        assertEquals(javaNames(), entries, "PTX entry points vs CudaKernel names");
    }

    /** Kernel declarations: {@code DENDRITE_KERNEL void [__launch_bounds__(...)] name(params) {}}. */
    private static final Pattern DECLARATION = Pattern.compile(
            "DENDRITE_KERNEL\\s+void\\s+(?:__launch_bounds__\\((?:[^()]|\\([^()]*\\))*\\)\\s+)?"
            + "([A-Za-z_][A-Za-z0-9_]*)\\s*\\(([^)]*)\\)");
    /** A function-like macro definition, continuation lines already joined: name, parameters, body. */
    private static final Pattern MACRO = Pattern.compile(
            "(?m)^\\s*#\\s*define\\s+([A-Za-z_][A-Za-z0-9_]*)\\(([^)]*)\\)(.*)$");

    /**
     * The kernels declared in a .cu source: plain declarations, and those of kernel-defining macros (gemm.cu's
     * {@code GEMM_KERNEL(NAME, V, TA, TB)}, whose body declares {@code DENDRITE_KERNEL void ... NAME(params)}):
     * every invocation of such a macro at the start of a line declares the kernel its NAME argument names.
     */
    static Map<String, String> declaredKernels(String source) {
        String src = stripComments(source).replace("\\\n", " ");
        Map<String, String> declared = new TreeMap<>();
        Map<String, Object[]> kernelMacros = new TreeMap<>(); // name -> {parameter index of NAME, signature}
        Matcher def = MACRO.matcher(src);
        while (def.find()) {
            List<String> params = List.of(def.group(2).split("\\s*,\\s*"));
            Matcher d = DECLARATION.matcher(def.group(3));
            if (d.find() && params.contains(d.group(1))) {
                kernelMacros.put(def.group(1), new Object[] {params.indexOf(d.group(1)), signature(d.group(2))});
            }
        }
        String plain = MACRO.matcher(src).replaceAll("");
        Matcher m = DECLARATION.matcher(plain);
        while (m.find()) {
            String previous = declared.put(m.group(1), signature(m.group(2)));
            assertEquals(null, previous, "kernel " + m.group(1) + " declared twice");
        }
        for (Map.Entry<String, Object[]> macro : kernelMacros.entrySet()) {
            Matcher use = Pattern.compile("(?m)^\\s*" + macro.getKey() + "\\(([^)]*)\\)").matcher(plain);
            while (use.find()) {
                String name = use.group(1).split("\\s*,\\s*")[(Integer) macro.getValue()[0]].trim();
                String previous = declared.put(name, (String) macro.getValue()[1]);
                assertEquals(null, previous, "kernel " + name + " declared twice");
            }
        }
        return declared;
    }

    @Test
    void kernelDefiningMacrosAreExpanded() {
        String src = "#define K(NAME, V) \\\n DENDRITE_KERNEL void __launch_bounds__(T(V)) \\\n"
                + " NAME(int m, const float *a, float x) { body(V); }\n"
                + "K(first_kernel, one)\nK(second_kernel, two)\n"
                + "DENDRITE_KERNEL void plain(int n) {}\n";
        Map<String, String> declared = declaredKernels(src);
        assertEquals(Map.of("first_kernel", "IPF", "second_kernel", "IPF", "plain", "I"), declared);
    }

    @Test
    void signaturesMatchTheKernelSources() throws IOException {
        Path dir = kernelSources();
        Map<String, String> declared = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".cu")).sorted().collect(Collectors.toList());
        }
        assertTrue(files.size() >= 7, "expected the kernel families in " + dir + ", found " + files);
        for (Path f : files) {
            for (Map.Entry<String, String> e : declaredKernels(Files.readString(f)).entrySet()) {
                String previous = declared.put(e.getKey(), e.getValue());
                assertEquals(null, previous, "kernel " + e.getKey() + " declared twice");
            }
        }
        List<String> problems = new ArrayList<>();
        for (CudaKernel k : CudaKernel.values()) {
            String sig = declared.remove(k.symbol());
            if (sig == null) {
                problems.add(k + ": no kernel '" + k.symbol() + "' declared in " + dir);
            } else if (!sig.equals(k.signature())) {
                problems.add(k + ": Java signature " + k.signature() + " but the kernel declares " + sig);
            }
        }
        for (String orphan : declared.keySet()) {
            problems.add("kernel '" + orphan + "' has no CudaKernel constant");
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** Every tiled GEMM kernel is what {@link CudaKernel#gemm} returns for exactly one variant and transposition. */
    @Test
    void everyTiledGemmKernelIsOneVariantAndTransposition() {
        Set<CudaKernel> reached = new TreeSet<>();
        for (GemmVariant v : GemmVariant.values()) {
            if (v.transposesAsArguments()) {
                continue;
            }
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    CudaKernel k = CudaKernel.gemm(v, ta, tb);
                    assertEquals(v.kernelName(ta, tb), k.symbol());
                    assertTrue(reached.add(k), k + " reached twice");
                }
            }
        }
        assertEquals(tiledGemmKernels(), reached);
        assertEquals(CudaKernel.GEMM_SIMPLE, CudaKernel.gemm(GemmVariant.SIMPLE, true, false));
        assertEquals(CudaKernel.GEMM_ROWS, CudaKernel.gemm(GemmVariant.ROWS, false, true));
    }

    /** The kernels CudaBackend launches through {@code CudaKernel.gemm(...)}: gemm_VARIANT_TATB. */
    private static Set<CudaKernel> tiledGemmKernels() {
        return Stream.of(CudaKernel.values()).filter(k -> k.symbol().matches("gemm_[a-z0-9]+_[nt][nt]"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Every {@code launch(CudaKernel.X, grid, blockX, blockY, shared, args...)} in the CUDA backend's sources
     * (CudaBackend.java, CudaContext.java and the Cuda*Ops.java families, read as one text), and every launch through
     * CudaContext's helpers {@code launchMatrix(op, rows, cols, CudaKernel.X, grid, blockX, blockY, args...)},
     * {@code launchElements(op, n, CudaKernel.X, grid, args...)} and {@code launchItems(op, context, n, CudaKernel.X,
     * grid, args...)}, passes as many arguments
     * as X's signature has, each of the right kind (inferred from the declared Java types of the names in the
     * expression): the launches only run on a GPU, so this is their static check.
     */
    @Test
    void launchSitesMatchTheSignatures() throws IOException {
        Path dir = kernelSources().getParent().getParent()
                .resolve("java/cuda/src/main/java/dev/dendrite/backend/cuda");
        StringBuilder all = new StringBuilder();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("Cuda(Backend|Context|\\w+Ops)\\.java"))
                    .sorted().collect(Collectors.toList())) {
                all.append(Files.readString(p)).append('\n');
            }
        }
        String src = stripComments(all.toString());
        Map<String, Set<Character>> kinds = new TreeMap<>();
        Matcher decl = Pattern.compile("\\b(CUdeviceptr|float|int|long|boolean)\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*[=,;)]")
                .matcher(src);
        while (decl.find()) {
            char kind = decl.group(1).equals("CUdeviceptr") ? 'P' : decl.group(1).equals("float") ? 'F' : 'I';
            kinds.computeIfAbsent(decl.group(2), k -> new TreeSet<>()).add(kind);
        }
        List<String> problems = new ArrayList<>();
        int checked = 0;
        // launch(kernel, grid, blockX, blockY, shared, args...) and launchGrid(kernel, gridX, gridY, gridZ, blockX,
        // blockY, args...), the latter for the tiled GEMM kernels looked up by CudaKernel.gemm into 'tiled'; the
        // helpers launchMatrix(op, rows, cols, kernel, grid, blockX, blockY, args...), launchElements(op, n,
        // kernel, grid, args...) and launchItems(op, context, n, kernel, grid, args...). Their declarations (whose
        // kernel is not one of these names) are passed over.
        Map<String, int[]> shapes = Map.of("launch", new int[] {0, 5}, "launchGrid", new int[] {0, 6},
                "launchMatrix", new int[] {3, 7}, "launchElements", new int[] {2, 4},
                "launchItems", new int[] {3, 5}); // kernel index, first argument
        Matcher call = Pattern.compile("\\b(launch|launchGrid|launchMatrix|launchElements|launchItems)\\(")
                .matcher(src);
        while (call.find()) {
            List<String> args = topLevelArguments(src, call.start() + call.group(1).length());
            int[] shape = shapes.get(call.group(1));
            String first = args.size() > shape[0] ? args.get(shape[0]) : "";
            String before = src.substring(0, call.start());
            String choice = first.matches("[a-z][A-Za-z0-9]*") ? kernelChoice(before, first) : null;
            if (!first.matches("CudaKernel\\.[A-Z_0-9]+|tiled") && choice == null) {
                continue;
            }
            List<CudaKernel> kernels = new ArrayList<>();
            if (first.startsWith("CudaKernel.")) {
                kernels.add(CudaKernel.valueOf(first.substring("CudaKernel.".length())));
            } else if (first.equals("tiled")) {
                kernels.addAll(tiledGemmKernels());
            } else if (choice.contains("GATHER_I32")) {
                // gather's launch through a variable: "if (kernel == CudaKernel.GATHER_I32) { launch(...) }
                // else { launch(...) }", the float kernels sharing the second call.
                boolean i32 = before.lastIndexOf("GATHER_I32) {") > before.lastIndexOf("} else {");
                kernels.addAll(i32 ? List.of(CudaKernel.GATHER_I32) : List.of(CudaKernel.GATHER_F32, CudaKernel.GATHER_U8));
            } else {
                // A launch through a variable chosen just before ("CudaKernel k = c ? CudaKernel.A : CudaKernel.B;"):
                // every kernel the choice names.
                Matcher m = Pattern.compile("CudaKernel\\.([A-Z_0-9]+)").matcher(choice);
                while (m.find()) {
                    kernels.add(CudaKernel.valueOf(m.group(1)));
                }
            }
            List<String> kernelArgs = args.subList(shape[1], args.size());
            for (CudaKernel k : kernels) {
                checked++;
                String sig = k.signature();
                if (kernelArgs.size() != sig.length()) {
                    problems.add(k + ": " + kernelArgs.size() + " arguments " + kernelArgs + " for signature " + sig);
                    continue;
                }
                for (int i = 0; i < sig.length(); i++) {
                    char kind = kindOf(kernelArgs.get(i), kinds);
                    if (kind != sig.charAt(i)) {
                        problems.add(k + ": argument " + i + " '" + kernelArgs.get(i) + "' looks like " + kind
                                + ", the signature " + sig + " wants " + sig.charAt(i));
                    }
                }
            }
        }
        assertTrue(checked >= CudaKernel.values().length, "only " + checked + " launch sites found");
        Set<CudaKernel> launched = new TreeSet<>();
        Matcher named = Pattern.compile("CudaKernel\\.([A-Z_0-9]+)").matcher(src);
        while (named.find()) {
            launched.add(CudaKernel.valueOf(named.group(1)));
        }
        if (src.contains("CudaKernel.gemm(")) {
            launched.addAll(tiledGemmKernels());
        }
        assertEquals(Set.of(CudaKernel.values()), launched, "kernels CudaBackend never names");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * The expression of the last {@code CudaKernel name = ...;} in {@code before}, or null when there is none (then
     * {@code name} is not a kernel variable).
     */
    private static String kernelChoice(String before, String name) {
        int at = before.lastIndexOf("CudaKernel " + name + " = ");
        return at < 0 ? null : before.substring(at, before.indexOf(';', at));
    }

    /** The kind of a launch argument expression: P, I or F ('?' when it cannot tell). */
    private static char kindOf(String expr, Map<String, Set<Character>> kinds) {
        String e = expr.trim();
        if (e.equals("null") || e.matches("ptr\\(\\w+\\)")) { // CudaContext.ptr(Slice): a CUdeviceptr
            return 'P';
        }
        if (e.startsWith("(int)") || e.startsWith("activationCode(") || e.equals("Philox.PERMUTATION_STREAM")
                || e.matches("\\w+\\s*\\?\\s*1\\s*:\\s*0")) {
            return 'I';
        }
        if (e.matches(".*\\b\\d+(\\.\\d+)?f\\b.*")) {
            return 'F';
        }
        Set<Character> seen = new TreeSet<>();
        Matcher id = Pattern.compile("\\b[A-Za-z_][A-Za-z0-9_]*\\b").matcher(e);
        while (id.find()) {
            Set<Character> k = kinds.get(id.group());
            if (k != null) {
                seen.addAll(k);
            }
        }
        if (seen.contains('P')) {
            return seen.size() == 1 ? 'P' : '?';
        }
        if (seen.contains('F')) {
            return 'F';
        }
        return seen.equals(Set.of('I')) ? 'I' : '?';
    }

    /** The comma-separated arguments of the call whose '(' is at {@code open}. */
    private static List<String> topLevelArguments(String src, int open) {
        List<String> args = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (int i = open; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '(') {
                depth++;
                if (depth == 1) {
                    continue;
                }
            } else if (c == ')') {
                depth--;
                if (depth == 0) {
                    args.add(cur.toString().trim());
                    return args;
                }
            } else if (c == ',' && depth == 1) {
                args.add(cur.toString().trim());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        throw new IllegalStateException("unbalanced call at " + open);
    }

    /** P for a pointer, I for a 32-bit integer, F for a float, one letter per parameter. */
    private static String signature(String params) {
        StringBuilder sig = new StringBuilder();
        for (String p : params.split(",")) {
            String t = p.trim().replaceAll("\\s+", " ");
            if (t.isEmpty()) {
                continue;
            }
            String type = t.substring(0, t.lastIndexOf(' ') < 0 ? t.length() : t.lastIndexOf(' ')).trim();
            if (t.contains("*")) {
                sig.append('P');
            } else if (type.equals("float")) {
                sig.append('F');
            } else if (type.equals("int") || type.equals("unsigned int")) {
                sig.append('I');
            } else {
                sig.append('?').append(type).append('?');
            }
        }
        return sig.toString();
    }

    private static String stripComments(String src) {
        return src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }

    /** kernels/cuda of this checkout, from the module directory Maven runs the tests in. */
    static Path kernelSources() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path k = p.resolve("kernels").resolve("cuda");
            if (Files.isDirectory(k)) {
                return k;
            }
        }
        throw new IllegalStateException("kernels/cuda not found above " + here);
    }
}
