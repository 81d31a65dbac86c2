package dev.dendrite.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dendrite} command line: {@code train}, {@code compare}, {@code evaluate}, {@code predict} and
 * {@code info}.
 * Every command has {@code --help}.
 */
@Command(name = "dendrite", mixinStandardHelpOptions = true, version = "Dendrite 0.1.0",
        description = "Train and run dense neural networks (MLPs) on Fashion-MNIST, MNIST and your own images.",
        subcommands = {TrainCommand.class, CompareCommand.class, EvaluateCommand.class, PredictCommand.class,
            InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs the command line and returns its exit code (0 on success, 1 on an error, 2 on bad usage). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // A user error (bad file, bad value) deserves its message, not a stack trace.
            System.err.println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (Boolean.getBoolean("dendrite.debug")) {
                ex.printStackTrace();
            }
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
