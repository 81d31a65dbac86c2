package dev.dendrite.experiments;

/** Run names made safe as file names: anything but letters, digits, dot, dash and underscore becomes '_'. */
final class FileNames {
    private FileNames() {
    }

    static String of(String name) {
        String s = name.trim().replaceAll("[^A-Za-z0-9._-]+", "_");
        return s.isEmpty() || s.startsWith(".") ? "run" + s : s;
    }
}
