package dev.dendrite.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

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
