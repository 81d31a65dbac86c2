package dev.dendrite.regularizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A regularizer reads back from Dendrite's config and from the form a Keras file holds, keeping its factors: a Keras
 * {@code L2(0.05)} read as no penalty at all would train silently differently.
 */
class RegularizerConfigTest {
    private static Map<String, Object> keras(String className, Map<String, Object> config) {
        return Map.of("module", "keras.regularizers", "class_name", className, "config", config);
    }

    @Test
    void kerasSerializedFormsKeepTheirFactors() {
        assertEquals(Map.of("l1", 0.0, "l2", (double) 0.05f),
                Regularizer.fromConfig(keras("L2", Map.of("l2", 0.05))).config());
        assertEquals(Map.of("l1", (double) 0.02f, "l2", 0.0),
                Regularizer.fromConfig(keras("L1", Map.of("l1", 0.02))).config());
        assertEquals(Map.of("l1", (double) 0.01f, "l2", (double) 0.02f),
                Regularizer.fromConfig(keras("L1L2", Map.of("l1", 0.01, "l2", 0.02))).config());
        Regularizer r = Regularizer.l1l2(0.003, 0.004);
        assertEquals(r.config(), Regularizer.fromConfig(r.config()).config(), "Dendrite's own form");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Regularizer.fromConfig(keras("OrthogonalRegularizer", Map.of("factor", 0.01))));
        assertEquals("regularizer class 'OrthogonalRegularizer'; expected L1, L2 or L1L2", e.getMessage());
    }
}
