package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LabelsTest {
    @Test
    void oneHotAndBack() {
        int[] y = {2, 0, 1, 2};
        Tensor t = Labels.oneHot(y, 3);
        assertArrayEquals(new int[] {4, 3}, t.shape());
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, t.toArray());
        assertArrayEquals(y, Labels.argMax(t));
    }

    @Test
    void argMaxTakesFirstOnTies() {
        assertArrayEquals(new int[] {1, 0}, Labels.argMax(Tensor.of(new float[][] {{0, 5, 5}, {2, 2, 1}})));
    }

    @Test
    void outOfRangeLabelNamesIndexAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Labels.oneHot(new int[] {0, 1, 10, -1}, 10));
        assertTrue(e.getMessage().contains("index 2 is 10"), e.getMessage());
        assertTrue(e.getMessage().contains("[0, 10)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Labels.requireInRange(new int[] {3, -1}, 10));
        assertTrue(e.getMessage().contains("index 1 is -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Labels.oneHot(new int[] {0}, 0));
    }

    @Test
    void countsAndNumClasses() {
        assertArrayEquals(new int[] {1, 0, 3}, Labels.counts(new int[] {2, 0, 2, 2}, 3));
        assertEquals(8, Labels.numClasses(new int[] {0, 7, 3}));
        assertEquals(0, Labels.numClasses(new int[0]));
    }

    @Test
    void requireFiniteNamesRowAndFeature() {
        Tensor t = Tensor.zeros(3, 2, 2);
        assertDoesNotThrow(() -> Labels.requireFinite(t, "x"));
        t.set(2, 3, Float.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Labels.requireFinite(t, "training inputs"));
        assertTrue(e.getMessage().contains("training inputs has NaN at row 2, feature 3"), e.getMessage());
        // A view starting at row 1 reports its own row numbering.
        e = assertThrows(IllegalArgumentException.class, () -> Labels.requireFinite(t.rows(1, 3), "v"));
        assertTrue(e.getMessage().contains("row 1, feature 3"), e.getMessage());
        Tensor inf = Tensor.zeros(2, 2);
        inf.set(0, 1, Float.NEGATIVE_INFINITY);
        e = assertThrows(IllegalArgumentException.class, () -> Labels.requireFinite(inf, "x"));
        assertTrue(e.getMessage().contains("-Infinity at row 0, feature 1"), e.getMessage());
    }

    @Test
    void requireFiniteChecksTransformedBytes() {
        ByteTensor b = ByteTensor.wrap(new byte[] {0, 1, 2, 3}, 2, 2);
        assertDoesNotThrow(() -> Labels.requireFinite(b, "x"));
        float[] scale = {1, 1};
        float[] shift = {0, Float.NaN};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Labels.requireFinite(b.withTransform(scale, shift), "bytes"));
        assertTrue(e.getMessage().contains("row 0, feature 1"), e.getMessage());
    }

    @Test
    void requireSameRows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Labels.requireSameRows(Tensor.zeros(3, 2), new int[2], "validation data"));
        assertTrue(e.getMessage().contains("validation data has 3 samples but 2 labels"), e.getMessage());
    }
}
