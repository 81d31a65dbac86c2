package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatasetTest {
    private static final String[] NAMES = {"cat", "dog"};

    @Test
    void validatesLabels() {
        ByteTensor x = ByteTensor.wrap(new byte[6], 3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dataset(x, new int[] {0, 1}, NAMES, "src"));
        assertTrue(e.getMessage().contains("3 images but 2 labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dataset(x, new int[] {0, 2, 1}, NAMES, "src"));
        assertTrue(e.getMessage().contains("index 1 is 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dataset(x, new int[3], new String[0], "src"));
    }

    @Test
    void isImmutable() {
        int[] y = {0, 1, 1};
        String[] names = NAMES.clone();
        Dataset d = new Dataset(ByteTensor.wrap(new byte[3], 3, 1), y, names, "src");
        y[0] = 1;
        names[0] = "changed";
        d.labels()[1] = 0;
        d.classNames()[1] = "changed";
        assertArrayEquals(new int[] {0, 1, 1}, d.labels());
        assertArrayEquals(NAMES, d.classNames());
        assertArrayEquals(new int[] {1, 2}, d.classCounts());
    }

    @Test
    void rowsAndSelectKeepLabelsWithImages() {
        Dataset d = new Dataset(ByteTensor.wrap(new byte[] {10, 11, 12, 13}, 4, 1), new int[] {0, 1, 1, 0},
                NAMES, "src");
        Dataset r = d.rows(1, 3);
        assertEquals(11, r.images().pixel(0, 0));
        assertArrayEquals(new int[] {1, 1}, r.labels());
        assertTrue(r.source().startsWith("src"), r.source());
        Dataset s = d.select(new int[] {3, 0}, "picked");
        assertEquals(13, s.images().pixel(0, 0));
        assertArrayEquals(new int[] {0, 0}, s.labels());
        assertEquals("src, picked", s.source());
        assertThrows(IndexOutOfBoundsException.class, () -> d.select(new int[] {4}, "x"));
        assertThrows(IllegalArgumentException.class, () -> d.rows(2, 5));
        assertEquals("dog", d.className(d.label(1)));
    }
}
