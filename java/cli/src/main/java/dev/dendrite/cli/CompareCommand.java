package dev.dendrite.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.dendrite.backend.Backends;
import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.Comparison;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunConfig;
import dev.dendrite.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code dendrite compare}: trains a grid of configurations ({@code --vary}) or named ones ({@code --config}) on the
 * same split, preprocessing and seed, prints a table and writes CSV, JSON, charts, an HTML report and each run's
 * best model.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train several configurations on the same data split, preprocessing and seed; print a table "
                + "and write CSV, JSON, charts (PNG and SVG), report.html and each run's best model.",
            "Example: compare --vary activation=sigmoid,relu,selu,leaky_relu --vary optimizer=sgd,adam --epochs 20",
            "Settings (for --set, --vary and --config): " + "layers (256x128), activation, initializer, optimizer, "
                + "lr, momentum, nesterov, dropout, batch_norm, l2, batch_size, epochs, early_stopping, "
                + "early_stopping_monitor, reduce_lr, "
                + "reduce_lr_factor. Unset ones are the course notebook's (512x512 relu, glorot_uniform, adam, "
                + "batch 128, 10 epochs)."})
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--vary", paramLabel = "KEY=V1,V2,...",
            description = "A setting and the values to try; several --vary give every combination (a grid).")
    List<String> vary = new ArrayList<>();

    @Option(names = "--config", paramLabel = "NAME:KEY=V[;KEY=V...]",
            description = "One named run, e.g. \"zeros:initializer=zeros\" (repeatable; combined with --vary, "
                    + "each named run is crossed with the grid).")
    List<String> configs = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting shared by every run (repeatable).")
    List<String> set = new ArrayList<>();

    @Option(names = "--epochs", description = "Epochs of every run (default: 10).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Batch size of every run (default: 128).")
    Integer batchSize;

    @Option(names = "--layers", paramLabel = "UNITS", description = "Hidden widths of every run, e.g. 256,128 "
            + "(default: 512,512).")
    String layers;

    @Option(names = "--validation", defaultValue = "10000", paramLabel = "N",
            description = "Hold out the first N training images for validation (default: ${DEFAULT-VALUE}, or a "
                    + "sixth of a smaller dataset).")
    int validation;

    @Option(names = "--preprocess", defaultValue = "scale",
            description = "none, scale, center, standardize or standardize-per-feature (default: ${DEFAULT-VALUE}).")
    String preprocess;

    @Option(names = "--seed", defaultValue = "42", description = "Seed shared by every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu, cuda or opencl (default: "
            + "${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--parallel", defaultValue = "1", paramLabel = "N",
            description = "Train up to N runs at once, each on its own backend (default: ${DEFAULT-VALUE}); the "
                    + "results are the same as one after another.")
    int parallel;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run each configuration as an Apache Spark task on MASTER (local[*], spark://host:7077, "
                    + "yarn, k8s://...), each executor on its best backend; needs dendrite-spark and Spark on the "
                    + "class path (README). --backend and --parallel do not apply.")
    String spark;

    @Option(names = {"-o", "--output-dir"}, defaultValue = "compare-out", paramLabel = "DIR",
            description = "Where to write results, charts, report.html and models/ (default: ${DEFAULT-VALUE}).")
    Path outputDir;

    @Option(names = "--tensorboard", paramLabel = "DIR",
            description = "Write each run's TensorBoard event files under DIR/<run name>, so that tensorboard "
                    + "--logdir DIR overlays the runs' curves (not with --spark).")
    Path tensorboard;

    @Option(names = "--verbose", defaultValue = "1", description = "0 silent, 1 one line per run and epoch "
            + "(default: ${DEFAULT-VALUE}).")
    int verbose;

    @Override
    public Integer call() throws Exception {
        checkOptions();
        Map<String, RunConfig> runs;
        try {
            runs = plan();
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage()); // a --vary/--set/--config the settings reject: a usage error, exit 2
        }
        java.lang.reflect.Method onSpark = spark == null ? null : SparkOption.entry(spark);
        if (spark == null) {
            // Opened and closed once here so that a wrong --backend, or one this machine lacks, is reported before
            // the data is read; the comparison opens its own per run.
            CliBackend.open(backend, System.err).close();
        }
        checkOutputDir();
        TrainTest tt = data.load();
        System.out.println("Data: " + tt.source());
        if (onSpark != null) {
            System.out.println("Runs: " + runs.size() + " (" + String.join("; ", runs.keySet()) + ") on Spark " + spark);
            return report(SparkOption.run(onSpark, spark, tt, runs, validation, preprocess, seed,
                    outputDir.resolve("models"), data.dataset), runs.size());
        }
        Comparison cmp = new Comparison(tt).validation(validation).preprocess(preprocess).seed(seed)
                .backend(() -> Backends.create(backend)).parallelism(parallel).saveModels(outputDir.resolve("models"))
                .datasetName(data.dataset).verbose(verbose, System.out).tensorBoard(tensorboard);
        runs.forEach(cmp::add);
        System.out.println("Runs: " + runs.size() + " (" + String.join("; ", runs.keySet()) + ")");
        return report(cmp.run(), runs.size());
    }

    private int report(ComparisonResult result, int runs) throws IOException {
        System.out.println("Backend: " + result.setup().get("backend"));
        System.out.println();
        System.out.print(result.table());
        List<Path> files = result.writeTo(outputDir);
        System.out.println();
        System.out.println("Wrote " + files.size() + " files and " + result.runs().size() + " models to "
                + outputDir.toAbsolutePath() + "; open report.html");
        return 0;
    }

    /** Rejects out-of-range flags by name before anything is read or trained. */
    private void checkOptions() {
        if (epochs != null && epochs < 1) {
            throw bad("--epochs " + epochs + "; expected 1 or more");
        }
        if (batchSize != null && batchSize < 1) {
            throw bad("--batch-size " + batchSize + "; expected 1 or more");
        }
        if (parallel < 1) {
            throw bad("--parallel " + parallel + "; expected 1 or more runs at once");
        }
        if (spark != null && (!backend.equals("auto") || parallel != 1)) {
            throw bad("--spark runs each configuration on its executor's best backend, one task each; --backend "
                    + backend + " and --parallel " + parallel + " do not apply (leave them out)");
        }
        if (spark != null && tensorboard != null) {
            throw bad("--tensorboard writes on this machine; --spark runs on executors that may be elsewhere (leave"
                    + " one out)");
        }
        if (verbose < 0 || verbose > 1) {
            throw bad("--verbose " + verbose + "; expected 0 (silent) or 1 (one line per run and epoch)");
        }
    }

    /** Fails before any training if the results could not be written under {@code --output-dir}. */
    private void checkOutputDir() throws IOException {
        try {
            AtomicFiles.checkWritable(outputDir.resolve("report.html"), true);
        } catch (IOException e) {
            throw new IOException("--output-dir " + outputDir + ": " + e.getMessage() + " (checked before training)",
                    e);
        }
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** The runs by name: the base settings, crossed with each named config and with every grid combination. */
    Map<String, RunConfig> plan() {
        RunConfig base = new RunConfig();
        if (epochs != null) {
            base = base.with("epochs", Integer.toString(epochs));
        }
        if (batchSize != null) {
            base = base.with("batch_size", Integer.toString(batchSize));
        }
        if (layers != null) {
            base = base.with("layers", layers);
        }
        for (String s : set) {
            String[] kv = keyValue(s, "--set");
            base = base.with(kv[0], kv[1]);
        }
        Map<String, RunConfig> named = new LinkedHashMap<>();
        for (String c : configs) {
            int colon = c.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--config '" + c + "' has no name; expected NAME:KEY=VALUE[;...]");
            }
            RunConfig rc = base;
            for (String part : c.substring(colon + 1).split(";")) {
                if (!part.isBlank()) {
                    String[] kv = keyValue(part, "--config");
                    rc = rc.with(kv[0], kv[1]);
                }
            }
            if (named.put(c.substring(0, colon).trim(), rc) != null) {
                throw new IllegalArgumentException("two --config runs are named '" + c.substring(0, colon).trim() + "'");
            }
        }
        if (named.isEmpty()) {
            named.put("", base);
        }
        Map<String, RunConfig> runs = new LinkedHashMap<>(named);
        for (String v : vary) {
            String[] kv = keyValue(v, "--vary");
            String[] values = kv[1].split(",");
            Map<String, RunConfig> next = new LinkedHashMap<>();
            for (Map.Entry<String, RunConfig> run : runs.entrySet()) {
                for (String value : values) {
                    if (value.isBlank()) {
                        throw new IllegalArgumentException("--vary '" + v + "' has an empty value");
                    }
                    // A name (relu, adam) says what it is; a number, none, true or false needs its setting's name.
                    String label = value.trim().matches("(?i)[-+0-9.eE]+|none|true|false|yes|no|on|off")
                            ? kv[0] + "=" + value.trim() : value.trim();
                    String name = run.getKey().isEmpty() ? label : run.getKey() + ", " + label;
                    if (next.put(name, run.getValue().with(kv[0], value)) != null) {
                        throw new IllegalArgumentException("--vary '" + v + "' gives two runs named '" + name + "'");
                    }
                }
            }
            runs = next;
        }
        if (runs.containsKey("")) {
            runs.put("baseline", runs.remove(""));
        }
        return runs;
    }

    private static String[] keyValue(String s, String option) {
        int eq = s.indexOf('=');
        if (eq <= 0 || eq == s.length() - 1) {
            throw new IllegalArgumentException(option + " '" + s + "' is not KEY=VALUE");
        }
        return new String[] {s.substring(0, eq).trim(), s.substring(eq + 1).trim()};
    }
}
