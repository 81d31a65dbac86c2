package dev.dendrite.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AtomicFilesTest {
    @TempDir
    Path dir;

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesBytesAndCreatesFolders() throws IOException {
        Path f = dir.resolve("a/b/c.bin");
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        AtomicFiles.write(f, new byte[] {9});
        assertArrayEquals(new byte[] {9}, Files.readAllBytes(f));
        assertEquals(List.of("c.bin"), listing(f.getParent()));
    }

    @Test
    void streamsLargeContent() throws IOException {
        Path f = dir.resolve("big.bin");
        byte[] chunk = new byte[10_000];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) i;
        }
        AtomicFiles.write(f, out -> {
            for (int i = 0; i < 50; i++) {
                out.write(chunk);
            }
            out.write(7);
            out.close(); // allowed, must not lose data or break the fsync
        });
        byte[] back = Files.readAllBytes(f);
        assertEquals(500_001, back.length);
        assertEquals((byte) 7, back[500_000]);
        assertEquals(chunk[1234], back[3 * 10_000 + 1234]);
    }

    @Test
    void contentThrowingMidwayKeepsThePreviousFileAndLeavesNoTemp() throws IOException {
        Path f = dir.resolve("model.bin");
        AtomicFiles.write(f, "old".getBytes(StandardCharsets.UTF_8));

        IOException io = new IOException("disk on fire");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[200_000]); // beyond the buffer, so some bytes reach the temp file
            throw io;
        }));
        assertSame(io, thrown);
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("model.bin"), listing(dir));

        IllegalStateException bug = new IllegalStateException("bug");
        assertSame(bug, assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]);
            throw bug;
        })));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("model.bin"), listing(dir));

        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(f, out -> {
            throw new UncheckedIOException(new IOException("x"));
        }));
        assertEquals(List.of("model.bin"), listing(dir));
    }

    @Test
    void failedRenameRemovesTheTempFile() throws IOException {
        // A non-empty folder where the file should go: everything succeeds except the final rename.
        Path target = dir.resolve("taken");
        Files.createDirectories(target.resolve("inside"));
        assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}));
        assertEquals(List.of("taken"), listing(dir));
        assertEquals(List.of("inside"), listing(target));
    }

    @Test
    void writeIntoReadOnlyFolderFailsCleanly() throws IOException {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Path ro = dir.resolve("ro");
        Files.createDirectories(ro);
        Path f = ro.resolve("m.bin");
        AtomicFiles.write(f, new byte[] {1});
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "running as root: a read-only folder is still writable");
            assertThrows(IOException.class, () -> AtomicFiles.write(f, new byte[] {2}));
            assertArrayEquals(new byte[] {1}, Files.readAllBytes(f));
            assertEquals(List.of("m.bin"), listing(ro));
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void newFilesGetOrdinaryPermissionsNotOwnerOnly() throws IOException {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Path plain = Files.write(dir.resolve("plain"), new byte[0]); // created with the process umask
        Path atomic = dir.resolve("atomic");
        AtomicFiles.write(atomic, new byte[0]);
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(atomic),
                "a temp-file-based write must not leave the result rw------- (Files.createTempFile's mode)");
    }

    @Test
    void rejectsARootPath() {
        Path root = dir.getRoot();
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(root, new byte[0]));
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void longNamesStillGetATempFile() throws IOException {
        Path f = dir.resolve("m".repeat(250));
        AtomicFiles.write(f, new byte[] {5});
        assertArrayEquals(new byte[] {5}, Files.readAllBytes(f));
        assertEquals(1, listing(dir).size());
    }
}
