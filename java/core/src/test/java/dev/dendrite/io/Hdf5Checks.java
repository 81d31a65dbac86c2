package dev.dendrite.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

/** The checks of a refused or damaged file that Hdf5FileTest and Hdf5AttributesTest share, over either reader. */
final class Hdf5Checks {
    /** {@link Hdf5File#readDatasets} or {@link Hdf5File#readAttributes}. */
    @FunctionalInterface
    interface Reader {
        Object read(byte[] bytes, String source) throws IOException;
    }

    private Hdf5Checks() {
    }

    /** Reading fails with an IOException naming the source and the offset, and containing every fragment. */
    static IOException assertBad(Reader reader, byte[] bytes, String source, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> reader.read(bytes, source));
        String m = e.getMessage();
        assertTrue(m.startsWith(source + ": at offset "), () -> "message should name the file and offset: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), () -> "expected \"" + fragment + "\" in: " + m);
        }
        return e;
    }

    /**
     * Damages {@code full} at every {@code step}-th offset, by 8 bytes of 0xFF and by one random byte: each read
     * gives a result or an IOException, never another throwable, and at least one 0xFF damage is refused.
     */
    static void damagedEverywhere(Reader reader, byte[] full, String name, int step) {
        Random random = new Random(name.hashCode());
        int refused = 0;
        for (int i = 0; i < full.length; i += step) {
            byte[] ff = full.clone();
            Arrays.fill(ff, i, Math.min(full.length, i + 8), (byte) 0xFF);
            if (!readsOrRefuses(reader, ff, name + " with 0xFF at " + i)) {
                refused++;
            }
            byte[] one = full.clone();
            one[i] = (byte) random.nextInt(256);
            readsOrRefuses(reader, one, name + " with a random byte at " + i);
        }
        assertTrue(refused > 0, name);
    }

    /** Reads damaged bytes: an IOException or a result are both fine, any other throwable fails the test. */
    static boolean readsOrRefuses(Reader reader, byte[] bytes, String what) {
        try {
            reader.read(bytes, "damaged");
            return true;
        } catch (IOException e) {
            assertTrue(e.getMessage().startsWith("damaged: at offset "), e.getMessage());
            return false;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }
}
