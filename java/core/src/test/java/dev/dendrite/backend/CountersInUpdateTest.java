package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.cpu.CpuBackend;

/**
 * The bookkeeping both GPU backends keep inside Backend.updateThenAdvanceCounters: the counters go to the first rule
 * kernel that takes them and to no other, a kernel launched after that one within the update is refused (it would
 * run after the step's end), and every update ends clean, also one that threw.
 */
class CountersInUpdateTest {

    @Test
    void theCountersGoToOneKernelAndNothingMayFollowIt() {
        try (CpuBackend cpu = new CpuBackend(1); Buffer counters = cpu.allocate(DType.I32, 2)) {
            CountersInUpdate c = new CountersInUpdate("test");
            assertNull(c.take(), "outside an update nothing is handed out");
            c.launching("outside"); // and nothing is refused
            assertFalse(c.end());

            c.begin(counters.all());
            c.launching("clip_by_value"); // an option's kernel before the rule
            Slice taken = c.take();
            assertSame(counters, taken.buffer());
            assertNull(c.take(), "a second rule kernel gets nothing");
            c.launching("adam_update"); // the taking kernel itself
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.launching("sgd_update"));
            assertTrue(e.getMessage().contains("sgd_update") && e.getMessage().contains("test"), e.getMessage());
            assertFalse(c.end(), "the refusal ended the update");

            c.begin(counters.all());
            c.take();
            c.launching("adam_update");
            assertTrue(c.end(), "a kernel advanced the counters");
            c.launching("next step"); // after the update, launches are free again

            assertTrue(c.run(counters.all(), () -> {
                c.take();
                c.launching("sgd_update");
            }), "run: taken");
            assertThrows(IllegalStateException.class, () -> c.run(counters.all(), () -> {
                throw new IllegalStateException("the update failed");
            }));
            assertFalse(c.run(counters.all(), () -> { }), "run ends clean after a failure; nothing taken");

            c.begin(counters.all());
            IllegalStateException nested = assertThrows(IllegalStateException.class, () -> c.begin(counters.all()));
            assertTrue(nested.getMessage().contains("inside another"), nested.getMessage());
            assertFalse(c.end(), "nothing took them: the caller advances them itself");
        }
    }
}
