package dev.dendrite.experiments;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.callbacks.TensorBoard;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.io.Json;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * Trains several named configurations on the same data split, preprocessing and seed, and collects what each
 * gave, the course's comparison exercise in one call:
 * <pre>{@code
 * ComparisonResult r = new Comparison(FashionMnist.load())
 *         .add("relu", new RunConfig().with("activation", "relu"))
 *         .add("sigmoid", new RunConfig().with("activation", "sigmoid"))
 *         .run();
 * System.out.print(r.table());
 * r.writeTo(Path.of("compare-out"));   // CSV, JSON, charts and report.html
 * }</pre>
 * The first {@code validation} training images are held out (default 10,000, or a sixth of a smaller set);
 * preprocessing is fitted on the rest. Every run builds its model with the same seed and shuffles with it, so
 * two runs differ only in their configuration. Runs may go {@link #parallelism concurrently}, each on its own
 * backend; since a run depends only on its configuration and the seed, the results are the same as one after
 * another.
 */
public final class Comparison {
    private final TrainTest data;
    private final List<Experiment> experiments = new ArrayList<>();
    private int validation = 10_000;
    private String preprocess = "scale";
    private long seed = Sequential.DEFAULT_SEED;
    private Supplier<Backend> backends = Backends::auto;
    private int parallelism = 1;
    private Path modelDir;
    private Path tensorBoardDir;
    private String datasetName;
    private int verbose = 1;
    private PrintStream out = System.out;

    public Comparison(TrainTest data) {
        this.data = data;
    }

    /** Holds out the first {@code n} training images for validation (default 10,000). */
    public Comparison validation(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("validation is " + n + "; a comparison needs at least 1 held-out "
                    + "image, since runs are ranked by validation accuracy");
        }
        this.validation = n;
        return this;
    }

    /** none, scale, center, standardize or standardize-per-feature, fitted on the training part (default scale). */
    public Comparison preprocess(String kind) {
        Preprocessing.Kind.parse(kind);
        this.preprocess = kind;
        return this;
    }

    /** Seed of every run's initialisation, shuffling and dropout (default 42). */
    public Comparison seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Makes the backend a run trains on (default {@link Backends#auto()}); the comparison closes it. */
    public Comparison backend(Supplier<Backend> backends) {
        this.backends = backends;
        return this;
    }

    /** Runs at most {@code n} configurations at once, each on its own backend (default 1). */
    public Comparison parallelism(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("parallelism is " + n + "; expected at least 1");
        }
        this.parallelism = n;
        return this;
    }

    /** Saves each run's best model as {@code DIR/<run name>.safetensors} (default: not saved). */
    public Comparison saveModels(Path dir) {
        this.modelDir = dir;
        return this;
    }

    /**
     * Writes each run's TensorBoard logs under {@code DIR/<run name>} ({@code train/} and {@code validation/}), so
     * that {@code tensorboard --logdir DIR} overlays the runs' curves (default: none).
     */
    public Comparison tensorBoard(Path dir) {
        this.tensorBoardDir = dir;
        return this;
    }

    /** The dataset's name to store in saved models' metadata (as {@code dendrite train} does). */
    public Comparison datasetName(String name) {
        this.datasetName = name;
        return this;
    }

    /** 0 silent, 1 or more: one line per run and epoch (default 1). */
    public Comparison verbose(int verbose, PrintStream out) {
        this.verbose = verbose;
        this.out = out;
        return this;
    }

    public Comparison add(Experiment experiment) {
        for (Experiment e : experiments) {
            if (FileNames.of(e.name()).equals(FileNames.of(experiment.name()))) {
                throw new IllegalArgumentException("two runs are named '" + e.name() + "' and '" + experiment.name()
                        + "'; names must differ (also as file names)");
            }
        }
        experiments.add(experiment);
        return this;
    }

    /** Adds a run of a flat configuration. */
    public Comparison add(String name, RunConfig config) {
        return add(Experiment.of(name, config, data.train().images().sampleShape(), data.classNames().length,
                0));
    }

    public List<Experiment> experiments() {
        return List.copyOf(experiments);
    }

    /**
     * Trains every run and evaluates its best weights on the test set.
     *
     * @throws IllegalStateException if no run was added
     * @throws IOException if a model could not be saved
     */
    public ComparisonResult run() throws IOException {
        if (experiments.isEmpty()) {
            throw new IllegalStateException("nothing to compare: add at least one run");
        }
        Dataset full = data.train();
        int holdOut = validation < full.size() ? validation : full.size() / 6;
        Dataset train = full.rows(holdOut, full.size());
        Dataset val = full.rows(0, holdOut);
        Preprocessing prep = Preprocessing.fit(preprocess, train.images());
        Inputs xTrain = prep.apply(train.images());
        Inputs xVal = prep.apply(val.images());
        Inputs xTest = prep.apply(data.test().images());
        if (modelDir != null) {
            Files.createDirectories(modelDir);
        }
        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("data", data.source());
        setup.put("train_images", train.size());
        setup.put("validation_images", val.size() + " (the first of the training file)");
        setup.put("test_images", data.test().size());
        setup.put("preprocessing", preprocess);
        setup.put("seed", seed);
        setup.put("parallelism", parallelism);

        int workers = Math.min(parallelism, experiments.size());
        BlockingQueue<Backend> pool = new ArrayBlockingQueue<>(workers);
        ExecutorService exec = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "dendrite-compare");
            t.setDaemon(true);
            return t;
        });
        Set<String> backendNames = new LinkedHashSet<>();
        List<Backend> created = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                Backend b = backends.get();
                created.add(b);
                pool.add(b);
                backendNames.add(b.description());
            }
            setup.put("backend", String.join("; ", backendNames));
            List<Future<RunResult>> futures = new ArrayList<>();
            for (int i = 0; i < experiments.size(); i++) {
                Experiment e = experiments.get(i);
                String tag = String.format(Locale.ROOT, "[%d/%d %s]", i + 1, experiments.size(), e.name());
                futures.add(exec.submit(() -> {
                    Backend b = pool.take();
                    try {
                        return runOne(e, tag, b, prep, xTrain, train.labels(), xVal, val.labels(), xTest);
                    } finally {
                        pool.add(b);
                    }
                }));
            }
            List<RunResult> results = new ArrayList<>();
            for (Future<RunResult> f : futures) {
                results.add(f.get());
            }
            return new ComparisonResult(setup, results, data.classNames(), data.test());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the comparison was interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(c);
        } finally {
            // After a failure other runs may still hold a backend: let them stop before closing it under them.
            exec.shutdownNow();
            try {
                exec.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Backend b : created) {
                b.close();
            }
        }
    }

    private RunResult runOne(Experiment e, String tag, Backend backend, Preprocessing prep, Inputs xTrain,
            int[] yTrain, Inputs xVal, int[] yVal, Inputs xTest) throws IOException {
        try (Sequential model = e.model().get()) {
            model.seed(seed).backend(backend).build(xTrain.sampleShape());
            model.compile(e.optimizer().get(), new SparseCategoricalCrossentropy(), "accuracy");
            model.metadata().put("preprocessing", Json.write(prep.toMap(), false));
            model.metadata().put("class_names", Json.write(Arrays.asList(data.classNames()), false));
            if (datasetName != null) {
                model.metadata().put("dataset", datasetName);
            }
            List<Callback> callbacks = new ArrayList<>(e.callbacks().get());
            BestWeights best = new BestWeights();
            callbacks.add(best);
            if (tensorBoardDir != null) {
                callbacks.add(new TensorBoard(tensorBoardDir.resolve(FileNames.of(e.name()))));
            }
            if (verbose > 0) {
                callbacks.add(new EpochLines(tag, e.epochs(), out));
            }
            FitOptions options = new FitOptions().epochs(e.epochs()).batchSize(e.batchSize()).seed(seed).verbose(0)
                    .validationData(xVal, yVal).callbacks(callbacks.toArray(new Callback[0]));
            long t0 = System.nanoTime();
            History history = model.fit(xTrain, yTrain, options);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (best.weights != null) {
                model.setWeights(best.weights);
            }
            Map<String, Double> test = model.evaluate(xTest, data.test().labels());
            int[] predicted = model.predictClasses(xTest);
            Path saved = null;
            if (modelDir != null) {
                saved = modelDir.resolve(FileNames.of(e.name()) + ".safetensors");
                model.save(saved);
            }
            RunResult r = new RunResult(e.name(), e.config(), history, best.epoch + 1, best.value,
                    test.get("loss"), test.get("accuracy"), history.last("loss"), seconds, model.trainableParams(),
                    predicted, saved);
            if (verbose > 0) {
                synchronized (out) {
                    out.printf(Locale.ROOT, "%s done in %.1f s: best val_accuracy %.4f at epoch %d, test accuracy "
                            + "%.4f%n", tag, seconds, r.bestValAccuracy(), r.bestEpoch(), r.testAccuracy());
                }
            }
            return r;
        } catch (UncheckedIOException ex) {
            throw ex.getCause();
        }
    }

    /** Keeps a copy of the weights at the end of the epoch with the highest val_accuracy (the first, on ties). */
    private static final class BestWeights extends Callback {
        List<float[]> weights;
        double value = Double.NaN;
        int epoch = -1;

        @Override
        public void onEpochEnd(int epoch, Logs logs) {
            double v = logs.get("val_accuracy");
            if (Double.isFinite(v) && (weights == null || v > value)) {
                value = v;
                this.epoch = epoch;
                weights = new ArrayList<>();
                for (float[] w : model().getWeights()) {
                    weights.add(w.clone());
                }
            }
        }
    }

    /** One line per epoch, prefixed with the run, so that concurrent runs stay readable. */
    private static final class EpochLines extends Callback {
        private final String tag;
        private final int epochs;
        private final PrintStream out;

        EpochLines(String tag, int epochs, PrintStream out) {
            this.tag = tag;
            this.epochs = epochs;
            this.out = out;
        }

        @Override
        public void onEpochEnd(int epoch, Logs logs) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s epoch %d/%d", tag, epoch + 1, epochs));
            for (String k : new String[] {"loss", "accuracy", "val_loss", "val_accuracy"}) {
                if (logs.has(k)) {
                    sb.append(String.format(Locale.ROOT, " - %s: %.4f", k, logs.get(k)));
                }
            }
            synchronized (out) {
                out.println(sb);
            }
        }
    }
}
