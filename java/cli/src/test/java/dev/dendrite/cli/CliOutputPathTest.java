package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train -o}: a path that cannot take the model fails before any data is loaded or trained, naming the
 * path in full; {@code --epochs 0} does not replace an existing model with an untrained one. Running as root
 * ignores permission bits, so the unwritable cases are a directory in place of the file, a missing folder and a
 * regular file in place of the folder.
 */
class CliOutputPathTest {
    private static Object[] run(String... args) {
        CliRun.Result r = CliRun.run(args);
        return new Object[] {r.code(), r.out()};
    }

    private static void failsBeforeTraining(Path output, String why) {
        long t0 = System.nanoTime();
        Object[] r = run("train", "--sample", "--epochs", "1", "--layers", "8", "--backend", "cpu", "--verbose", "2",
                "-o", output.toString());
        String out = (String) r[1];
        assertEquals(1, r[0], out);
        assertTrue(out.contains("error: --output: " + output.toAbsolutePath()) && out.contains(why), out);
        assertFalse(out.contains("Data:") || out.contains("Epoch"), "nothing was loaded or trained: " + out);
        assertFalse(out.contains("dendrite-tmp"), "the temporary file is not what the user is told about: " + out);
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "took " + (System.nanoTime() - t0) / 1e9 + " s");
    }

    @Test
    void aFolderAsOutputFailsAtOnce(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("models"));
        failsBeforeTraining(folder, "is a directory");
    }

    @Test
    void aMissingParentFailsAtOnce(@TempDir Path dir) {
        failsBeforeTraining(dir.resolve("no/such/folder/m.safetensors"), "does not exist");
    }

    @Test
    void aFileInPlaceOfTheFolderFailsAtOnce(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        failsBeforeTraining(file.resolve("m.safetensors"), "is not a folder");
    }

    @Test
    void zeroEpochsKeepsAnExistingModel(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("m.safetensors");
        Object[] first = run("train", "--sample", "--epochs", "1", "--layers", "8", "--backend", "cpu",
                "--verbose", "0", "-o", model.toString());
        assertEquals(0, first[0], (String) first[1]);
        byte[] trained = Files.readAllBytes(model);
        Object[] zero = run("train", "--sample", "--epochs", "0", "--layers", "8", "--backend", "cpu", "--verbose",
                "0", "-o", model.toString(), "--seed", "3");
        String out = (String) zero[1];
        assertEquals(0, zero[0], out);
        assertTrue(out.contains("--epochs 0 trained nothing: kept the existing " + model.toAbsolutePath()), out);
        assertArrayEquals(trained, Files.readAllBytes(model));

        Path fresh = dir.resolve("fresh.safetensors");
        Object[] none = run("train", "--sample", "--epochs", "0", "--layers", "8", "--backend", "cpu", "--verbose",
                "0", "-o", fresh.toString());
        assertEquals(0, none[0], (String) none[1]);
        assertTrue(Files.exists(fresh), "with no file to keep, the initialised model is saved as before");
    }
}
