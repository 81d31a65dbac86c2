package dev.dendrite.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backend's per-shape choice among its ways of computing a GEMM (its {@link GemmVariant}s, and on CUDA cuBLAS
 * too), measured the first time a shape ({@code transA, transB, m, n, k}) is tuned and remembered for the life of
 * the backend. Training repeats the same few shapes thousands of times, so a few extra calls once per shape buy
 * the fastest kernel for all the others. The same procedure serves both GPU backends; only how a batch of calls is
 * timed differs (OpenCL: finish and wall clock; CUDA: events around the batch replayed as a graph, as training
 * runs it), so each passes a {@link Timer}.
 *
 * <p>With {@code -Ddendrite.gemm.verbose=true} every measurement prints one line on standard error: the shape,
 * each candidate's time per call and the choice. {@code -Ddendrite.gemm.choices=FILE} reads such lines back (any
 * other line in the file is skipped): the shapes they name take the recorded choice without being timed. That is
 * how a profiler, whose serialised replays would distort the timing, sees the kernels a normal run chooses.
 *
 * <p>Not thread-safe: like the backend that owns it, it is driven by one thread.
 *
 * @param <I> how a backend names one way of computing a product
 */
public final class GemmTuner<I> {
    /** Whether each measurement is printed ({@code -Ddendrite.gemm.verbose=true}). */
    public static final boolean VERBOSE = Boolean.getBoolean("dendrite.gemm.verbose");

    /**
     * Calls of one candidate per timed batch aim at this much device time, so that a batch of microsecond kernels
     * is not dominated by the host's wait; capped at {@link #MAX_CALLS}.
     */
    private static final double BATCH_SECONDS = 0.5e-3;
    private static final int MAX_CALLS = 32;
    private static final int BATCHES = 3;
    /** A candidate whose single call already takes this long is not timed again: batches would add nothing. */
    private static final double LONG_CALL_SECONDS = 2e-3;

    /** Times {@code calls} back-to-back calls of {@code candidate}, from an idle device until they are done. */
    @FunctionalInterface
    public interface Timer<I> {
        double seconds(I candidate, int calls);
    }

    private record Shape(boolean transA, boolean transB, int m, int n, int k) {
    }

    /** One verbose line: the backend, the shape and, after the last arrow, the choice. */
    private static final Pattern CHOICE_LINE = Pattern.compile(
            "dendrite gemm \\((\\w+)\\): (A\\^T|A)\\*(B\\^T|B) m=(\\d+) n=(\\d+) k=(\\d+): .* -> (\\S+)\\s*$");

    private final String backend;
    private final Map<Shape, I> choices = new HashMap<>();

    /** A tuner for the backend named {@code backend} (in the verbose lines) that times every shape. */
    public GemmTuner(String backend) {
        this.backend = backend;
    }

    /**
     * A tuner for the backend named {@code backend}, which takes the choices that {@code -Ddendrite.gemm.choices}
     * names for it, each turned into the backend's own name by {@code names}.
     *
     * @throws IllegalArgumentException when the file cannot be read or names a choice {@code names} rejects
     */
    public GemmTuner(String backend, Function<String, I> names) {
        this(backend);
        String file = System.getProperty("dendrite.gemm.choices");
        if (file != null && !file.isBlank()) {
            load(Path.of(file), names);
        }
    }

    /**
     * Takes the choices of {@code file}'s verbose lines for this backend (see the class comment); returns how
     * many. Other backends' lines and lines of any other kind are skipped.
     *
     * @throws IllegalArgumentException when the file cannot be read, or a choice is not one {@code names} knows
     */
    public int load(Path file, Function<String, I> names) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("-Ddendrite.gemm.choices=" + file + " cannot be read (" + e
                    + "); expected a file of 'dendrite gemm' lines from -Ddendrite.gemm.verbose=true", e);
        }
        int taken = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = CHOICE_LINE.matcher(lines.get(i));
            if (!m.find() || !m.group(1).equals(backend)) {
                continue;
            }
            I choice;
            try {
                choice = names.apply(m.group(7));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": '" + m.group(7) + "' is not a GEMM"
                        + " path of the " + backend + " backend (" + e.getMessage() + ")", e);
            }
            remember(m.group(2).length() > 1, m.group(3).length() > 1, Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), choice);
            taken++;
        }
        return taken;
    }

    /** The remembered choice for the shape, or null when it has not been tuned. */
    public I choice(boolean transA, boolean transB, int m, int n, int k) {
        return choices.get(new Shape(transA, transB, m, n, k));
    }

    /** Remembers {@code choice} for the shape without timing (a backend's rule-based choice). */
    public void remember(boolean transA, boolean transB, int m, int n, int k, I choice) {
        choices.put(new Shape(transA, transB, m, n, k), choice);
    }

    /**
     * Times every candidate on the shape and remembers the fastest (the first of equals, so the order of
     * {@code candidates} breaks ties). Per candidate: one call to warm up (kernel compilation, first-launch
     * costs), one timed call, then, unless that took over 2 ms, {@value #BATCHES} batches of up to
     * {@value #MAX_CALLS} calls; its time is the fastest per-call figure. The timer's failures propagate.
     *
     * @throws IllegalArgumentException when there are no candidates
     */
    public I tune(boolean transA, boolean transB, int m, int n, int k, List<I> candidates, Timer<I> timer) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no GEMM candidates to tune m=" + m + " n=" + n + " k=" + k);
        }
        I best = null;
        double bestSeconds = Double.POSITIVE_INFINITY;
        List<String> report = new ArrayList<>();
        for (I c : candidates) {
            timer.seconds(c, 1);
            double perCall = timer.seconds(c, 1);
            if (perCall < LONG_CALL_SECONDS) {
                int calls = (int) Math.max(1, Math.min(MAX_CALLS, Math.ceil(BATCH_SECONDS / Math.max(perCall, 1e-9))));
                for (int b = 0; b < BATCHES; b++) {
                    perCall = Math.min(perCall, timer.seconds(c, calls) / calls);
                }
            }
            report.add(String.format(Locale.ROOT, "%s %.1f us", c, perCall * 1e6));
            if (perCall < bestSeconds) {
                bestSeconds = perCall;
                best = c;
            }
        }
        choices.put(new Shape(transA, transB, m, n, k), best);
        if (VERBOSE) {
            System.err.println("dendrite gemm (" + backend + "): " + describe(transA, transB, m, n, k) + ": "
                    + String.join(", ", report) + " -> " + best);
        }
        return best;
    }

    /** {@code "A^T*B m=.. n=.. k=.."}, for messages. */
    public static String describe(boolean transA, boolean transB, int m, int n, int k) {
        return (transA ? "A^T" : "A") + "*" + (transB ? "B^T" : "B") + " m=" + m + " n=" + n + " k=" + k;
    }
}
