package dev.dendrite.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes files so that a reader sees either the old file or the complete new one, never a partial file:
 * the bytes go to a temporary file in the same folder, are forced to disk, and the temporary file is renamed
 * over the target. A failure (an exception from the content writer included) leaves the previous file untouched
 * and removes the temporary one.
 *
 * <p>The temporary file is named {@code .<target name>.dendrite-tmp-<pid>-<random>}. It is created with the
 * process's default permissions (umask), like any new file, so the result is readable by whoever could read a
 * plainly written file. A symbolic link at the target is replaced by the new file, not written through.
 *
 * <p><b>Killed writes.</b> A process killed mid-write cannot remove its temporary file, so every write (and
 * {@link #removeOrphans}, which model loading calls) first deletes the temporary files in the target's folder that
 * no running process can own: those whose process id is not alive, or whose process started after the file was
 * last modified (the id was reused). A live writer's temporary file is never touched.
 *
 * <p><b>Failures name the target.</b> An I/O failure of the file system (disk full, read-only file system, a
 * folder where the file should be) is an {@link IOException} whose message starts with the target path; the
 * previous file is kept. {@link #checkWritable} finds most of these before a long computation starts.
 */
public final class AtomicFiles {
    /** Chunk size of the buffered stream handed to {@link Content#writeTo}. */
    private static final int BUFFER_BYTES = 1 << 16;
    /** Keeps {@code .<name>.dendrite-tmp-<pid>-<16 hex>} within the usual 255-byte file name limit. */
    private static final int MAX_NAME_PREFIX = 200;
    /** Marks Dendrite's temporary files; what follows is {@code <pid>-<16 hex>}. */
    private static final String TMP_MARK = ".dendrite-tmp-";
    private static final Pattern TMP_NAME = Pattern.compile("\\..*\\.dendrite-tmp-([0-9]{1,19})-[0-9a-f]{1,16}");

    private AtomicFiles() {
    }

    /**
     * Produces a file's content into a stream. Implementations write everything and return; throwing aborts
     * the write and leaves the previous file as it was. Closing the stream is neither needed nor harmful.
     */
    @FunctionalInterface
    public interface Content {
        /** Writes the whole content to {@code out}. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Atomically replaces {@code target} with {@code bytes}, creating parent folders as needed. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Atomically replaces {@code target} with what {@code content} writes, creating parent folders as needed.
     * The content is streamed, so it need not fit in one array.
     *
     * @throws IOException      if the folder, the temporary file or the rename fails, or {@code content} throws one
     * @throws RuntimeException whatever {@code content} throws; the target is untouched in every failure case
     */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            throw new IOException(target + " is a file system root; expected a file path");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw failure(target, "its folder cannot be created", e);
        }
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + " is a directory; expected a file path (nothing was written)");
        }
        removeOrphans(dir);
        Path tmp;
        try {
            tmp = createTemp(dir, abs.getFileName().toString());
        } catch (IOException e) {
            throw failure(target, "a file cannot be created in its folder", e);
        }
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                // Not closed via try-with-resources: closing would close the channel before force().
                OutputStream out = new BufferedOutputStream(new NamingStream(Channels.newOutputStream(ch), target),
                        BUFFER_BYTES);
                content.writeTo(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len); // FilterOutputStream's default writes byte by byte
                    }

                    @Override
                    public void close() throws IOException {
                        flush(); // keep the channel open for force()
                    }
                });
                out.flush();
                try {
                    ch.force(true);
                } catch (IOException e) {
                    throw failure(target, "its data could not be forced to disk", e);
                }
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw failure(target, "the finished file could not be renamed into place", e);
            }
            moved = true;
            syncDirectory(dir);
        } catch (IOException | RuntimeException | Error e) {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup); // the original failure is the one worth reporting
                }
            }
            throw e;
        }
    }

    /**
     * Checks, before a long computation, that {@link #write} will be able to put a file at {@code target}: the
     * target is not a directory, its folder exists (or, with {@code createFolders}, its nearest existing ancestor is
     * a folder) and a file can really be created there (this creates and deletes a temporary file, which also
     * catches read-only file systems and, unlike permission bits, holds when running as root).
     *
     * @throws IOException whose message starts with {@code target} as given and says what is wrong
     */
    public static void checkWritable(Path target, boolean createFolders) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            throw new IOException(target + " is a file system root; expected a file path");
        }
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + " is a directory; expected a file path");
        }
        Path existing = dir;
        if (createFolders) {
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
        }
        if (existing == null || !Files.exists(existing)) {
            throw new IOException(target + " cannot be written: its folder " + dir + " does not exist");
        }
        if (!Files.isDirectory(existing)) {
            throw new IOException(target + " cannot be written: " + existing + " is not a folder");
        }
        removeOrphans(existing);
        try {
            Files.delete(createTemp(existing, abs.getFileName().toString()));
        } catch (IOException e) {
            throw failure(target, "no file can be created in " + existing, e);
        }
    }

    /**
     * Deletes the temporary files of killed writes in {@code dir} (see the class description). Best effort: a
     * folder that cannot be listed or a file that cannot be deleted is left as it is.
     */
    public static void removeOrphans(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*" + TMP_MARK + "*")) {
            for (Path p : entries) {
                Matcher m = TMP_NAME.matcher(p.getFileName().toString());
                if (m.matches() && isOrphan(p, m.group(1))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Never a reason to fail the write or read that asked for it.
        }
    }

    private static boolean isOrphan(Path tmp, String pidText) throws IOException {
        long pid;
        try {
            pid = Long.parseLong(pidText);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> owner = ProcessHandle.of(pid);
        if (owner.isEmpty()) {
            return true;
        }
        Optional<Instant> started = owner.get().info().startInstant();
        Instant modified = Files.getLastModifiedTime(tmp, LinkOption.NOFOLLOW_LINKS).toInstant();
        // A process that started after the file last changed cannot have written it: its id was reused. The
        // two clocks are the same machine's; a second of slack covers their different resolutions.
        return started.isPresent() && modified.plusSeconds(1).isBefore(started.get());
    }

    /** An I/O failure of the target's file system, reworded to start with the target (not the temporary file). */
    private static IOException failure(Path target, String what, IOException cause) {
        return new IOException(target + " could not be written: " + what + " (" + cause + "); any previous file"
                + " there is unchanged", cause);
    }

    /** The channel's stream, whose failures (disk full, I/O error) name the target rather than the temporary file. */
    private static final class NamingStream extends FilterOutputStream {
        private final Path target;

        NamingStream(OutputStream out, Path target) {
            super(out);
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw failure(target, "writing its content failed", e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw failure(target, "writing its content failed", e);
            }
        }
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        String prefix = "." + (name.length() > MAX_NAME_PREFIX ? name.substring(0, MAX_NAME_PREFIX) : name) + TMP_MARK
                + ProcessHandle.current().pid() + "-";
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                // Files.createTempFile would make it rw------- on POSIX, and the rename would carry that mode
                // over to the target; CREATE_NEW applies the umask like any ordinary new file.
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Forces the rename itself to disk, so that after a crash the folder holds the new file rather than the old
     * one. Best effort: not every platform can open a folder as a channel (Windows cannot), and the file is
     * already complete and in place by now, so failing here must not fail the write.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // see above
        }
    }
}
