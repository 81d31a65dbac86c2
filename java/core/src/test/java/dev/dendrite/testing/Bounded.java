package dev.dendrite.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.function.Supplier;

import org.junit.jupiter.api.function.Executable;

/**
 * For hostile-input tests: the input must be rejected with a given exception within a time limit (generous, for
 * a shared 2-core machine) and without allocating more than a stated number of bytes on the rejecting thread
 * (measured by the JVM's per-thread allocation counter, so it fails even when the heap could have held it).
 */
public final class Bounded {
    /** Wall-clock bound of every rejection: "within seconds" with room for a busy CI machine. */
    public static final Duration TIME = Duration.ofSeconds(20);

    private Bounded() {
    }

    /** Asserts that {@code body} throws {@code type} within {@link #TIME}, allocating at most {@code maxBytes}. */
    public static <T extends Throwable> T rejects(Class<T> type, long maxBytes, Executable body) {
        return assertTimeoutPreemptively(TIME, () -> {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadAllocatedBytes();
            T e = assertThrows(type, body);
            long used = mx.getCurrentThreadAllocatedBytes() - before;
            assertTrue(used <= maxBytes, "allocated " + used + " bytes to reject the input; expected at most "
                    + maxBytes + " (" + e + ")");
            return e;
        });
    }

    /** Asserts that {@code e}'s message contains every one of {@code parts}. */
    public static void mentions(Throwable e, String... parts) {
        for (String p : parts) {
            Supplier<String> m = () -> "message lacks '" + p + "': " + e.getMessage();
            assertTrue(e.getMessage() != null && e.getMessage().contains(p), m);
        }
    }

    /** Runs {@code body} with system property {@code key} set to {@code value}, restoring it afterwards. */
    public static void withProperty(String key, String value, Executable body) throws Throwable {
        String old = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.execute();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }
}
