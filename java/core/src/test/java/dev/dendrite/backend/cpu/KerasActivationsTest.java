package dev.dendrite.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.keras.KerasFixtures;

/**
 * Every element-wise activation, by each name Keras 3 accepts for it, against Keras's own values and JAX's
 * gradients at the same float32 points ({@code bench/keras/activations_fixture.py}: a grid over [-8, 8] that holds
 * every kink, the kinks' float neighbours, large values and normal draws). The conformance suite ties the GPU
 * backends to the same float64 reference that {@link CpuActivationsTest} ties these to.
 *
 * <p>Tolerance: 4e-6 of {@code max(1, |value|)}. Dendrite's CPU values are within an ulp of the exact ones; Keras
 * evaluates its formulas in float32 as written, a few ulps off (swish's and mish's derivatives by up to 9e-7), and
 * more where they cancel: squareplus's {@code (x + sqrt(x^2 + 4)) / 2} at x = -88 is 1.8e-6 from the exact
 * 0.0113622. A wrong constant or branch is off by orders more.
 *
 * <p>The derivatives differ at two kinds of kink only, by convention (ActivationFunction's Javadoc): leaky_relu's
 * at 0, the slope there as in TensorFlow where JAX takes 1, and sparse_sigmoid's at -1 and 1, 0 where JAX takes
 * the mean of the two sides. The test names each such point, so that any other difference fails.
 */
class KerasActivationsTest {
    private static final String FIXTURE = "keras-activations.json";
    private static final double TOLERANCE = 4e-6;

    /** The points where Dendrite's derivative is not JAX's: name, x, JAX's value, Dendrite's. */
    private static final Object[][] CONVENTIONS = {
        {"leaky_relu", 0f, 1f, 0.2f},
        {"sparse_sigmoid", -1f, 0.25f, 0f},
        {"sparse_sigmoid", 1f, 0.25f, 0f},
    };

    private static Map<String, Object> fixture() throws IOException {
        return KerasFixtures.load(KerasActivationsTest.class, FIXTURE, "bench/keras/activations_fixture.py");
    }

    static Stream<String> names() throws IOException {
        return KerasFixtures.names(fixture().get("cases")).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void valuesAndDerivativesAreKeras(String name) throws IOException {
        Map<String, Object> fixture = fixture();
        Map<String, Object> kase = KerasFixtures.named(fixture.get("cases"), name);
        float[] x = values(fixture.get("x"));
        float[] y = values(kase.get("y"));
        float[] dy = values(kase.get("dy"));
        ActivationFunction f = ActivationFunction.fromName(name);
        float alpha = f.defaultAlpha();
        int conventions = 0;
        for (int i = 0; i < x.length; i++) {
            float got = CpuActivations.forward(f, alpha, x[i]);
            assertNear(name + "(" + x[i] + ")", y[i], got);
            float gotD = CpuActivations.derivative(f, alpha, x[i], got);
            Object[] convention = convention(name, x[i]);
            if (convention != null) {
                assertEquals((Float) convention[2], dy[i], name + "'(" + x[i] + ") in JAX");
                assertEquals((Float) convention[3], gotD, name + "'(" + x[i] + ") in Dendrite");
                conventions++;
            } else {
                assertNear(name + "'(" + x[i] + ")", dy[i], gotD);
            }
        }
        long listed = Stream.of(CONVENTIONS).filter(c -> c[0].equals(name)).count();
        assertEquals(listed, conventions, name + ": the listed conventions are points of the fixture");
    }

    /** The name Keras writes back for each activation is Dendrite's own, so files round-trip. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void theNameParsesToAnActivationThatKerasNames(String name) {
        ActivationFunction f = ActivationFunction.fromName(name);
        String canonical = name.equals("silu") ? "swish" : name.equals("hard_swish") ? "hard_silu" : name;
        assertEquals(canonical, f.kerasName());
    }

    private static Object[] convention(String name, float x) {
        for (Object[] c : CONVENTIONS) {
            if (c[0].equals(name) && (Float) c[1] == x) {
                return c;
            }
        }
        return null;
    }

    private static void assertNear(String what, float want, float got) {
        if (Float.isInfinite(want) || Float.isNaN(want)) {
            assertEquals(want, got, what);
            return;
        }
        double tolerance = TOLERANCE * Math.max(1, Math.abs(want));
        if (!(Math.abs(got - (double) want) <= tolerance)) {
            fail(what + ": Keras " + want + ", Dendrite " + got + ", tolerance " + tolerance);
        }
    }

    /** Numbers, or the strings "Infinity", "-Infinity" and "NaN" that stand for JSON's missing non-finite ones. */
    @SuppressWarnings("unchecked")
    private static float[] values(Object list) {
        List<Object> items = (List<Object>) list;
        float[] r = new float[items.size()];
        for (int i = 0; i < r.length; i++) {
            Object v = items.get(i);
            r[i] = v instanceof String s ? Float.parseFloat(s) : ((Number) v).floatValue();
        }
        assertTrue(r.length > 0, "an empty list in the fixture");
        return r;
    }
}
