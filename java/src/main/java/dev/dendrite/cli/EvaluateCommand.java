package dev.dendrite.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.TrainTest;
import dev.dendrite.model.Sequential;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dendrite evaluate}: a saved model's loss and accuracy on a test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Report a saved model's loss and accuracy on the test images of a dataset, preprocessed as "
                + "during training.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, defaultValue = "dendrite-model.safetensors", paramLabel = "FILE",
            description = "The model file written by 'train' (default: ${DEFAULT-VALUE}).")
    Path modelFile;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu, cuda or opencl.")
    String backend;

    @Override
    public Integer call() throws Exception {
        try (Backend be = Backends.create(backend);
             Sequential model = Sequential.load(modelFile, be)) {
            if (model.loss() == null) {
                throw new IllegalArgumentException(modelFile + " holds no training configuration (loss); "
                        + "it cannot be evaluated");
            }
            ModelContext ctx = ModelContext.of(model, modelFile);
            TrainTest tt = data.load();
            System.out.println("Data: " + tt.source());
            Inputs x = ctx.preprocessing == null ? tt.test().images() : ctx.preprocessing.apply(tt.test().images());
            Map<String, Double> m = model.evaluate(x, tt.test().labels());
            StringBuilder sb = new StringBuilder();
            m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " - ").append("test ").append(k)
                    .append(": ").append(String.format(Locale.ROOT, "%.4f", v)));
            System.out.println(sb + " (" + tt.test().size() + " images)");
        }
        return 0;
    }
}
