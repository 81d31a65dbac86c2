package dev.dendrite.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.Sequential;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Opens the file a user named with {@code --model}. Every error names the file by its whole path, says what is
 * wrong with it and what to do, instead of the bare {@code Is a directory} or relative file name that the
 * readers' own exceptions carry when they are shown out of context.
 */
final class SavedModel {
    /** Appended to every load error: what a model file is, and where one comes from. */
    static final String WHAT_TO_DO = "--model expects a .safetensors file written by 'dendrite train' or by "
            + "Sequential.save in Java, a .keras file (Keras 3's model.save, or 'dendrite train -o m.keras'), or a "
            + "legacy Keras .h5 model file.";

    private SavedModel() {
    }

    /**
     * The model file a command was given: by {@code -m} or as its argument, not both with different files.
     *
     * @param option what {@code -m/--model} holds (its default when not given)
     * @param positional the argument, or null when there is none
     */
    static Path choose(CommandSpec spec, Path option, Path positional) {
        if (positional == null) {
            return option;
        }
        boolean optionGiven = spec.commandLine().getParseResult().hasMatchedOption("--model");
        if (optionGiven && !option.toAbsolutePath().normalize().equals(positional.toAbsolutePath().normalize())) {
            throw new ParameterException(spec.commandLine(), "two model files given: " + option + " (-m) and "
                    + positional + "; give one");
        }
        return positional;
    }

    /**
     * Checks that {@code file} is there to be read, before a command spends time starting a backend.
     *
     * @throws IOException naming the whole path and what to do
     */
    static void check(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new IOException(abs + " is a folder, not a model file" + modelFilesIn(abs) + ". " + WHAT_TO_DO);
        }
        if (!Files.exists(abs)) {
            throw new IOException("no model file at " + abs + ". Train one first with 'dendrite train' (it saves "
                    + "dendrite-model.safetensors in the current folder, or where -o says), or pass --model FILE.");
        }
        if (!Files.isReadable(abs)) {
            throw new IOException("cannot read the model file " + abs + ": permission denied.");
        }
    }

    /** {@link #check}s {@code file} and loads the model it holds onto {@code backend}. */
    static Sequential open(Path file, Backend backend) throws IOException {
        check(file);
        Path abs = file.toAbsolutePath().normalize();
        try {
            return Sequential.load(abs, backend);
        } catch (IOException | RuntimeException e) {
            String why = UserMessages.describe(e);
            // The readers start their messages with the file name; it is said once, here, in full.
            for (String prefix : new String[] {abs + ": ", file + ": "}) {
                if (why.startsWith(prefix)) {
                    why = why.substring(prefix.length());
                }
            }
            throw new IOException("cannot load the model file " + abs + ": " + why + ". " + WHAT_TO_DO, e);
        }
    }

    /** {@code " (it holds a.safetensors, b.keras)"} when a folder holds model-like files, else "". */
    private static String modelFilesIn(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            String names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors") || n.endsWith(".keras") || n.endsWith(".h5")).sorted()
                    .limit(5)
                    .collect(Collectors.joining(", "));
            return names.isEmpty() ? "" : " (it holds " + names + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
