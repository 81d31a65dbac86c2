package dev.dendrite.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.ImageLoader;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;
import dev.dendrite.model.Sequential;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dendrite predict --image my.png}: classify your own pictures. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify your own pictures (PNG, JPEG, GIF, BMP; any size and colour) with a saved model.",
            "Each picture is converted to 28x28 grayscale; Fashion-MNIST and MNIST show light objects on a dark "
                + "background, so a photo on a light background is inverted (see --invert)."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, defaultValue = "dendrite-model.safetensors", paramLabel = "FILE",
            description = "The model file written by 'train' or Sequential.save (default: ${DEFAULT-VALUE}).")
    Path modelFile;

    @Option(names = {"-i", "--image"}, arity = "1..*", paramLabel = "IMAGE",
            description = "One or more picture files (they may also be given without -i).")
    List<Path> images = new ArrayList<>();

    // `dendrite predict shoe.png` without -i is the natural first try; picocli would answer it with
    // "Unmatched argument", so pictures are taken either way.
    @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "Picture files, as an alternative to -i.")
    List<Path> positionalImages = new ArrayList<>();

    @Option(names = "--invert", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (invert when the border is mostly bright), yes or no (default: ${DEFAULT-VALUE}).")
    String invert;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3",
            description = "How many classes to list (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--preprocess", paramLabel = "KIND",
            description = "For a model file that does not record its preprocessing (one saved from Java): none or "
                    + "scale (pixels / 255), as it was trained. Files written by 'train' record it.")
    String preprocess;

    @Option(names = "--force", description = "Classify pictures that look blank, nearly uniform or tiny, which "
            + "are otherwise refused (a model gives every picture some class, even an empty page).")
    boolean force;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto", description = "auto, cpu, cuda or opencl.")
    String backend;

    @Override
    public Integer call() throws Exception {
        images.addAll(positionalImages);
        if (images.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "no picture given; usage: dendrite predict [-m MODEL] "
                    + "IMAGE... (for example: dendrite predict -m dendrite-model.safetensors shoe.png)");
        }
        for (Path image : images) {
            // The model file given where a picture goes is the likely slip; say so instead of failing to decode it.
            String name = String.valueOf(image.getFileName());
            if (name.endsWith(".safetensors") || name.endsWith(".keras")) {
                throw new ParameterException(spec.commandLine(), image + " is a model file, not a picture; give "
                        + "the model with -m: dendrite predict -m " + image + " IMAGE...");
            }
        }
        ImageLoader.Invert mode;
        switch (invert.toLowerCase(Locale.ROOT)) {
            case "auto":
                mode = ImageLoader.Invert.AUTO;
                break;
            case "yes":
            case "true":
            case "always":
                mode = ImageLoader.Invert.ALWAYS;
                break;
            case "no":
            case "false":
            case "never":
                mode = ImageLoader.Invert.NEVER;
                break;
            default:
                throw new ParameterException(spec.commandLine(), "--invert '" + invert
                        + "'; expected auto, yes or no");
        }
        if (top < 1) {
            throw new ParameterException(spec.commandLine(), "--top " + top + "; expected 1 or more");
        }
        int refused = 0;
        SavedModel.check(modelFile);
        try (Backend be = CliBackend.open(backend, System.err);
             Sequential model = SavedModel.open(modelFile, be)) {
            ModelContext ctx = ModelContext.of(model, modelFile, preprocess, System.err);
            int[] shape = model.layers().get(0).inputShape();
            for (Path image : images) {
                // The whole path, so that a reader's complaint about the file names it in full.
                ByteTensor pixels = ImageLoader.load(image.toAbsolutePath().normalize(),
                        shape.length == 2 ? shape[1] : ImageLoader.DEFAULT_SIZE,
                        shape.length == 2 ? shape[0] : ImageLoader.DEFAULT_SIZE, mode);
                String problem = PictureCheck.problem(image, pixels);
                if (problem != null && !force) {
                    System.err.println("error: " + image.toAbsolutePath().normalize() + " was not classified: "
                            + problem + ". Use --force to classify it anyway.");
                    refused++;
                    continue;
                }
                if (problem != null) {
                    System.err.println("warning: " + image + ": " + problem + "; classified because of --force.");
                }
                Inputs x = ctx.inputs(pixels);
                Tensor p = model.predict(x);
                float[] probs = p.row(0);
                Integer[] order = new Integer[probs.length];
                for (int k = 0; k < order.length; k++) {
                    order[k] = k;
                }
                Arrays.sort(order, Comparator.comparingDouble((Integer k) -> -probs[k]));
                System.out.printf(Locale.ROOT, "%s: %s (%.1f%%)%n", image, ctx.className(order[0]),
                        100 * probs[order[0]]);
                for (int r = 0; r < Math.min(top, order.length); r++) {
                    System.out.printf(Locale.ROOT, "  %-12s %6.2f%%%n", ctx.className(order[r]), 100 * probs[order[r]]);
                }
            }
        }
        return refused == 0 ? 0 : Main.EXIT_ERROR;
    }
}
