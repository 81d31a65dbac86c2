package dev.dendrite.constraints;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.initializers.Constant;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.PReLU;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.SGD;

/**
 * The constraints' public surface on the CPU: Keras's names and serialized forms, the errors for bad arguments
 * and axes, the model file, and the engine's update paths (by layer; the whole update that checkNumerics runs;
 * recorded executions of several steps) giving the same bits. KerasConstraintsTest checks the values against Keras.
 */
class ConstraintsTest {
    @Test
    void kerassNamesGiveKerassDefaults() {
        assertEquals(2.0, ((MaxNorm) Constraint.get("max_norm")).maxValue());
        assertEquals(0, ((MaxNorm) Constraint.get("MaxNorm")).axis());
        MinMaxNorm m = (MinMaxNorm) Constraint.get("min_max_norm");
        assertEquals(List.of(0.0, 1.0, 1.0, 0), List.of(m.minValue(), m.maxValue(), m.rate(), m.axis()));
        assertInstanceOf(UnitNorm.class, Constraint.get("unit_norm"));
        assertInstanceOf(NonNeg.class, Constraint.get("non_neg"));
        assertNull(Constraint.get("none"));
        assertNull(Constraint.get(null));
        Constraint given = new MaxNorm(3);
        assertEquals(given, Constraint.get(given));
    }

    @Test
    void theSerializedFormIsKerassAndReadsBack() {
        Map<String, Object> s = new MinMaxNorm(0.5, 1.5, 0.7, 1).serialize();
        assertEquals("keras.constraints", s.get("module"));
        assertEquals("MinMaxNorm", s.get("class_name"));
        assertTrue(s.containsKey("registered_name") && s.get("registered_name") == null, s.toString());
        MinMaxNorm back = (MinMaxNorm) Constraint.get(s);
        assertEquals(List.of(0.5, 1.5, 0.7, 1), List.of(back.minValue(), back.maxValue(), back.rate(), back.axis()));
        // Keras accepts an axis list; one axis is what a Dense weight has.
        MaxNorm listed = (MaxNorm) Constraint.get(Map.of("class_name", "MaxNorm", "config",
                Map.of("max_value", 3, "axis", List.of(1))));
        assertEquals(1, listed.axis());
    }

    @Test
    void badArgumentsAreRefusedNamingTheValue() {
        assertMessage("max_value -1.0", () -> new MaxNorm(-1));
        assertMessage("max_value NaN", () -> new MaxNorm(Double.NaN));
        assertMessage("min_value 2.0, max_value 1.0", () -> new MinMaxNorm(2, 1));
        assertMessage("rate 1.5", () -> new MinMaxNorm(0, 1, 1.5, 0));
        assertMessage("axis 2", () -> new UnitNorm(2));
        assertMessage("unknown constraint 'maxnorm2'", () -> Constraint.get("maxnorm2"));
        assertMessage("axis [0, 1]", () -> Constraint.get(Map.of("class_name", "MaxNorm", "config",
                Map.of("axis", List.of(0, 1)))));
        assertMessage("expected a name", () -> Constraint.get(42));
    }

    @Test
    void anAxisThatDoesNotFitTheWeightFailsAtCompile() {
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "relu").biasConstraint(new MaxNorm(1, 1)),
                new Dense(2, "softmax"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.compile("sgd", "sparse_categorical_crossentropy"));
            assertTrue(e.getMessage().contains("MaxNorm(axis=1) on the bias of layer 'dense' of shape [3]"),
                    e.getMessage());
        }
    }

    @Test
    void theModelFileKeepsTheConstraints(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.safetensors");
        try (Sequential m = net(7)) {
            m.compile(new SGD(0.5), "sparse_categorical_crossentropy");
            m.save(file);
        }
        try (Sequential back = Sequential.load(file)) {
            Dense d = (Dense) back.layers().get(1); // after the Input
            MaxNorm k = (MaxNorm) d.kernelConstraint();
            assertEquals(List.of(0.5, 0), List.of(k.maxValue(), k.axis()));
            assertInstanceOf(NonNeg.class, d.biasConstraint());
            assertInstanceOf(UnitNorm.class, ((Dense) back.layers().get(2)).kernelConstraint());
            assertNull(((Dense) back.layers().get(2)).biasConstraint());
        }
    }

    @Test
    void aNonNegPreluAlphaStaysNonNegativeAndIsSaved(@TempDir Path dir) throws Exception {
        Random r = new Random(5);
        float[] x = new float[64 * 6];
        int[] y = new int[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        Path file = dir.resolve("prelu.safetensors");
        for (boolean constrained : new boolean[] {false, true}) {
            PReLU prelu = new PReLU().alphaInitializer(new Constant(-0.05));
            if (constrained) {
                prelu.alphaConstraint(new NonNeg());
            }
            try (Sequential m = new Sequential(new Input(6), new Dense(8), prelu, new Dense(3, "softmax")).seed(2)) {
                m.compile(new SGD(0.1), "sparse_categorical_crossentropy");
                m.fit(Tensor.wrap(x, y.length, 6), y, new FitOptions().batchSize(16).epochs(2).verbose(0));
                float min = Float.MAX_VALUE;
                for (float a : m.getWeights().get(2)) {
                    min = Math.min(min, a);
                }
                // Unconstrained, alpha starts at -0.05 and stays below 0 somewhere; NonNeg clamps it at 0.
                assertTrue(constrained ? min >= 0f : min < 0f, "constrained " + constrained + ": min alpha " + min);
                m.save(file);
            }
        }
        try (Sequential back = Sequential.load(file)) {
            assertInstanceOf(NonNeg.class, ((PReLU) back.layers().get(2)).alphaConstraint());
        }
    }

    @Test
    void everyUpdatePathGivesTheSameBitsAndKeepsTheBounds() {
        Random r = new Random(7);
        int n = 64;
        float[] x = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
        }
        List<float[]> byLayer = fit(x, y, new FitOptions());
        List<float[]> whole = fit(x, y, new FitOptions().checkNumerics(true));
        List<float[]> fourAtOnce = fit(x, y, new FitOptions().stepsPerExecution(4));
        for (int k = 0; k < byLayer.size(); k++) {
            assertArrayEquals(byLayer.get(k), whole.get(k), "weight " + k + ", the whole update");
            assertArrayEquals(byLayer.get(k), fourAtOnce.get(k), "weight " + k + ", four steps an execution");
        }
        float[] kernel = byLayer.get(0);
        for (int c = 0; c < 5; c++) {
            double sq = 0;
            for (int i = 0; i < 6; i++) {
                sq += (double) kernel[i * 5 + c] * kernel[i * 5 + c];
            }
            assertTrue(Math.sqrt(sq) <= 0.5 * (1 + 1e-6), "column " + c + " norm " + Math.sqrt(sq));
        }
        for (float b : byLayer.get(1)) {
            assertTrue(b >= 0f, "a NonNeg bias " + b);
        }
    }

    private static List<float[]> fit(float[] x, int[] y, FitOptions options) {
        try (Sequential m = net(11)) {
            m.compile(new SGD(0.5), "sparse_categorical_crossentropy");
            m.fit(Tensor.wrap(x, y.length, 6), y, options.batchSize(16).epochs(3).seed(3).verbose(0));
            return m.getWeights();
        }
    }

    private static Sequential net(long seed) {
        return new Sequential(new Input(6),
                new Dense(5, "relu").kernelConstraint(new MaxNorm(0.5)).biasConstraint("non_neg"),
                new Dense(3, "softmax").kernelConstraint(new UnitNorm())).seed(seed);
    }

    private static void assertMessage(String part, Runnable body) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
