package dev.dendrite.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Turns an exception into the one line a user reads. Java's file exceptions carry only a path as their message
 * ({@code NoSuchFileException: model.safetensors}), sometimes a relative one, and plain {@code IOException}s
 * sometimes only the operating system's words ({@code Is a directory}); each is spelled out here with the
 * whole path.
 */
final class UserMessages {
    private UserMessages() {
    }

    static String describe(Throwable ex) {
        if (ex instanceof FileSystemException) {
            FileSystemException f = (FileSystemException) ex;
            String file = whole(f.getFile());
            String other = f.getOtherFile() == null ? "" : " (and " + whole(f.getOtherFile()) + ")";
            if (ex instanceof NoSuchFileException) {
                return "no such file or folder: " + file + other;
            }
            if (ex instanceof AccessDeniedException) {
                return "permission denied: " + file + other;
            }
            if (ex instanceof NotDirectoryException) {
                return "not a folder: " + file;
            }
            return file + other + ": " + (f.getReason() == null ? ex.getClass().getSimpleName() : f.getReason());
        }
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            return ex.getClass().getSimpleName();
        }
        return message;
    }

    /** {@code name} as an absolute, normalised path: a user can paste it into a file manager. */
    static String whole(String name) {
        if (name == null) {
            return "(unknown file)";
        }
        try {
            return Path.of(name).toAbsolutePath().normalize().toString();
        } catch (RuntimeException e) {
            return name;
        }
    }
}
