package dev.dendrite.callbacks;

import java.io.PrintStream;

/**
 * Keeps callback messages off the progress bar's line. An interactive {@link ProgressBar} leaves its line
 * open (no newline) so it can redraw it with {@code '\r'}; a message printed by another callback in the
 * meantime would otherwise be glued to the end of the bar. Keras works around this by starting every
 * message with a newline, which leaves blank lines in plain logs; tracking the open line avoids both.
 */
final class ConsoleOutput {
    /** The stream on which a progress bar has left a line without its newline, or null. */
    private static PrintStream openLine;

    private ConsoleOutput() {
    }

    /** Records that {@code out} now ends in an unfinished line. */
    static synchronized void markOpen(PrintStream out) {
        openLine = out;
    }

    /** Records that the unfinished line on {@code out}, if any, has been ended. */
    static synchronized void markClosed(PrintStream out) {
        if (openLine == out) {
            openLine = null;
        }
    }

    /** True while {@code out} ends in an unfinished progress line. */
    static synchronized boolean isOpen(PrintStream out) {
        return openLine == out;
    }

    /**
     * Prints {@code message} on a line of its own. An open progress line is ended first whatever stream it
     * is on: interactive output means a terminal, where stdout and stderr share the screen.
     */
    static synchronized void println(PrintStream out, String message) {
        if (openLine != null) {
            openLine.println();
            openLine.flush();
            openLine = null;
        }
        out.println(message);
        out.flush();
    }
}
