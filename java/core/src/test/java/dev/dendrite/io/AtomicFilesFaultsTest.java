package dev.dendrite.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults around atomic writes: killed writers' temporary files, targets that cannot be written. Running as root
 * ignores permission bits, so "read-only" is simulated with a directory where the file should be and a regular
 * file where its folder should be; a full disk is simulated where a small file system is offered (see
 * {@link #aFullDiskKeepsTheOldFileAndNamesTheTarget}).
 */
class AtomicFilesFaultsTest {
    @TempDir
    Path dir;

    /** A pid that no process has: above the kernel's maximum. */
    private static final long DEAD_PID = 4_194_305L + 17;

    @Test
    void aKilledWritersTempFileIsRemovedByTheNextWriteInThatFolder() throws IOException {
        Path dead = Files.writeString(dir.resolve(".model.dmodel.dendrite-tmp-" + DEAD_PID + "-1f2e3d"), "half");
        Path reused = Files.writeString(dir.resolve(".other.dendrite-tmp-" + ProcessHandle.current().pid() + "-ab"),
                "from an earlier process with this pid");
        // Older than this process: written by an earlier process that had the same pid.
        Files.setLastModifiedTime(reused, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        Path live = Files.writeString(dir.resolve(".busy.dendrite-tmp-" + ProcessHandle.current().pid() + "-cd"),
                "being written right now");
        Path notOurs = Files.writeString(dir.resolve(".x.12345.tmp"), "someone else's");
        AtomicFiles.write(dir.resolve("model.dmodel"), new byte[] {1});
        assertTrue(Files.notExists(dead) && Files.notExists(reused));
        assertTrue(Files.exists(live) && Files.exists(notOurs));
        assertEquals(List.of(".busy.dendrite-tmp-" + ProcessHandle.current().pid() + "-cd", ".x.12345.tmp",
                "model.dmodel"), AtomicFilesTest.listing(dir));
    }

    @Test
    void loadingAModelFileAlsoRemovesThem() throws IOException {
        Path f = dir.resolve("w.safetensors");
        Safetensors.write(f, java.util.Map.of("a", new TensorData(new int[] {1}, new float[] {1})), null);
        Path dead = Files.writeString(dir.resolve(".w.safetensors.dendrite-tmp-" + DEAD_PID + "-99"), "half");
        ModelFile.readWeights(f);
        assertTrue(Files.notExists(dead));
    }

    @Test
    void temporaryFilesAreNamedSoTheyCanBeRecognised() throws IOException {
        Path f = dir.resolve("m.bin");
        AtomicFiles.write(f, out -> {
            List<String> names = AtomicFilesTest.listing(dir);
            assertEquals(1, names.size(), names.toString());
            assertTrue(names.get(0).matches("\\.m\\.bin\\.dendrite-tmp-" + ProcessHandle.current().pid()
                    + "-[0-9a-f]+"), names.toString());
            out.write(1);
        });
    }

    @Test
    void aDirectoryAtTheTargetIsRefusedAndKept() throws IOException {
        Path target = Files.createDirectories(dir.resolve("model.dmodel"));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}));
        assertTrue(e.getMessage().startsWith(target.toString()) && e.getMessage().contains("directory"),
                e.getMessage());
        assertTrue(Files.isDirectory(target)); // an empty folder is not silently replaced by the file
        e = assertThrows(IOException.class, () -> AtomicFiles.checkWritable(target, false));
        assertTrue(e.getMessage().startsWith(target.toString()), e.getMessage());
    }

    @Test
    void checkWritableFindsMissingFoldersAndFilesInTheWay() throws IOException {
        Path missing = dir.resolve("no/such/m.dmodel");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.checkWritable(missing, false));
        assertTrue(e.getMessage().startsWith(missing.toString()) && e.getMessage().contains("does not exist"),
                e.getMessage());
        AtomicFiles.checkWritable(missing, true); // creatable: the nearest existing ancestor is writable
        assertTrue(Files.notExists(dir.resolve("no")), "the check creates nothing");

        Path file = Files.writeString(dir.resolve("plain"), "x");
        Path under = file.resolve("m.dmodel");
        e = assertThrows(IOException.class, () -> AtomicFiles.checkWritable(under, true));
        assertTrue(e.getMessage().startsWith(under.toString()) && e.getMessage().contains("not a folder"),
                e.getMessage());
        assertThrows(IOException.class, () -> AtomicFiles.write(under, new byte[] {1}));
        assertEquals("x", Files.readString(file));
        assertEquals(List.of("plain"), AtomicFilesTest.listing(dir));
    }

    /**
     * Runs only where {@code DENDRITE_SMALL_FS} names a folder on a small file system (e.g. a 256 KiB tmpfs:
     * {@code mount -t tmpfs -o size=256k tmpfs /mnt/small}); see RELIABILITY.md.
     */
    @Test
    void aFullDiskKeepsTheOldFileAndNamesTheTarget() throws IOException {
        String small = System.getenv("DENDRITE_SMALL_FS");
        assumeTrue(small != null && Files.isDirectory(Path.of(small)),
                "DENDRITE_SMALL_FS does not name a folder on a small file system");
        Path f = Path.of(small).resolve("full.bin");
        AtomicFiles.write(f, "old".getBytes(StandardCharsets.UTF_8));
        long free = Files.getFileStore(f).getUsableSpace();
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, new byte[(int) free + (1 << 20)]));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("unchanged"), e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("full.bin"), AtomicFilesTest.listing(Path.of(small)).stream()
                .filter(n -> n.contains("full.bin")).toList());
        Files.delete(f);
    }
}
