package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compare --spark}: the CLI carries no Spark, so on its own class path (this module's tests have neither
 * dendrite-spark nor Spark) the option says what to add, before any data is read. The runs on Spark themselves
 * are tested in dendrite-spark (CompareOnSpark).
 */
class CompareSparkOptionTest {
    @Test
    void sparkWithoutDendriteSparkOnTheClassPathSaysWhatToAdd(@TempDir Path dir) {
        CliRun.Result r = CliRun.run("compare", "--sample", "--spark", "local[2]", "-o", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("--spark local[2] needs dendrite-spark and Apache Spark 4"), r.toString());
        assertTrue(r.out().contains("(not found: org.apache.spark.sql.SparkSession)"), r.toString());
        assertFalse(r.out().contains("Data:"), "rejected before the data is read: " + r);
    }

    @Test
    void sparkRefusesBackendAndParallelByName(@TempDir Path dir) {
        CliRun.Result r = CliRun.run("compare", "--sample", "--spark", "local[2]", "--parallel", "2", "-o",
                dir.resolve("o").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.out().contains("--backend auto and --parallel 2 do not apply"), r.toString());
    }
}
