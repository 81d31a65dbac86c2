package dev.dendrite.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** StepReplay's report: one row per variant, a positive time per product and their sum; bad arguments refused. */
class StepReplayTest {

    @Test
    void reportsEveryProductForEveryVariant() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            StepReplay.main(new String[] {"3", "2"});
        } finally {
            System.setOut(old);
        }
        List<String> lines = Arrays.asList(bytes.toString(StandardCharsets.UTF_8).split("\n"));
        assertTrue(lines.get(0).contains("3 steps per variant"), lines.get(0));
        assertTrue(lines.get(2).trim().startsWith("between steps"), lines.get(2));
        List<String> rows = lines.subList(3, lines.size()).stream().filter(l -> !l.isBlank())
                .collect(Collectors.toList());
        assertEquals(List.of("nothing", "Adam", "gather X", "Adam + gather X", "16 MB fill"),
                rows.stream().map(l -> l.substring(0, 16).trim()).collect(Collectors.toList()));
        for (String row : rows) {
            long[] us = Arrays.stream(row.substring(16).trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
            assertEquals(9, us.length, row);  // eight products and their sum
            assertEquals(Arrays.stream(us, 0, 8).sum(), us[8], row);
            assertTrue(us[0] > 0, row);  // the 128 x 512 x 784 product takes at least a microsecond
        }
    }

    @Test
    void refusesZeroStepsOrThreads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StepReplay.main(new String[] {"0", "2"}));
        assertTrue(e.getMessage().contains("steps = 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StepReplay.main(new String[] {"5", "0"}));
    }
}
