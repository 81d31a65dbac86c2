package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train}'s ImageDataGenerator-named augmentation flags put one RandomAffine first in the network: training
 * changes, the saved model holds the layer and evaluates (the layer passes images through at inference), and each
 * bad value is refused naming its flag before any data is read.
 */
class TrainAugmentationCliTest {
    private static final String[] AUGMENT = {"--rotation-range", "10", "--width-shift-range", "0.1",
        "--height-shift-range", "0.1", "--zoom-range", "0.1"};

    private static CliRun.Result train(Path dir, String name, String... extra) {
        String[] base = {"train", "--sample", "--backend", "cpu", "--layers", "16", "--epochs", "1", "--history",
            dir.resolve(name + ".csv").toString(), "-o", dir.resolve(name + ".safetensors").toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.run(args);
    }

    @Test
    void augmentationFlagsAddOneRandomAffineThatChangesTraining(@TempDir Path dir) throws IOException {
        CliRun.Result plain = train(dir, "plain", "--verbose", "1");
        assertEquals(0, plain.code(), plain.toString());
        assertFalse(plain.out().contains("RandomAffine"), plain.toString());

        String[] flags = new String[AUGMENT.length + 2];
        System.arraycopy(AUGMENT, 0, flags, 0, AUGMENT.length);
        flags[AUGMENT.length] = "--verbose";
        flags[AUGMENT.length + 1] = "1";
        CliRun.Result augmented = train(dir, "augmented", flags);
        assertEquals(0, augmented.code(), augmented.toString());
        assertTrue(augmented.out().contains("random_affine (RandomAffine)"), augmented.toString());
        assertNotEquals(Files.readAllLines(dir.resolve("plain.csv")).get(1),
                Files.readAllLines(dir.resolve("augmented.csv")).get(1), "augmentation trained exactly as without it");

        CliRun.Result eval = CliRun.run("evaluate", "--sample", "--backend", "cpu", "-m",
                dir.resolve("augmented.safetensors").toString());
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(eval.out().toLowerCase(java.util.Locale.ROOT).contains("accuracy"), eval.toString());
    }

    @Test
    void badValuesAreRefusedNamingTheFlag(@TempDir Path dir) {
        String[][] cases = {
            {"--rotation-range", "-5", "--rotation-range -5.0; expected 0.0 (off) to 180.0: degrees"},
            {"--rotation-range", "NaN", "--rotation-range NaN; expected"},
            {"--width-shift-range", "-0.1", "--width-shift-range -0.1; expected 0.0 (off)"},
            {"--height-shift-range", "1e9", "--height-shift-range 1.0E9; expected"},
            {"--zoom-range", "1", "--zoom-range 1.0; expected 0.0 (off) to 0.99"},
            {"--shear-range", "90", "--shear-range 90.0; expected 0.0 (off) to 89.0"},
            {"--fill-mode", "mirror", "--fill-mode: "},
        };
        for (String[] c : cases) {
            String[] extra = c[0].equals("--fill-mode") ? new String[] {"--rotation-range", "5", c[0], c[1]}
                    : new String[] {c[0], c[1]};
            CliRun.Result r = train(dir, "bad", extra);
            assertEquals(2, r.code(), c[0] + " " + c[1] + ": " + r);
            assertTrue(r.out().contains(c[2]), "lacks '" + c[2] + "': " + r);
            assertFalse(r.out().contains("Data:"), "refused before any data was read: " + r);
            assertFalse(Files.exists(dir.resolve("bad.safetensors")));
        }
        CliRun.Result alone = train(dir, "bad", "--fill-mode", "constant");
        assertEquals(2, alone.code(), alone.toString());
        assertTrue(alone.out().contains("--fill-mode applies to augmentation"), alone.toString());
    }
}
