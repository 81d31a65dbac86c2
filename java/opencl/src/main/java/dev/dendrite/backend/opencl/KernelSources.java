package dev.dendrite.backend.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the OpenCL C sources from the classpath and expands their {@code #include "..."} lines.
 *
 * <p>The kernels in {@code kernels/opencl} include the math they share with the CUDA kernels from
 * {@code kernels/common}. Drivers resolve include paths differently (or not at all for sources given as
 * strings), so the backend hands them a single self-contained source: every quoted include is resolved
 * relative to the including file, inserted, and followed by a {@code #line} directive so that the compiler's
 * messages still name the right file and line. A header with an include guard (its first directives
 * {@code #ifndef X} and {@code #define X}) is inserted once and later includes of it are dropped, which changes
 * nothing but the size; a header without one is inserted at every include, as the C preprocessor does, because
 * it is meant to be: {@code gemm_tiled.h} is included once per GEMM variant, with different macros defined.
 * System includes ({@code #include <...>}) are left for the compiler: the
 * common headers only use them in their host-C branch, which an OpenCL compiler skips.
 */
final class KernelSources {
    /** Where the build puts {@code kernels/opencl} (and {@code kernels/common} beside it) on the classpath. */
    static final String ROOT = "dev/dendrite/kernels/opencl/";

    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s*(.*?)\\s*$");
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"(\\s*(//.*|/\\*.*)?)?");
    /** An include guard: the first two directives of a file, after its leading comments. */
    private static final Pattern GUARD = Pattern.compile(
            "\\A(?:\\s|/\\*(?s:.*?)\\*/|//[^\\n]*)*#\\s*ifndef\\s+(\\w+)\\s*\\n\\s*#\\s*define\\s+\\1\\b");

    private KernelSources() {
    }

    /**
     * The source of {@code file} (for example {@code "gemm.cl"}) with every include expanded.
     *
     * @throws IllegalStateException when the file or one of its includes is missing, naming both, or when an
     *                               include is not a quoted relative path
     */
    static String load(String file) {
        StringBuilder out = new StringBuilder(16384);
        expand(ROOT + file, out, new HashSet<>(), new ArrayDeque<>());
        return out.toString();
    }

    private static void expand(String path, StringBuilder out, Set<String> done, Deque<String> stack) {
        if (stack.contains(path)) {
            throw new IllegalStateException("kernel source " + stack.peek() + " includes " + path
                    + ", which includes it back: include cycle " + stack);
        }
        String text = read(path, stack.peek());
        if (GUARD.matcher(text).find()) {
            done.add(path);
        }
        stack.push(path);
        String shortName = path.startsWith("dev/dendrite/kernels/")
                ? path.substring("dev/dendrite/kernels/".length()) : path;
        out.append("#line 1 \"").append(shortName).append("\"\n");
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher m = INCLUDE.matcher(line);
            if (!m.matches()) {
                out.append(line).append('\n');
                continue;
            }
            if (m.group(1).startsWith("<")) {
                out.append(line).append('\n');
                continue;
            }
            Matcher q = QUOTED.matcher(m.group(1));
            if (!q.matches()) {
                throw new IllegalStateException(shortName + ":" + (i + 1) + ": unsupported include '" + line.trim()
                        + "'; expected #include \"relative/path.h\" or #include <system.h>");
            }
            String target = resolve(path, q.group(1));
            if (!done.contains(target)) {
                expand(target, out, done, stack);
                out.append("#line ").append(i + 2).append(" \"").append(shortName).append("\"\n");
            } else {
                out.append('\n'); // keeps the line count of this file
            }
        }
        stack.pop();
    }

    /** {@code relative} resolved against the directory of {@code from}, with {@code .} and {@code ..} removed. */
    static String resolve(String from, String relative) {
        Deque<String> parts = new ArrayDeque<>();
        String dir = from.substring(0, from.lastIndexOf('/') + 1);
        for (String p : (dir + relative).split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (parts.isEmpty()) {
                    throw new IllegalStateException("include \"" + relative + "\" in " + from
                            + " leaves the classpath root");
                }
                parts.removeLast();
            } else {
                parts.addLast(p);
            }
        }
        return String.join("/", parts);
    }

    private static String read(String path, String includedFrom) {
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + path + " is not on the classpath"
                        + (includedFrom == null ? "" : " (included from " + includedFrom + ")")
                        + "; expected the build to copy kernels/ into the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read kernel source " + path, e);
        }
    }
}
