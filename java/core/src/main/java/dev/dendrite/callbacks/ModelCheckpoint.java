package dev.dendrite.callbacks;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dendrite.io.AtomicFiles;

/**
 * Saves the model (or only its weights) at the end of epochs or every N batches, as Keras's {@code ModelCheckpoint}:
 * <pre>{@code
 * new ModelCheckpoint("best.dmodel").monitor("val_accuracy").saveBestOnly(true).verbose(1)
 * new ModelCheckpoint("ckpt/epoch{epoch:02d}-{val_loss:.4f}.dmodel")   // one file per epoch
 * }</pre>
 * Defaults are Keras's: monitor {@code "val_loss"}, mode {@code "auto"}, verbose 0, saveBestOnly false,
 * saveWeightsOnly false, saveFreq {@code "epoch"}.
 *
 * <p><b>Every N batches.</b> {@code saveFreq(500)} (Keras's {@code save_freq=500}) saves after every 500th
 * training batch instead of at epochs' ends, counting batches across epochs (and across {@code fit} calls) as
 * Keras does. The logs are then the batch's: running means of the epoch so far, and no {@code val_} metrics,
 * so with {@code saveBestOnly} monitor a training metric such as {@code "loss"} (a missing one saves every time,
 * with a warning). The pattern may use {@code {batch}}, the 1-based batch number within the epoch:
 * {@code "ckpt/e{epoch:02d}-b{batch:04d}.dmodel"}; a pattern with {@code {batch}} and per-epoch saving is refused
 * when training begins.
 *
 * <p><b>File name pattern.</b> {@code {epoch}} is the 1-based epoch number; any metric in the epoch's logs
 * can be used by name ({@code {loss}}, {@code {val_accuracy}}, ...). A placeholder may carry a format, as
 * in Python: {@code {epoch:02d}} (integer, zero-padded to width 2), {@code {val_loss:.4f}} (4 decimals),
 * {@code {val_loss:08.4f}} (with width). Without a format, an epoch prints as an integer and a metric as
 * Java's {@code Double.toString}. <code>&#123;&#123;</code> and <code>&#125;&#125;</code> stand for literal
 * braces. Numbers always use a '.' decimal point, whatever the default locale. A malformed pattern fails
 * in the constructor; a placeholder naming a value that the logs do not have fails at the end of the first
 * epoch (even one that would not be saved), naming the values that exist.
 *
 * <p><b>Best only.</b> With {@code saveBestOnly(true)} a file is written only when the monitored metric
 * improves on the best seen (compared as in {@link EarlyStopping}, with no minimum delta). The best value
 * is kept across {@code fit} calls, as in Keras, so continuing training does not overwrite a better
 * checkpoint with a worse one; {@link #initialValueThreshold} sets a starting value to beat. If the metric
 * is missing, a warning is printed once per {@code fit} and every epoch is saved, as Keras does.
 *
 * <p><b>Failures.</b> The model writes its files atomically, so a crash never leaves a half-written
 * checkpoint; a failed save stops training with an {@link UncheckedIOException} naming the file, rather
 * than training on without the checkpoints the user counts on. So that this rarely happens after hours of
 * training, {@link #onTrainBegin} already checks that the first epoch's file could be written (it is not a
 * directory, and a file can be created in its folder or the nearest existing ancestor), and fails there if not.
 * An epoch whose training loss is NaN or infinite (possible only with {@code FitOptions.terminateOnNaN(false)})
 * is never saved: a warning says so. Field widths and precisions in the pattern are at most
 * {@value PathPattern#MAX_WIDTH} and {@value PathPattern#MAX_PRECISION}.
 */
public final class ModelCheckpoint extends Callback {
    private final String filepath;
    private final PathPattern pattern;
    private String monitor = "val_loss";
    private String mode = "auto";
    private int verbose = 0;
    private boolean saveBestOnly = false;
    private boolean saveWeightsOnly = false;
    /** Batches between saves, or 0 for once per epoch. */
    private int saveFreq = 0;
    /** Keras's counters: kept across epochs and fits, so that "every N batches" means every N batches trained. */
    private int batchesSinceSave = 0;
    private int lastBatchSeen = -1;
    private int currentEpoch = 0;

    private PrintStream out = System.out;
    private PrintStream warnings = System.err;

    private Monitor tracker;
    private double best = Double.NaN;
    private Path lastSaved;

    /**
     * Saves to {@code filepath}, which may contain placeholders (see the class description).
     *
     * @throws IllegalArgumentException if the pattern is malformed
     */
    public ModelCheckpoint(String filepath) {
        if (filepath == null || filepath.isBlank()) {
            throw new IllegalArgumentException("filepath '" + filepath + "'; expected a file name such as "
                    + "\"best.dmodel\" or \"ckpt-{epoch:02d}.dmodel\"");
        }
        this.filepath = filepath;
        this.pattern = PathPattern.parse(filepath);
    }

    /** Saves to {@code filepath}, which may contain placeholders (see the class description). */
    public ModelCheckpoint(Path filepath) {
        this(filepath.toString());
    }

    /** The metric that decides what "best" is (default {@code "val_loss"}). */
    public ModelCheckpoint monitor(String monitor) {
        this.monitor = Monitor.checkMetric(monitor);
        return this;
    }

    /** {@code "min"}, {@code "max"} or {@code "auto"} (default: maximize names containing "acc"/"auc"). */
    public ModelCheckpoint mode(String mode) {
        this.mode = Monitor.checkMode(mode);
        return this;
    }

    /** 1 prints a line for every save or skipped save; 0 (default) is silent. */
    public ModelCheckpoint verbose(int verbose) {
        this.verbose = Monitor.checkVerbose(verbose);
        return this;
    }

    /** Save only when the monitored metric improves (default false: save every epoch). */
    public ModelCheckpoint saveBestOnly(boolean saveBestOnly) {
        this.saveBestOnly = saveBestOnly;
        return this;
    }

    /** Save only the weights ({@code saveWeights}) instead of the whole model ({@code save}); default false. */
    public ModelCheckpoint saveWeightsOnly(boolean saveWeightsOnly) {
        this.saveWeightsOnly = saveWeightsOnly;
        return this;
    }

    /**
     * Saves every {@code batches} training batches instead of once per epoch (Keras's {@code save_freq=n}; see the
     * class description).
     */
    public ModelCheckpoint saveFreq(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("ModelCheckpoint saveFreq " + batches
                    + "; expected a number of batches >= 1, or \"epoch\"");
        }
        this.saveFreq = batches;
        return this;
    }

    /** {@code "epoch"} (the default: save at each epoch's end) or a number of batches, as Keras's {@code save_freq}. */
    public ModelCheckpoint saveFreq(String saveFreq) {
        if ("epoch".equals(saveFreq)) {
            this.saveFreq = 0;
            return this;
        }
        try {
            return saveFreq(Integer.parseInt(saveFreq == null ? "" : saveFreq.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ModelCheckpoint saveFreq '" + saveFreq
                    + "'; expected \"epoch\" or a number of batches >= 1", e);
        }
    }

    /**
     * With {@code saveBestOnly}, the value the metric must beat before the first save (default: none).
     * Useful when resuming from a checkpoint whose score is known.
     */
    public ModelCheckpoint initialValueThreshold(double value) {
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("initialValueThreshold NaN; expected a number");
        }
        this.best = value;
        return this;
    }

    /** The file written most recently, or null if none has been. */
    public Path lastSavedPath() {
        return lastSaved;
    }

    /** The best monitored value seen with {@code saveBestOnly} (or the initial threshold), else NaN. */
    public double bestValue() {
        return best;
    }

    /** Test hook: where messages and warnings go (default stdout and stderr). */
    void setStreams(PrintStream out, PrintStream warnings) {
        this.out = out;
        this.warnings = warnings;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        // A new tracker re-arms the missing-metric warning; the best value deliberately survives (see above).
        tracker = new Monitor("ModelCheckpoint", monitor, mode, 0, saveFreq == 0 ? "Saving every epoch instead."
                : "Saving every " + saveFreq + " batches instead (batch logs hold training metrics only).");
        if (saveFreq == 0 && pattern.uses("batch")) {
            throw new IllegalArgumentException("ModelCheckpoint path '" + filepath + "' uses {batch}, but saves once"
                    + " per epoch; expected saveFreq(n batches) with {batch}, or a pattern without it");
        }
        String first = pattern.formatAny(1);
        try {
            AtomicFiles.checkWritable(Path.of(first), true);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("ModelCheckpoint cannot save to " + first + " (from pattern '" + filepath
                    + "'), checked before training: " + e.getMessage(), e instanceof IOException io ? io
                    : new IOException(e));
        }
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        currentEpoch = epoch;
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        if (saveFreq == 0) {
            return;
        }
        // As Keras: a batch number that does not grow starts a new epoch, whose batches count from its first.
        batchesSinceSave += lastBatchSeen < 0 || batch <= lastBatchSeen ? batch + 1 : batch - lastBatchSeen;
        lastBatchSeen = batch;
        if (batchesSinceSave >= saveFreq) {
            batchesSinceSave = 0;
            checkpoint(currentEpoch, batch + 1, logs);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        if (saveFreq == 0) {
            checkpoint(epoch, 0, logs);
        }
    }

    /** Saves (or decides not to) after {@code epoch} (0-based) or, when {@code batch} is 1 or more, that batch. */
    private void checkpoint(int epoch, int batch, Logs logs) {
        if (tracker == null) {
            onTrainBegin(Logs.empty());
        }
        Map<String, Double> values = logs == null ? Map.of() : logs.asMap();
        // Formatted before deciding whether to save, so that a wrong placeholder fails at the first epoch
        // rather than at the first improvement.
        String file = pattern.format(epoch + 1, batch, values);
        String what = saveWeightsOnly ? "weights" : "model";
        String when = "Epoch " + (epoch + 1) + (batch > 0 ? ", batch " + batch : "");
        Double loss = values.get("loss");
        if (loss != null && !Double.isFinite(loss)) {
            ConsoleOutput.println(warnings, "WARNING: ModelCheckpoint: the training loss at " + when.toLowerCase(
                    Locale.ROOT) + " is " + loss + "; not saving the " + what + " to " + file);
            return;
        }
        // Without saveBestOnly, or when the monitored metric is missing, every save point saves.
        Double current = saveBestOnly ? tracker.read(logs, warnings) : null;
        if (current == null) {
            say(when + ": saving " + what + " to " + file);
            save(Path.of(file), what);
            return;
        }
        String before = Double.isNaN(best) ? (tracker.maximize() ? "-inf" : "inf") : Monitor.format5(best);
        if (!tracker.improves(current, Double.isNaN(best) ? tracker.worst() : best)) {
            say(when + ": " + monitor + " did not improve from " + before);
            return;
        }
        say(when + ": " + monitor + " improved from " + before + " to "
                + Monitor.format5(current) + ", saving " + what + " to " + file);
        save(Path.of(file), what);
        // Only once the file exists: a failed save must not make a later, worse epoch look "not better".
        best = current;
    }

    private void say(String message) {
        if (verbose > 0) {
            ConsoleOutput.println(out, message);
        }
    }

    private void save(Path file, String what) {
        TrainingModel model = requireModel("ModelCheckpoint");
        try {
            if (Files.isDirectory(file)) {
                throw new IOException("it is an existing directory; the pattern must name a file");
            }
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (saveWeightsOnly) {
                model.saveWeights(file);
            } else {
                model.save(file);
            }
            lastSaved = file;
        } catch (IOException e) {
            throw new UncheckedIOException("ModelCheckpoint could not save the " + what + " to " + file + " (from "
                    + "pattern '" + filepath + "'): " + e, e);
        }
    }

    /** A parsed file name pattern: literal text and Python-style {@code {name:spec}} placeholders. */
    static final class PathPattern {
        /** [0][width]d or [0][width][.precision]f, the subset of Python's format mini-language supported. */
        private static final Pattern SPEC = Pattern.compile("(0)?([1-9][0-9]*)?(?:\\.([0-9]+))?([df])");
        /** Widest field a placeholder may ask for: a file name has at most 255 bytes anyway. */
        static final int MAX_WIDTH = 64;
        /** Most decimals a placeholder may ask for: a double has 17 significant digits. */
        static final int MAX_PRECISION = 20;

        private final String source;
        /** Literal text (String) and placeholders (Placeholder), in order. */
        private final List<Object> parts;

        private PathPattern(String source, List<Object> parts) {
            this.source = source;
            this.parts = parts;
        }

        private record Placeholder(String name, String spec, String javaFormat, boolean integer) {
        }

        /** @throws IllegalArgumentException on unbalanced braces, an empty name or an unsupported format */
        static PathPattern parse(String source) {
            List<Object> parts = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            int i = 0;
            while (i < source.length()) {
                char c = source.charAt(i);
                if (c == '{' && i + 1 < source.length() && source.charAt(i + 1) == '{') {
                    literal.append('{');
                    i += 2;
                } else if (c == '}' && i + 1 < source.length() && source.charAt(i + 1) == '}') {
                    literal.append('}');
                    i += 2;
                } else if (c == '}') {
                    throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': single '}' at index "
                            + i + "; expected placeholders like {epoch:02d}, or '}}' for a literal brace");
                } else if (c == '{') {
                    int close = source.indexOf('}', i + 1);
                    int nested = source.indexOf('{', i + 1);
                    if (close < 0 || (nested >= 0 && nested < close)) {
                        throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': unclosed '{' at "
                                + "index " + i + "; expected placeholders like {epoch:02d}, or '{{' for a literal "
                                + "brace");
                    }
                    if (literal.length() > 0) {
                        parts.add(literal.toString());
                        literal.setLength(0);
                    }
                    parts.add(placeholder(source, source.substring(i + 1, close)));
                    i = close + 1;
                } else {
                    literal.append(c);
                    i++;
                }
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
            }
            return new PathPattern(source, parts);
        }

        private static Placeholder placeholder(String source, String body) {
            int colon = body.indexOf(':');
            String name = (colon < 0 ? body : body.substring(0, colon)).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': placeholder {" + body
                        + "} has no name; expected {epoch} or a metric such as {val_loss}");
            }
            if (colon < 0 || colon == body.length() - 1) {
                return new Placeholder(name, null, null, false);
            }
            String spec = body.substring(colon + 1);
            Matcher m = SPEC.matcher(spec);
            if (!m.matches() || ("d".equals(m.group(4)) && m.group(3) != null)) {
                throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': format '" + spec
                        + "' in {" + body + "} is not supported; expected d with optional zero-padded width "
                        + "(e.g. {epoch:02d}) or .Nf with optional width (e.g. {val_loss:.4f})");
            }
            if (tooLong(m.group(2), MAX_WIDTH) || tooLong(m.group(3), MAX_PRECISION)) {
                throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': format '" + spec
                        + "' in {" + body + "} asks for a width above " + MAX_WIDTH + " or more than " + MAX_PRECISION
                        + " decimals; expected e.g. {epoch:02d} or {val_loss:.4f}");
            }
            String width = m.group(2) == null ? "" : (m.group(1) != null ? "0" : "") + m.group(2);
            String precision = m.group(3) == null ? "" : "." + m.group(3);
            boolean integer = "d".equals(m.group(4));
            return new Placeholder(name, spec, "%" + width + precision + m.group(4), integer);
        }

        private static boolean tooLong(String digits, int max) {
            return digits != null && (digits.length() > 3 || Integer.parseInt(digits) > max);
        }

        /** Whether a placeholder names {@code name}. */
        boolean uses(String name) {
            return parts.stream().anyMatch(p -> p instanceof Placeholder h && h.name().equals(name));
        }

        /** The file name for {@code epoch} with every metric placeholder given the value 0, to check the path early. */
        String formatAny(int epoch) {
            Map<String, Double> zeros = new java.util.HashMap<>();
            for (Object part : parts) {
                if (part instanceof Placeholder p && !p.integer()) {
                    zeros.put(p.name(), 0.0);
                }
            }
            try {
                return format(epoch, 1, zeros);
            } catch (IllegalArgumentException e) {
                return source; // an integer format on a metric: reported at the first epoch, as before
            }
        }

        /** The file name for one epoch, saved at its end. */
        String format(int epoch, Map<String, Double> logs) {
            return format(epoch, 0, logs);
        }

        /**
         * The file name for one save.
         *
         * @param epoch the 1-based epoch number
         * @param batch the 1-based batch number within the epoch, or 0 for a save at the epoch's end
         * @param logs the epoch's or the batch's metrics
         * @throws IllegalArgumentException for a placeholder that names no value, naming the ones available
         */
        String format(int epoch, int batch, Map<String, Double> logs) {
            StringBuilder sb = new StringBuilder();
            for (Object part : parts) {
                if (part instanceof String text) {
                    sb.append(text);
                    continue;
                }
                Placeholder p = (Placeholder) part;
                if ("epoch".equals(p.name()) || "batch".equals(p.name()) && batch > 0) {
                    int n = "epoch".equals(p.name()) ? epoch : batch;
                    sb.append(p.javaFormat() == null ? Integer.toString(n)
                            : p.integer() ? String.format(Locale.ROOT, p.javaFormat(), n)
                                    : String.format(Locale.ROOT, p.javaFormat(), (double) n));
                    continue;
                }
                Double v = logs.get(p.name());
                if (v == null) {
                    Set<String> available = new LinkedHashSet<>();
                    available.add("epoch");
                    if (batch > 0) {
                        available.add("batch");
                    }
                    available.addAll(logs.keySet());
                    throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': unknown placeholder {"
                            + p.name() + "}; available: " + available);
                }
                if (p.integer()) {
                    throw new IllegalArgumentException("ModelCheckpoint path '" + source + "': {" + p.name() + ":"
                            + p.spec() + "} formats an integer, but " + p.name() + " is a decimal metric; use e.g. {"
                            + p.name() + ":.4f}");
                }
                sb.append(p.javaFormat() == null ? Double.toString(v) : String.format(Locale.ROOT, p.javaFormat(), v));
            }
            return sb.toString();
        }
    }
}
