package dev.dendrite.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.OpChecks;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.callbacks.ReduceLROnPlateau;
import dev.dendrite.callbacks.TensorBoard;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.ImageDataGenerator;
import dev.dendrite.data.Labels;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.experiments.RunConfig;
import dev.dendrite.io.AtomicFiles;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Layer;
import dev.dendrite.losses.CategoricalCrossentropy;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Adagrad;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.RMSprop;
import dev.dendrite.optimizers.SGD;
import dev.dendrite.optimizers.schedules.CosineDecay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code dendrite train}: with no arguments, the course's first notebook: Fashion-MNIST, pixels scaled to
 * [0, 1], the first 10,000 training images held out for validation, 784-512-512-10 relu/softmax, Adam,
 * batch 128, 10 epochs; then the test loss and accuracy, and the model saved.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an MLP on Fashion-MNIST (default) or MNIST, report test accuracy, save the model.",
            "With no options this is the course notebook: 784-512-512-10 relu/softmax, Adam, batch 128,"
                + " 10 epochs, first 10,000 training images held out for validation, pixels scaled to [0, 1]."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--layers", split = ",", paramLabel = "UNITS", defaultValue = "512,512",
            description = "Hidden layer widths, comma separated (default: ${DEFAULT-VALUE}).")
    List<Integer> layers;

    @Option(names = "--activation", paramLabel = "NAME", defaultValue = "relu",
            description = "Hidden activation: relu, sigmoid, tanh, selu, elu, leaky_relu, gelu, swish, linear, or"
                    + " another of Keras's by name (softplus, relu6, hard_silu, mish, ...; the README lists them)"
                    + " (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--initializer", paramLabel = "NAME", defaultValue = "glorot_uniform",
            description = "Kernel initializer: zeros, ones, random_normal, random_uniform, truncated_normal, "
                    + "glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, "
                    + "variance_scaling, orthogonal (default: ${DEFAULT-VALUE}).")
    String initializer;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "adam",
            description = "sgd, adam, rmsprop, adagrad, adamw, adadelta, adamax, nadam, lion, ftrl, lamb or adafactor, "
                    + "with Keras's defaults (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = {"--lr", "--learning-rate"}, paramLabel = "RATE",
            description = "Learning rate (default: the optimizer's Keras "
            + "default: 0.001, or 0.01 for sgd).")
    Double learningRate;

    @Option(names = "--lr-schedule", paramLabel = "KIND", defaultValue = "none",
            description = "none, or cosine: Keras's CosineDecay from the learning rate down to 0 over all the "
                    + "training steps, computed on the device (default: ${DEFAULT-VALUE}).")
    String lrSchedule;

    @Option(names = "--decay", paramLabel = "D", defaultValue = "0",
            description = "Keras 2's learning-rate decay: step t uses lr / (1 + D * t) (default: 0, none).")
    double decay;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0",
            description = "Momentum for sgd and rmsprop, from 0 up to (not including) 1, e.g. 0.9 (default: 0).")
    double momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum for sgd (with --momentum above 0).")
    boolean nesterov;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10",
            description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "128",
            description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--validation", defaultValue = "10000", paramLabel = "N",
            description = "Hold out the first N training images for validation; 0 for none (default: "
                    + "${DEFAULT-VALUE}, or a sixth of a smaller dataset).")
    int validation;

    @Option(names = "--preprocess", paramLabel = "KIND", defaultValue = "scale",
            description = "none, scale (to [0, 1]), center, standardize or standardize-per-feature, fitted on the "
                    + "training images only (default: ${DEFAULT-VALUE}).")
    String preprocess;

    @Option(names = "--dropout", paramLabel = "RATE", defaultValue = "0",
            description = "Dropout rate after each hidden layer, from 0 up to (not including) 1 (default: 0).")
    double dropout;

    @Option(names = "--batch-norm", description = "BatchNormalization after each hidden Dense layer.")
    boolean batchNorm;

    @Option(names = "--l2", paramLabel = "PENALTY", defaultValue = "0",
            description = "L2 penalty on every kernel (default: 0).")
    double l2;

    @Option(names = "--max-norm", paramLabel = "MAX", defaultValue = "0",
            description = "Keras's MaxNorm constraint on each hidden kernel: every unit's incoming weights scaled back "
                    + "to L2 norm MAX after each update, the partner of --dropout (e.g. 3; default: 0, none).")
    double maxNorm;

    @Option(names = "--early-stopping", paramLabel = "PATIENCE",
            description = "Stop when val_loss (or --early-stopping-monitor) has not improved for PATIENCE epochs, "
                    + "keeping the best weights.")
    Integer patience;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "auto, cpu, cuda or opencl (default: ${DEFAULT-VALUE}: CUDA, then OpenCL, then CPU).")
    String backend;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
            description = "Seed of initialisation, shuffling and dropout "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--mixup", paramLabel = "ALPHA", defaultValue = "0",
            description = "Mixup of every training batch with lambda ~ Beta(ALPHA, ALPHA) per image, on the "
            + "device (typical 0.1 to 0.4; default: ${DEFAULT-VALUE}, off).")
    double mixup;

    @Option(names = "--label-smoothing", paramLabel = "S", defaultValue = "0",
            description = "Keras's label_smoothing: categorical_crossentropy against one-hot targets taken as "
            + "t (1 - S) + S / classes (0.1 is usual; default: ${DEFAULT-VALUE}, off). The accuracy sees the labels "
            + "as they are; the loss, the test loss included, is the smoothed one.")
    double labelSmoothing;

    @Option(names = "--steps-per-execution", paramLabel = "N", defaultValue = "1",
            description = "Training steps issued as one execution, Keras's steps_per_execution: on CUDA one graph "
            + "launch for N steps, the same weights (default: ${DEFAULT-VALUE}).")
    int stepsPerExecution;

    // Augmentation, by the names of Keras's legacy ImageDataGenerator (the notebooks' augmentation), applied as the
    // one RandomAffine layer that ImageDataGenerator.asLayer gives the Java API: first in the model, on the device,
    // inside the training step, so `train` and a Java program with the same settings train the same network.
    @Option(names = "--rotation-range", paramLabel = "DEG", defaultValue = "0",
            description = "Augmentation: rotate each training image by an angle drawn from [-DEG, DEG] degrees "
                    + "(ImageDataGenerator's rotation_range; e.g. 10; default: 0, off).")
    double rotationRange;

    @Option(names = "--width-shift-range", paramLabel = "F", defaultValue = "0",
            description = "Augmentation: shift sideways by up to F of the width (below 1) or F pixels (1 or more) "
                    + "(width_shift_range; e.g. 0.1; default: 0, off).")
    double widthShiftRange;

    @Option(names = "--height-shift-range", paramLabel = "F", defaultValue = "0",
            description = "Augmentation: shift up or down by up to F of the height (below 1) or F pixels (1 or "
                    + "more) (height_shift_range; e.g. 0.1; default: 0, off).")
    double heightShiftRange;

    @Option(names = "--zoom-range", paramLabel = "Z", defaultValue = "0",
            description = "Augmentation: zoom each axis by a factor drawn from [1 - Z, 1 + Z] (zoom_range; e.g. "
                    + "0.1; default: 0, off).")
    double zoomRange;

    @Option(names = "--shear-range", paramLabel = "DEG", defaultValue = "0",
            description = "Augmentation: shear by an angle drawn from [-DEG, DEG] degrees (shear_range; default: 0, "
                    + "off).")
    double shearRange;

    @Option(names = "--fill-mode", paramLabel = "MODE", defaultValue = "nearest",
            description = "What augmentation puts where the image moved away: constant (0), nearest, reflect or "
                    + "wrap (fill_mode; default: ${DEFAULT-VALUE}, as ImageDataGenerator).")
    String fillMode;

    @Option(names = "--verbose", paramLabel = "LEVEL", defaultValue = "1",
            description = "0 silent, 1 progress bar, 2 one line per epoch (default: ${DEFAULT-VALUE}).")
    int verbose;

    @Option(names = {"-o", "--output"}, defaultValue = "dendrite-model.safetensors", paramLabel = "FILE",
            description = "Where to save the trained model (default: ${DEFAULT-VALUE}); a name ending in .keras "
                    + "writes Keras 3's file, which keras.saving.load_model opens.")
    Path output;

    @Option(names = "--history", paramLabel = "CSV", description = "Write the per-epoch metrics to this CSV file.")
    Path historyCsv;

    @Option(names = "--tensorboard", paramLabel = "DIR",
            description = "Write TensorBoard event files (the training curves, the weights' histograms each epoch) "
                    + "under DIR/train and DIR/validation, as Keras's TensorBoard callback; view them with "
                    + "tensorboard --logdir DIR.")
    Path tensorboard;

    @Option(names = "--early-stopping-monitor", defaultValue = "val_loss", paramLabel = "METRIC",
            description = "What --early-stopping watches: val_loss (default) or val_accuracy; the best weights kept "
                    + "are those of the best epoch by this metric.")
    String earlyStoppingMonitor;

    @Option(names = "--reduce-lr", paramLabel = "PATIENCE",
            description = "ReduceLROnPlateau: multiply the learning rate by --reduce-lr-factor when val_loss has not "
                    + "improved for PATIENCE epochs.")
    Integer reduceLrPatience;

    @Option(names = "--reduce-lr-factor", defaultValue = "0.1", paramLabel = "FACTOR",
            description = "The factor of --reduce-lr (default: ${DEFAULT-VALUE}, as in Keras).")
    double reduceLrFactor;

    @Option(names = "--plot", paramLabel = "FILE",
            description = "Draw the train-vs-validation loss and accuracy curves to this file: PNG if it ends in "
                    + ".png, SVG if it ends in .svg.")
    Path plot;

    @Override
    public Integer call() throws Exception {
        checkOptions();
        checkOutput();
        TrainTest tt = data.load();
        System.out.println("Data: " + tt.source());
        Dataset trainFull = tt.train();
        int holdOut = validation;
        if (holdOut >= trainFull.size()) {
            holdOut = trainFull.size() / 6;
            System.out.println("Validation: holding out the first " + holdOut + " of the " + trainFull.size()
                    + " training images (a sixth; " + (given("--validation") ? "--validation " + validation
                    : "the default of " + validation) + " needs more training images than that)");
        }
        Dataset train = holdOut > 0 ? trainFull.rows(holdOut, trainFull.size()) : trainFull;
        Dataset val = holdOut > 0 ? trainFull.rows(0, holdOut) : null;
        Preprocessing prep = Preprocessing.fit(preprocess, train.images());

        try (Backend be = CliBackend.open(backend, System.err);
             Sequential model = buildModel(train.images().sampleShape(), tt.classNames().length)) {
            System.out.println("Backend: " + be.description());
            model.backend(be).build(train.images().sampleShape());
            int classes = tt.classNames().length;
            model.compile(withRateOptions(makeOptimizer(), train.size()), labelSmoothing > 0
                    ? new CategoricalCrossentropy(false, labelSmoothing) : new SparseCategoricalCrossentropy(),
                    "accuracy");
            model.metadata().put("preprocessing", Json.write(prep.toMap(), false));
            model.metadata().put("class_names", Json.write(Arrays.asList(tt.classNames()), false));
            model.metadata().put("dataset", data.dataset);
            if (verbose > 0) {
                model.summary();
            }
            FitOptions options = new FitOptions().batchSize(batchSize).epochs(epochs).verbose(verbose).seed(seed)
                    .mixup(mixup).stepsPerExecution(stepsPerExecution);
            List<Callback> callbacks = new ArrayList<>();
            if (val != null) {
                if (labelSmoothing > 0) {
                    options.validationData(prep.apply(val.images()), Labels.oneHot(val.labels(), classes));
                } else {
                    options.validationData(prep.apply(val.images()), val.labels());
                }
                if (patience != null) {
                    callbacks.add(new EarlyStopping().monitor(earlyStoppingMonitor).patience(patience)
                            .restoreBestWeights(true).verbose(verbose > 0 ? 1 : 0));
                }
                if (reduceLrPatience != null) {
                    callbacks.add(new ReduceLROnPlateau("val_loss", reduceLrFactor, reduceLrPatience)
                            .verbose(verbose > 0 ? 1 : 0));
                }
            }
            if (tensorboard != null) {
                callbacks.add(new TensorBoard(tensorboard).histogramFreq(1));
            }
            options.callbacks(callbacks.toArray(new Callback[0]));
            long t0 = System.nanoTime();
            History history = labelSmoothing > 0
                    ? model.fit(prep.apply(train.images()), Labels.oneHot(train.labels(), classes), options)
                    : model.fit(prep.apply(train.images()), train.labels(), options);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> test = labelSmoothing > 0
                    ? model.evaluate(prep.apply(tt.test().images()), Labels.oneHot(tt.test().labels(), classes))
                    : model.evaluate(prep.apply(tt.test().images()), tt.test().labels());
            System.out.printf(Locale.ROOT, "Trained %d epoch%s in %.1f s. Test loss: %.4f - test accuracy: %.4f "
                    + "(%d test images)%n", history.epochs().size(), history.epochs().size() == 1 ? "" : "s", seconds,
                    test.get("loss"),
                    test.get("accuracy"), tt.test().size());
            if (epochs == 0 && Files.exists(output)) {
                System.out.println("--epochs 0 trained nothing: kept the existing " + output.toAbsolutePath()
                        + " rather than overwrite it with an untrained model");
            } else {
                model.save(output);
                System.out.println("Saved the model to " + output.toAbsolutePath());
            }
            if (historyCsv != null) {
                history.writeCsv(historyCsv);
                System.out.println("Wrote the training history to " + historyCsv.toAbsolutePath());
            }
            if (plot != null) {
                history.plot(plot);
                System.out.println("Drew the training curves to " + plot.toAbsolutePath());
            }
        }
        return 0;
    }

    /** Fails before any data is loaded or trained if the model could not be saved to {@code --output}. */
    private void checkOutput() throws IOException {
        try {
            AtomicFiles.checkWritable(output.toAbsolutePath(), false);
        } catch (IOException e) {
            throw new IOException("--output: " + e.getMessage() + " (checked before training)", e);
        }
    }

    /**
     * Rejects option values that are out of range or that the chosen optimizer would silently ignore, before any
     * data is read, naming the flag rather than the library method that would otherwise reject the value (or,
     * worse, accept it: a negative dropout rate or L2 penalty trains without a word).
     */
    private void checkOptions() {
        if (layers.isEmpty()) {
            throw bad("--layers is empty; expected widths like 512,512");
        }
        for (int units : layers) {
            if (units < 1) {
                throw bad("--layers " + joined(layers) + ": a width of " + units + "; expected 1 or more units");
            }
        }
        if (epochs < 0) {
            throw bad("--epochs " + epochs + "; expected 1 or more");
        }
        if (batchSize < 1) {
            throw bad("--batch-size " + batchSize + "; expected 1 or more");
        }
        if (stepsPerExecution < 1) {
            throw bad("--steps-per-execution " + stepsPerExecution + "; expected 1 or more");
        }
        if (mixup != 0 && !(mixup >= OpChecks.MIXUP_MIN_ALPHA && mixup <= OpChecks.MIXUP_MAX_ALPHA)) {
            throw bad("--mixup " + mixup + "; expected 0 (off) or an alpha from " + OpChecks.MIXUP_MIN_ALPHA + " to "
                    + OpChecks.MIXUP_MAX_ALPHA + " (0.1 to 0.4 is usual)");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw bad("--label-smoothing " + labelSmoothing + "; expected 0 (off) or a value below 1 (0.1 is usual)");
        }
        if (validation < 0) {
            throw bad("--validation " + validation + "; expected 0 (no validation set) or a number of images");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw bad("--dropout " + dropout + "; expected a rate from 0 (none) up to, not including, 1");
        }
        if (!(l2 >= 0 && Double.isFinite(l2))) {
            throw bad("--l2 " + l2 + "; expected a penalty of 0 (none) or more, e.g. 1e-4");
        }
        if (!(maxNorm >= 0 && Double.isFinite(maxNorm))) {
            throw bad("--max-norm " + maxNorm + "; expected 0 (none) or a bound above 0, e.g. 3");
        }
        if (learningRate != null && !(learningRate > 0 && Double.isFinite(learningRate))) {
            throw bad("--lr " + learningRate + "; expected a learning rate above 0, e.g. 0.001");
        }
        if (verbose < 0 || verbose > 2) {
            throw bad("--verbose " + verbose + "; expected 0 (silent), 1 (progress bar) or 2 (one line per epoch)");
        }
        if (patience != null && patience < 0) {
            throw bad("--early-stopping " + patience + "; expected a patience of 0 or more epochs");
        }
        if (patience != null && validation == 0) {
            throw bad("--early-stopping watches val_loss, which needs a validation set; --validation 0 has none");
        }
        String opt = optimizer.toLowerCase(Locale.ROOT);
        boolean momentumApplies = opt.equals("sgd") || opt.equals("rmsprop");
        if (given("--momentum") && !momentumApplies) {
            throw bad("--momentum applies to sgd and rmsprop, not to --optimizer " + optimizer
                    + (opt.equals("adam") ? " (Adam's own momentum, beta_1, is fixed at 0.9)" : ""));
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw bad("--momentum " + momentum + "; expected from 0 (none) up to, not including, 1, e.g. 0.9");
        }
        if (nesterov && !opt.equals("sgd")) {
            throw bad("--nesterov applies to --optimizer sgd, not " + optimizer);
        }
        if (nesterov && momentum == 0) {
            throw bad("--nesterov needs --momentum above 0 (e.g. --momentum 0.9); without momentum it changes "
                    + "nothing");
        }
        if (!List.of("none", "cosine").contains(lrSchedule)) {
            throw bad("--lr-schedule " + lrSchedule + "; expected none or cosine");
        }
        if (!(decay >= 0 && Double.isFinite(decay))) {
            throw bad("--decay " + decay + "; expected 0 (none) or more, e.g. 0.01");
        }
        if (lrSchedule.equals("cosine") && (decay > 0 || reduceLrPatience != null)) {
            throw bad("--lr-schedule cosine sets the rate of every step; it cannot be combined with "
                    + (decay > 0 ? "--decay" : "--reduce-lr"));
        }
        if (historyCsv != null) {
            checkOutputFile("--history", historyCsv);
        }
        if (tensorboard != null && java.nio.file.Files.exists(tensorboard)
                && !java.nio.file.Files.isDirectory(tensorboard)) {
            throw bad("--tensorboard " + tensorboard + " is a file; expected a folder for the event files (made if"
                    + " missing)");
        }
        if (!List.of("val_loss", "val_accuracy").contains(earlyStoppingMonitor)) {
            throw bad("--early-stopping-monitor " + earlyStoppingMonitor + "; expected val_loss or val_accuracy");
        }
        if (reduceLrPatience != null && reduceLrPatience < 0) {
            throw bad("--reduce-lr " + reduceLrPatience + "; expected a patience of 0 or more epochs");
        }
        if (reduceLrPatience != null && validation == 0) {
            throw bad("--reduce-lr watches val_loss, which needs a validation set; --validation 0 has none");
        }
        if (!(reduceLrFactor > 0 && reduceLrFactor < 1)) {
            throw bad("--reduce-lr-factor " + reduceLrFactor + "; expected a factor between 0 and 1, e.g. 0.5");
        }
        if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|svg)")) {
            throw bad("--plot " + plot + "; expected a file name ending in .png or .svg");
        }
        checkAugmentation();
        // Names are looked up by the library; its message lists the valid ones, and the flag is named here.
        named("--activation", () -> dev.dendrite.backend.ActivationFunction.fromName(activation));
        named("--initializer", () -> dev.dendrite.initializers.Initializer.fromName(initializer));
        named("--optimizer", () -> Optimizer.fromName(optimizer));
        named("--preprocess", () -> Preprocessing.Kind.parse(preprocess));
    }

    /**
     * Checks the augmentation flags with the flag's name in the message (ImageDataGenerator's own would name the
     * Keras argument), so that a typo such as {@code --rotation-range 0.1} meant as a fraction is at least in range
     * and {@code --zoom-range 1} (a zoom of 0) is refused before any data is read.
     */
    private void checkAugmentation() {
        rangeOf("--rotation-range", rotationRange, 0, 180, "degrees, e.g. 10");
        rangeOf("--width-shift-range", widthShiftRange, 0, 1e4, "a fraction of the width below 1, e.g. 0.1, or pixels");
        rangeOf("--height-shift-range", heightShiftRange, 0, 1e4,
                "a fraction of the height below 1, e.g. 0.1, or pixels");
        rangeOf("--zoom-range", zoomRange, 0, 0.99, "e.g. 0.1 for zooms drawn from [0.9, 1.1]");
        rangeOf("--shear-range", shearRange, 0, 89, "degrees, e.g. 10");
        try {
            dev.dendrite.backend.FillMode.fromName(fillMode);
        } catch (IllegalArgumentException e) {
            throw bad("--fill-mode: " + e.getMessage());
        }
        if (given("--fill-mode") && !augments()) {
            throw bad("--fill-mode applies to augmentation; give --rotation-range, --width-shift-range, "
                    + "--height-shift-range, --zoom-range or --shear-range too");
        }
    }

    private void rangeOf(String option, double value, double min, double max, String expected) {
        if (!(value >= min && value <= max)) {
            throw bad(option + " " + value + "; expected " + min + " (off) to " + max + ": " + expected);
        }
    }

    /** Whether any augmentation flag is on. */
    private boolean augments() {
        return rotationRange != 0 || widthShiftRange != 0 || heightShiftRange != 0 || zoomRange != 0
                || shearRange != 0;
    }

    /** The augmentation layer the flags describe (none if every range is 0), for images of this sample shape. */
    private List<Layer> augmentation(int[] sampleShape) {
        if (!augments()) {
            return List.of();
        }
        if (!(sampleShape.length == 2 || sampleShape.length == 3 && sampleShape[2] == 1)) {
            throw new IllegalArgumentException("the augmentation flags take one-channel images; the data's samples "
                    + "have shape " + Arrays.toString(sampleShape));
        }
        ImageDataGenerator datagen = new ImageDataGenerator().rotationRange(rotationRange)
                .widthShiftRange(widthShiftRange).heightShiftRange(heightShiftRange).zoomRange(zoomRange)
                .shearRange(shearRange).fillMode(fillMode);
        return List.of(datagen.asLayer(sampleShape[0], sampleShape[1]));
    }

    /**
     * Refuses an output path that cannot become a file, before training rather than after it: a folder, or a
     * file in a folder that does not exist.
     */
    private void checkOutputFile(String option, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (java.nio.file.Files.isDirectory(abs)) {
            throw bad(option + " " + file + ": " + abs + " is a folder; expected a file name, e.g. "
                    + abs.resolve("history.csv"));
        }
        Path parent = abs.getParent();
        if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
            throw bad(option + " " + file + ": the folder " + parent + " does not exist");
        }
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static String joined(List<Integer> values) {
        StringBuilder sb = new StringBuilder();
        for (int v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }

    /** A name the library looks up, rejected as a usage error of {@code option} (exit 2, as every bad flag). */
    private void named(String option, Runnable lookup) {
        try {
            lookup.run();
        } catch (IllegalArgumentException e) {
            throw bad(option + ": " + e.getMessage());
        }
    }

    /** The network the flags describe, built by the same code as a {@code compare} run's (checked flags only). */
    private Sequential buildModel(int[] sampleShape, int classes) {
        RunConfig net = new RunConfig().with("layers", joined(layers)).with("activation", activation)
                .with("initializer", initializer).with("l2", Double.toString(l2))
                .with("batch_norm", Boolean.toString(batchNorm)).with("dropout", Double.toString(dropout))
                .with("max_norm", Double.toString(maxNorm));
        return net.model(sampleShape, classes, augmentation(sampleShape)).seed(seed);
    }

    /** Applies --lr-schedule and --decay; the cosine schedule spans every step of the run. */
    private Optimizer withRateOptions(Optimizer o, int trainRows) {
        if (lrSchedule.equals("cosine")) {
            long steps = (long) Math.max(1, epochs) * ((trainRows + batchSize - 1) / batchSize);
            o.setLearningRate(new CosineDecay(o.learningRate(), Math.max(1, steps)));
        }
        o.options().decay(decay);
        return o;
    }

    private Optimizer makeOptimizer() {
        switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "sgd":
                return new SGD(learningRate == null ? SGD.DEFAULT_LEARNING_RATE : learningRate, momentum, nesterov);
            case "adam":
                return new Adam(learningRate == null ? Adam.DEFAULT_LEARNING_RATE : learningRate);
            case "rmsprop":
                return new RMSprop(learningRate == null ? RMSprop.DEFAULT_LEARNING_RATE : learningRate, 0.9,
                        momentum, 1e-7, false);
            case "adagrad":
                return new Adagrad(learningRate == null ? Adagrad.DEFAULT_LEARNING_RATE : learningRate);
            default:
                Optimizer other = Optimizer.fromName(optimizer); // throws the standard message
                if (learningRate != null) {
                    other.setLearningRate(learningRate);
                }
                return other;
        }
    }
}
