package dev.dendrite.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader sees either the old file or the complete new one, never a partial file:
 * the bytes go to a temporary file in the same folder, are forced to disk, and the temporary file is renamed
 * over the target. A failure (an exception from the content writer included) leaves the previous file untouched
 * and removes the temporary one.
 *
 * <p>The temporary file is named {@code .<target name>.<random>.tmp}. It is created with the process's default
 * permissions (umask), like any new file, so the result is readable by whoever could read a plainly written file.
 * A symbolic link at the target is replaced by the new file, not written through.
 */
public final class AtomicFiles {
    /** Chunk size of the buffered stream handed to {@link Content#writeTo}. */
    private static final int BUFFER_BYTES = 1 << 16;
    /** Keeps {@code .<name>.<16 hex>.tmp} within the usual 255-byte file name limit. */
    private static final int MAX_NAME_PREFIX = 200;

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
        Files.createDirectories(dir);
        Path tmp = createTemp(dir, abs.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                // Not closed via try-with-resources: closing would close the channel before force().
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER_BYTES);
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
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
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

    private static Path createTemp(Path dir, String name) throws IOException {
        String prefix = "." + (name.length() > MAX_NAME_PREFIX ? name.substring(0, MAX_NAME_PREFIX) : name) + ".";
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
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
