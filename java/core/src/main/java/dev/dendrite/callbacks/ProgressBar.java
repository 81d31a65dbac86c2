package dev.dendrite.callbacks;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

import dev.dendrite.backend.cpu.CpuGemm;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * Prints training progress the way Keras's {@code ProgbarLogger} does ({@code fit}'s {@code verbose}), and the
 * progress of {@code evaluate} and {@code predict} given {@code verbose} (see {@link #onTestBegin}); inside
 * {@code fit}, the validation pass draws nothing of its own, as in Keras.
 *
 * <p><b>verbose 1, terminal:</b> an {@code Epoch 3/10} line (only when training for more than one epoch, as
 * Keras), then a bar redrawn in place with {@code '\r'}:
 * <pre>
 * 312/391 [======================&gt;.......] - ETA: 3s - loss: 0.5121 - accuracy: 0.8203
 * </pre>
 * finished at the end of the epoch as
 * <pre>
 * 391/391 [==============================] - 4s 10ms/step - loss: 0.4983 - accuracy: 0.8251 - val_loss: 0.4312 - val_accuracy: 0.8460
 * </pre>
 * The bar is redrawn at most every 100 ms ({@link #REFRESH_MILLIS}), and the batch logs are read only for a
 * redraw: reading the running metrics waits for the device, which would otherwise slow every step down.
 *
 * <p>In a terminal a line is kept narrower than the terminal ({@code $COLUMNS}, else 120 columns, less one so that
 * the cursor never reaches the last column, where some terminals wrap): when the metrics would not fit, the bar
 * is drawn narrower (down to {@value #MIN_BAR_WIDTH} cells), and stays so for the rest of training. The end of an
 * epoch of 469 steps with loss, accuracy, val_loss and val_accuracy is 131 characters with the full bar; Keras 3,
 * with a 20-cell bar and no brackets, fits in 120.
 *
 * <p><b>verbose 1, not a terminal</b> (a log file, CI, an IDE console): no {@code '\r'} redraws, which
 * would fill a file with partial lines; only the {@code Epoch} line and the final line of each epoch. Batch
 * logs are never read.
 *
 * <p><b>verbose 2:</b> one line per epoch, {@code Epoch 1/10 - 4s - loss: 0.4983 - ... - val_accuracy:
 * 0.8460}. <b>verbose 0</b> prints nothing.
 *
 * <p>Numbers as Keras: metrics with 4 decimals ({@code %.4e} when their magnitude is at most 1e-3, so that
 * a tiny loss does not print as 0.0000); the epoch's elapsed time in whole seconds, including validation;
 * time per step in s, ms or us, not counting the first step, which includes warm-up. The bar is 30 wide.
 * The ETA is the time per step times the steps left, shown as {@code 7s}, {@code 2:05} or
 * {@code 1:02:05}. {@code learning_rate} and {@code epoch_time_s} are left out of the lines, as in Keras 3:
 * they are bookkeeping rather than metrics, and they remain in the {@code History}. Decimal points are
 * always '.', whatever the default locale.
 */
public final class ProgressBar extends Callback {
    /** The shortest time between two redraws of the interactive bar. */
    public static final long REFRESH_MILLIS = 100;
    private static final long REFRESH_NANOS = REFRESH_MILLIS * 1_000_000L;
    private static final int BAR_WIDTH = 30;
    /** The narrowest bar drawn to make a line fit the terminal. */
    public static final int MIN_BAR_WIDTH = 10;
    /** The terminal width assumed when {@code $COLUMNS} does not say: the common 120-column window. */
    public static final int DEFAULT_COLUMNS = 120;

    private final int verbose;
    private final int epochs;
    private final int steps;
    private final PrintStream out;
    private final boolean interactive;
    private LongSupplier clock = System::nanoTime;
    private int columns = terminalColumns();
    private int barWidth = BAR_WIDTH;

    private boolean epochStarted;
    private long epochStart;
    private long firstStepEnd;
    private boolean firstStepSeen;
    private int seen;
    private boolean drawn;
    private long lastDraw;
    private int drawnWidth;
    /** Between {@code onTrainBegin} and {@code onTrainEnd}: the validation pass's hooks draw nothing, as Keras's. */
    private boolean inFit;

    /**
     * @param verbose 0 silent, 1 progress bar, 2 one line per epoch
     * @param epochs the number of epochs {@code fit} runs to (the {@code 10} of {@code Epoch 3/10})
     * @param stepsPerEpoch batches per epoch
     * @param out where to print
     * @param interactive true if {@code out} is a terminal that honours {@code '\r'}
     * @throws IllegalArgumentException for a verbose other than 0, 1, 2, negative epochs or no steps
     */
    public ProgressBar(int verbose, int epochs, int stepsPerEpoch, PrintStream out, boolean interactive) {
        if (verbose < 0 || verbose > 2) {
            throw new IllegalArgumentException("verbose " + verbose + "; expected 0, 1 or 2");
        }
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs " + epochs + "; expected >= 0");
        }
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("stepsPerEpoch " + stepsPerEpoch + "; expected >= 1");
        }
        this.verbose = verbose;
        this.epochs = epochs;
        this.steps = stepsPerEpoch;
        this.out = Objects.requireNonNull(out, "out");
        this.interactive = interactive;
    }

    /**
     * A progress bar on {@code System.out}, redrawn in place only when the JVM runs in a terminal: otherwise
     * ({@code System.console() == null}) output goes to a file, a pipe or an IDE, where {@code '\r'} does
     * not rewrite the line.
     */
    public static ProgressBar forConsole(int verbose, int epochs, int stepsPerEpoch) {
        return new ProgressBar(verbose, epochs, stepsPerEpoch, System.out, inTerminal());
    }

    /**
     * On JDK 17 to 21 a console exists only in a terminal. From JDK 22 {@code System.console()} returns one
     * even when output is redirected, and {@code Console.isTerminal()} (called reflectively, since the
     * library targets 17) tells the cases apart.
     */
    static boolean inTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** The terminal's width from {@code $COLUMNS} (set by most shells, exported by some), else 120. */
    static int terminalColumns() {
        try {
            int c = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "").trim());
            return c >= 40 ? c : DEFAULT_COLUMNS;
        } catch (NumberFormatException e) {
            return DEFAULT_COLUMNS;
        }
    }

    /** Test hook: the terminal's width in columns. */
    ProgressBar withColumns(int terminalColumns) {
        this.columns = terminalColumns;
        return this;
    }

    /**
     * The one line that tells a user who started Java without {@code --add-modules jdk.incubator.vector} that the
     * CPU backend runs its plain-Java GEMM, about three times slower; nothing else would.
     */
    public static final String SLOW_GEMM_NOTE = "note: the CPU backend is using its plain-Java GEMM; start Java with "
            + "--add-modules jdk.incubator.vector for the Vector API GEMM, about 3x faster.";
    private static boolean slowGemmNoted;

    /**
     * Prints {@link #SLOW_GEMM_NOTE} on {@code out} if the CPU GEMM is the plain-Java one and the note has not
     * been printed yet in this JVM (the command line prints it when it opens a backend; training prints it when
     * it starts on the CPU).
     */
    public static synchronized void noteSlowGemmOnce(PrintStream out) {
        if (!slowGemmNoted && !CpuGemm.vectorKernelAvailable()) {
            slowGemmNoted = true;
            ConsoleOutput.println(out, SLOW_GEMM_NOTE);
        }
    }

    @Override
    public void onTrainBegin(Logs logs) {
        inFit = true;
        if (verbose > 0 && model() instanceof Sequential m && "cpu".equals(m.backend().name())) {
            noteSlowGemmOnce(System.err);
        }
    }

    /** Test hook: the time source, in nanoseconds. */
    ProgressBar withClock(LongSupplier nanoTime) {
        this.clock = nanoTime;
        return this;
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        startEpoch(clock.getAsLong());
        if (verbose == 1 && epochs > 1) {
            ConsoleOutput.println(out, "Epoch " + (epoch + 1) + "/" + epochs);
        }
    }

    private void startEpoch(long now) {
        epochStarted = true;
        epochStart = now;
        seen = 0;
        firstStepSeen = false;
        drawn = false;
        drawnWidth = 0;
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        batchEnd(batch, logs);
    }

    private void batchEnd(int batch, Logs logs) {
        if (verbose == 0) {
            return;
        }
        boolean live = verbose == 1 && interactive;
        seen = batch + 1;
        if (seen != 1 && !live) {
            return; // only the first step's end time matters for the final line
        }
        long now = clock.getAsLong();
        if (!epochStarted) {
            startEpoch(now);
            seen = batch + 1;
        }
        if (seen == 1) {
            firstStepEnd = now;
            firstStepSeen = true;
        }
        if (live && (!drawn || now - lastDraw >= REFRESH_NANOS)) {
            drawn = true;
            lastDraw = now;
            // The one place batch logs are read (they are lazy: reading them waits for the device).
            Map<String, Double> metrics = logs == null ? Map.of() : logs.asMap();
            String rest = " - ETA: " + eta(secondsPerStep(now, seen) * (steps - seen)) + metrics(metrics);
            redraw(fitted(seen, rest), false);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (verbose == 0) {
            return;
        }
        long now = clock.getAsLong();
        if (!epochStarted) {
            startEpoch(now);
        }
        Map<String, Double> metrics = logs == null ? Map.of() : logs.asMap();
        double elapsed = (now - epochStart) / 1e9;
        if (verbose == 2) {
            ConsoleOutput.println(out, "Epoch " + (epoch + 1) + "/" + epochs + " - " + seconds(elapsed)
                    + metrics(metrics));
        } else {
            finalBar(now, elapsed, metrics);
        }
        epochStarted = false;
    }

    /** The last drawing of a bar, with the time, the time per step and {@code metrics}. */
    private void finalBar(long now, double elapsed, Map<String, Double> metrics) {
        // Fewer steps than planned if training was stopped mid-epoch; none seen means the batch hooks
        // were not called, and then the epoch did run all its steps.
        int done = seen == 0 ? steps : seen;
        String rest = " - " + seconds(elapsed) + " " + perStep(secondsPerStep(now, done)) + metrics(metrics);
        if (interactive) {
            redraw(fitted(done, rest), true);
        } else {
            // A file or a pipe has no width to wrap at: the full bar, as every epoch of a log should read.
            ConsoleOutput.println(out, counter(done) + " " + bar(done, BAR_WIDTH) + rest);
        }
    }

    /**
     * {@code evaluate}'s bar (not in {@code fit}): one pass of {@code stepsPerEpoch} batches, drawn as an epoch's,
     * its last line ending with the loss and metrics.
     */
    @Override
    public void onTestBegin(Logs logs) {
        if (!inFit) {
            startEpoch(clock.getAsLong());
        }
    }

    @Override
    public void onTestBatchEnd(int batch, Logs logs) {
        if (!inFit) {
            batchEnd(batch, logs);
        }
    }

    @Override
    public void onTestEnd(Logs logs) {
        if (!inFit) {
            endPass(logs == null ? Map.of() : logs.asMap());
        }
    }

    /** {@code predict}'s bar: as {@code evaluate}'s, without metrics. */
    @Override
    public void onPredictBegin(Logs logs) {
        onTestBegin(logs);
    }

    @Override
    public void onPredictBatchEnd(int batch, Logs logs) {
        if (!inFit) {
            batchEnd(batch, Logs.empty());
        }
    }

    @Override
    public void onPredictEnd(Logs logs) {
        if (!inFit) {
            endPass(Map.of());
        }
    }

    /**
     * The end of an {@code evaluate} or {@code predict} pass: verbose 1 the bar's last line, verbose 2 Keras 3's one
     * line {@code 313/313 - 1s - 3ms/step - loss: ...}.
     */
    private void endPass(Map<String, Double> metrics) {
        if (verbose == 0) {
            return;
        }
        long now = clock.getAsLong();
        double elapsed = (now - epochStart) / 1e9;
        if (verbose == 2) {
            int done = seen == 0 ? steps : seen;
            ConsoleOutput.println(out, counter(done) + " - " + seconds(elapsed) + " - "
                    + perStep(secondsPerStep(now, done)) + metrics(metrics));
        } else {
            finalBar(now, elapsed, metrics);
        }
        epochStarted = false;
    }

    @Override
    public void onTrainEnd(Logs logs) {
        inFit = false;
        // A bar left mid-line (training stopped without an epoch end) must not swallow what is printed next.
        if (ConsoleOutput.isOpen(out)) {
            out.println();
            out.flush();
            ConsoleOutput.markClosed(out);
        }
    }

    private void redraw(String line, boolean last) {
        StringBuilder sb = new StringBuilder("\r").append(line);
        if (ConsoleOutput.isOpen(out)) {
            // Blank out the tail of a longer previous drawing; '\r' only moves the cursor.
            for (int i = line.length(); i < drawnWidth; i++) {
                sb.append(' ');
            }
        }
        if (last) {
            sb.append(System.lineSeparator());
        }
        out.print(sb);
        out.flush();
        drawnWidth = line.length();
        if (last) {
            ConsoleOutput.markClosed(out);
        } else {
            ConsoleOutput.markOpen(out);
        }
    }

    /**
     * The time of one step. The first step is left out once there are others, because it carries one-time
     * costs (kernel compilation, allocation) that would inflate the ETA.
     */
    private double secondsPerStep(long now, int current) {
        if (current <= 0) {
            return 0;
        }
        if (current > 1 && firstStepSeen) {
            return (now - firstStepEnd) / 1e9 / (current - 1);
        }
        return (now - epochStart) / 1e9 / current;
    }

    private String counter(int current) {
        int digits = Integer.toString(steps).length();
        return String.format(Locale.ROOT, "%" + digits + "d/%d", current, steps);
    }

    /**
     * The terminal line {@code counter [bar]rest}, its bar narrowed as far as needed (and then kept so) to leave
     * the terminal's last column free.
     */
    private String fitted(int current, String rest) {
        String counter = counter(current);
        int over = counter.length() + 3 + barWidth + rest.length() - (columns - 1);
        if (over > 0) {
            barWidth = Math.max(MIN_BAR_WIDTH, barWidth - over);
        }
        return counter + " " + bar(current, barWidth) + rest;
    }

    private String bar(int current, int width) {
        int filled = (int) ((long) width * Math.min(current, steps) / steps);
        StringBuilder sb = new StringBuilder(width + 2).append('[');
        if (filled > 0) {
            sb.append("=".repeat(filled - 1)).append(current < steps ? '>' : '=');
        }
        return sb.append(".".repeat(width - filled)).append(']').toString();
    }

    static String eta(double seconds) {
        long s = (long) seconds;
        if (s > 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
        }
        if (s > 60) {
            return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
        return s + "s";
    }

    private static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.0fs", seconds);
    }

    static String perStep(double seconds) {
        if (seconds >= 1 || seconds == 0) {
            return String.format(Locale.ROOT, "%.0fs/step", seconds);
        }
        if (seconds >= 1e-3) {
            return String.format(Locale.ROOT, "%.0fms/step", seconds * 1e3);
        }
        return String.format(Locale.ROOT, "%.0fus/step", seconds * 1e6);
    }

    private static String metrics(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            if (History.BOOKKEEPING.contains(e.getKey())) {
                continue;
            }
            double v = e.getValue();
            sb.append(" - ").append(e.getKey()).append(": ")
                    .append(String.format(Locale.ROOT, Math.abs(v) > 1e-3 ? "%.4f" : "%.4e", v));
        }
        return sb.toString();
    }
}
