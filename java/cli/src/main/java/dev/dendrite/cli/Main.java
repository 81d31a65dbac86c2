package dev.dendrite.cli;

import java.io.PrintWriter;

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
    /** Exit code of a run that failed (a file that cannot be read, a value a library rejected). */
    static final int EXIT_ERROR = 1;
    /** Exit code of a command line that is wrong in itself (an unknown option, a value out of range). */
    static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs the command line and returns its exit code (0 on success, 1 on an error, 2 on bad usage). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // A bad option gets one line and where to look, as git and coreutils do; not the whole usage text,
        // which pushes the error itself off the screen.
        cl.setParameterExceptionHandler((ex, ignored) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("error: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println(tryHelp(cmd));
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // A user error (bad file, bad value) deserves its message, not a stack trace.
            PrintWriter err = commandLine.getErr();
            err.println("error: " + UserMessages.describe(ex));
            if (ex instanceof IllegalArgumentException) {
                err.println(tryHelp(commandLine));
            }
            if (Boolean.getBoolean("dendrite.debug")) {
                ex.printStackTrace(err);
            } else if (!(ex instanceof IllegalArgumentException) && !(ex instanceof java.io.IOException)
                    && !(ex instanceof UnsupportedOperationException)) {
                err.println("(java -Ddendrite.debug=true -jar ... prints the stack trace)");
            }
            err.flush();
            return EXIT_ERROR;
        });
        return cl.execute(args);
    }

    /** The hint printed under a usage error: {@code Try 'dendrite train --help' for more information.} */
    static String tryHelp(CommandLine cmd) {
        return "Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.";
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
