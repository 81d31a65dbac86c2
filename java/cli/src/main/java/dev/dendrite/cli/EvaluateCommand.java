package dev.dendrite.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Labels;
import dev.dendrite.data.TrainTest;
import dev.dendrite.metrics.ClassificationReport;
import dev.dendrite.model.Sequential;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dendrite evaluate}: a saved model's loss and accuracy on a test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Report a saved model's loss and accuracy on the test images of a dataset, preprocessed as "
                + "during training.")
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, defaultValue = "dendrite-model.safetensors", paramLabel = "FILE",
            description = "The model file written by 'train' or Sequential.save (default: ${DEFAULT-VALUE}).")
    Path modelFile;

    // `dendrite evaluate my-model.safetensors` is what a newcomer types first; picocli's own answer to it
    // ("Unmatched argument at index 1") says nothing useful, so the file is also taken without -m.
    @Parameters(arity = "0..1", paramLabel = "MODEL",
            description = "The model file, as an alternative to -m.")
    Path positionalModel;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--preprocess", paramLabel = "KIND",
            description = "For a model file that does not record its preprocessing (one saved from Java): none or "
                    + "scale (pixels / 255), as it was trained. Files written by 'train' record it.")
    String preprocess;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto", description = "auto, cpu, cuda or opencl.")
    String backend;

    @Option(names = "--report", description = "Also print the per-class precision, recall, F1 and support, and the "
            + "confusion matrix, with the dataset's class names.")
    boolean report;

    @Override
    public Integer call() throws Exception {
        modelFile = SavedModel.choose(spec, modelFile, positionalModel);
        SavedModel.check(modelFile);
        try (Backend be = CliBackend.open(backend, System.err);
             Sequential model = SavedModel.open(modelFile, be)) {
            Path abs = modelFile.toAbsolutePath().normalize();
            if (model.loss() == null) {
                throw new IllegalArgumentException(abs + " holds no training configuration (it was saved before "
                        + "compile, or with saveWeights), so it has no loss to evaluate; 'predict' can still use it");
            }
            ModelContext ctx = ModelContext.of(model, modelFile, preprocess, System.err);
            // 'train --dataset mnist' records the dataset: evaluate on it unless told otherwise, and say so when
            // told otherwise (a model scored on the other dataset's test images scores as if it guessed).
            String trainedOn = model.metadata().get("dataset");
            boolean datasetGiven = spec.commandLine().getParseResult().hasMatchedOption("--dataset");
            if (trainedOn != null && !datasetGiven) {
                data.dataset = trainedOn;
            } else if (trainedOn != null && !DataOptions.sameDataset(trainedOn, data.dataset)) {
                System.err.println("warning: " + abs + " was trained on " + trainedOn + "; evaluating it on "
                        + data.dataset + " as --dataset says.");
            }
            TrainTest tt = data.load();
            System.out.println("Data: " + tt.source());
            int classes = model.layers().get(model.layers().size() - 1).outputSize();
            int[] labels = tt.test().labels();
            int datasetClasses = tt.classNames().length;
            if (classes < datasetClasses && classes > 1) {
                throw new IllegalArgumentException(abs + " has " + classes + " outputs but " + data.dataset
                        + " has " + datasetClasses + " classes; evaluate it on the dataset it was trained on");
            }
            Inputs x = ctx.inputs(tt.test().images());
            // A model compiled with categorical_crossentropy (from Java) wants one-hot rows, not class indices.
            Map<String, Double> m = model.loss().sparseLabels() ? model.evaluate(x, labels)
                    : model.evaluate(x, Labels.oneHot(labels, classes));
            StringBuilder sb = new StringBuilder();
            m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " - ").append("test ").append(k)
                    .append(": ").append(String.format(Locale.ROOT, "%.4f", v)));
            System.out.println(sb + " (" + tt.test().size() + " images)");
            if (report) {
                System.out.print(ClassificationReport.evaluate(model, x, labels,
                        classes == datasetClasses ? List.of(tt.classNames()) : null));
            }
        }
        return 0;
    }
}
