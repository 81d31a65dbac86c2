package dev.dendrite.spark;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * SubmitCompare's own checks, before it hands over to the CLI: what it says when spark-submit gave no master, when
 * {@code --spark} is given too, and when dendrite-cli.jar is missing (it is not on this module's test class path;
 * the whole path through spark-submit is checked by {@code java/spark/check-spark-submit.sh}).
 */
class SubmitCompareTest {
    @Test
    void withoutAMasterItSaysToRunItWithSparkSubmit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SubmitCompare.run("", new String[] {"--sample"}));
        assertTrue(e.getMessage().contains("spark-submit --master"), e.getMessage());
    }

    @Test
    void aSecondMasterOnTheCommandLineIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SubmitCompare.run("local[2]", new String[] {"--sample", "--spark", "local[1]"}));
        assertTrue(e.getMessage().contains("'--spark'") && e.getMessage().contains("local[2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SubmitCompare.run("local[2]", new String[] {"--spark=yarn"}));
        assertTrue(e.getMessage().contains("'--spark=yarn'"), e.getMessage());
    }

    @Test
    void withoutTheCliJarItSaysToAddItWithJars() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SubmitCompare.run("local[2]", new String[] {"--sample"}));
        assertTrue(e.getMessage().contains(SubmitCompare.CLI) && e.getMessage().contains("--jars"), e.getMessage());
    }
}
