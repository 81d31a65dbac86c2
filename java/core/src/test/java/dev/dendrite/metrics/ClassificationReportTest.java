package dev.dendrite.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.data.Tensor;

/** The confusion matrix and per-class report, on predictions whose counts are worked out by hand. */
class ClassificationReportTest {
    @Test
    void countsAndRatiosAsScikitLearnDefinesThem() {
        // true:      0  0  0  1  1  2  2  2  2
        // predicted: 0  1  0  1  1  2  0  1  2   (row 1 ties classes 1 and 2: the first wins)
        float[][] p = {{.8f, .1f, .1f}, {.1f, .6f, .3f}, {.5f, .2f, .3f}, {.2f, .7f, .1f}, {.1f, .45f, .45f},
                {.1f, .1f, .8f}, {.6f, .2f, .2f}, {.3f, .4f, .3f}, {0f, .4f, .6f}};
        int[] y = {0, 0, 0, 1, 1, 2, 2, 2, 2};
        ClassificationReport r = ClassificationReport.of(Tensor.of(p), y, List.of("cat", "dog", "bird"));
        long[][] m = r.confusionMatrix();
        assertArrayEquals(new long[] {2, 1, 0}, m[0]);
        assertArrayEquals(new long[] {0, 2, 0}, m[1]);
        assertArrayEquals(new long[] {1, 1, 2}, m[2]);
        assertEquals(2.0 / 3, r.precision(0), 1e-15);
        assertEquals(2.0 / 3, r.recall(0), 1e-15);
        assertEquals(0.5, r.precision(1), 1e-15);
        assertEquals(1.0, r.recall(1), 1e-15);
        assertEquals(2 * 0.5 / 1.5, r.f1(1), 1e-15);
        assertEquals(1.0, r.precision(2), 1e-15);
        assertEquals(0.5, r.recall(2), 1e-15);
        assertEquals(4, r.support(2));
        assertEquals(6.0 / 9, r.accuracy(), 1e-15);
        String text = r.toString();
        assertTrue(text.contains("bird") && text.contains("macro avg") && text.contains("weighted avg"), text);
    }

    @Test
    void aOneUnitOutputIsTwoClassesAtHalf() {
        ClassificationReport r = ClassificationReport.of(Tensor.of(new float[][] {{.5f}, {.51f}, {.2f}, {.9f}}),
                new int[] {1, 1, 0, 0}, null);
        assertArrayEquals(new long[] {1, 1}, r.confusionMatrix()[0]);
        assertArrayEquals(new long[] {1, 1}, r.confusionMatrix()[1]);
        assertEquals(List.of("0", "1"), r.classNames());
    }

    @Test
    void aClassNeverPredictedHasZeroPrecision() {
        ClassificationReport r = ClassificationReport.of(Tensor.of(new float[][] {{.9f, .1f}, {.8f, .2f}}),
                new int[] {0, 1}, null);
        assertEquals(0, r.precision(1));
        assertEquals(0, r.f1(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationReport.of(Tensor.of(new float[][] {{.9f, .1f}}), new int[] {2}, null));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
    }
}
