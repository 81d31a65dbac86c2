package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PreprocessingTest {
    /** 200 samples of 6 features; feature 5 is constant, the others have different ranges. */
    private static ByteTensor trainBytes() {
        Random r = new Random(7);
        byte[] px = new byte[200 * 6];
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 5; j++) {
                px[i * 6 + j] = (byte) (20 * j + r.nextInt(40 + 30 * j));
            }
            px[i * 6 + 5] = 17;
        }
        return ByteTensor.wrap(px, 200, 2, 3);
    }

    /** Another set with clearly different statistics (all bright). */
    private static ByteTensor otherBytes() {
        byte[] px = new byte[10 * 6];
        java.util.Arrays.fill(px, (byte) 250);
        return ByteTensor.wrap(px, 10, 2, 3);
    }

    private static double[] meanStd(Inputs x) {
        double sum = 0;
        double sq = 0;
        long n = (long) x.rows() * x.sampleSize();
        for (int r = 0; r < x.rows(); r++) {
            for (int f = 0; f < x.sampleSize(); f++) {
                sum += x.get(r, f);
            }
        }
        double mean = sum / n;
        for (int r = 0; r < x.rows(); r++) {
            for (int f = 0; f < x.sampleSize(); f++) {
                double d = x.get(r, f) - mean;
                sq += d * d;
            }
        }
        return new double[] {mean, Math.sqrt(sq / n)};
    }

    @Test
    void scaleDividesBytesBy255AsATransform() {
        ByteTensor x = trainBytes();
        ByteTensor s = Preprocessing.fit("scale", x).apply(x);
        assertSame(x.array(), s.array(), "pixels shared, only the transform added");
        assertEquals(x.pixel(3, 2) / 255f, s.get(3, 2), 1e-7);
        assertEquals(1f / 255, s.scale()[0], 0f);
        assertEquals(0f, s.shift()[0], 0f);
        // Test data brighter than any training pixel still lands in [0, 1] (the byte range, not the observed).
        assertEquals(250 / 255f, Preprocessing.fit("scale", x).apply(otherBytes()).get(0, 0), 1e-7);
    }

    @Test
    void scaleOnFloatsUsesTrainingMinMax() {
        Tensor x = Tensor.of(new float[][] {{-2, 0}, {2, 6}});
        Preprocessing p = Preprocessing.fit(Preprocessing.Kind.SCALE, x);
        Tensor y = p.apply(x);
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 1}, y.toArray(), 1e-6f);
        assertArrayEquals(new float[] {-2, 0, 2, 6}, x.toArray(), 0f, "input unchanged");
        // Applied to other data with the training min/max, not its own.
        assertArrayEquals(new float[] {1.5f, -0.125f}, p.apply(Tensor.of(new float[][] {{10, -3}})).toArray(), 1e-6f);
    }

    @Test
    void standardizedTrainingDataHasMeanZeroStdOne() {
        ByteTensor x = trainBytes();
        double[] before = meanStd(x);
        Preprocessing p = Preprocessing.fit(Preprocessing.Kind.STANDARDIZE, x);
        double[] ms = meanStd(p.apply(x));
        assertEquals(0, ms[0], 1e-5);
        assertEquals(1, ms[1], 1e-5);
        assertEquals(before[0], p.offset()[0], 1e-3);
        assertEquals(before[1], p.divisor()[0], 1e-3);
        // The same on a float copy of the data.
        double[] fs = meanStd(p.apply(x.toTensor()));
        assertEquals(0, fs[0], 1e-5);
        assertEquals(1, fs[1], 1e-5);
    }

    @Test
    void perFeatureStandardizationAndConstantFeature() {
        ByteTensor x = trainBytes();
        Preprocessing p = Preprocessing.fit("standardize-per-feature", x);
        ByteTensor y = p.apply(x);
        for (int f = 0; f < 5; f++) {
            double sum = 0;
            double sq = 0;
            for (int r = 0; r < 200; r++) {
                sum += y.get(r, f);
            }
            double mean = sum / 200;
            for (int r = 0; r < 200; r++) {
                sq += (y.get(r, f) - mean) * (y.get(r, f) - mean);
            }
            assertEquals(0, mean, 1e-5, "feature " + f);
            assertEquals(1, Math.sqrt(sq / 200), 1e-5, "feature " + f);
        }
        // The constant feature: divisor 1, value 0, never NaN.
        assertEquals(1, p.constantFeatures());
        assertEquals(1f, p.divisor()[5], 0f);
        assertEquals(17f, p.offset()[5], 0f);
        assertEquals(0f, y.get(9, 5), 0f);
        assertTrue(p.toString().contains("1 constant feature"), p.toString());
    }

    @Test
    void centerSubtractsTheGlobalMean() {
        Tensor x = Tensor.of(new float[][] {{1, 2}, {3, 6}});
        Preprocessing p = Preprocessing.fit("center", x);
        assertArrayEquals(new float[] {-2, -1, 0, 3}, p.apply(x).toArray(), 1e-6f);
        assertArrayEquals(new float[] {1, 1}, p.divisor(), 0f);
    }

    @ParameterizedTest
    @EnumSource(Preprocessing.Kind.class)
    void appliedToOtherDataUsesTrainingStatistics(Preprocessing.Kind kind) {
        ByteTensor train = trainBytes();
        ByteTensor other = otherBytes();
        Preprocessing p = Preprocessing.fit(kind, train);
        Preprocessing fittedOnOther = Preprocessing.fit(kind, other);
        ByteTensor y = p.apply(other);
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int f = 0; f < 6; f++) {
            assertEquals(250 * scale[f] + shift[f], y.get(0, f), 1e-6f, kind + " feature " + f);
        }
        // For the data-dependent kinds, fitting on the other set would have given something else: the test above
        // is only meaningful if the statistics differ.
        if (kind == Preprocessing.Kind.CENTER || kind == Preprocessing.Kind.STANDARDIZE
                || kind == Preprocessing.Kind.STANDARDIZE_PER_FEATURE) {
            assertTrue(fittedOnOther.offset()[0] != p.offset()[0], kind.toString());
        }
    }

    @Test
    void bytesAndFloatsGiveIdenticalValues() {
        ByteTensor x = trainBytes();
        Preprocessing p = Preprocessing.fit("standardize-per-feature", x);
        Tensor viaBytes = p.apply(x).toTensor();
        Tensor viaFloats = p.apply(x.toTensor());
        assertArrayEquals(viaBytes.toArray(), viaFloats.toArray(), 0f);
    }

    @Test
    void composesWithAnExistingByteTransform() {
        ByteTensor x = trainBytes();
        ByteTensor scaled = Preprocessing.fit("scale", x).apply(x);
        Preprocessing p = Preprocessing.fit("standardize", scaled);
        double[] ms = meanStd(p.apply(scaled));
        assertEquals(0, ms[0], 1e-5);
        assertEquals(1, ms[1], 1e-5);
        ByteTensor twice = p.apply(scaled);
        assertSame(x.array(), twice.array(), "still the same bytes, one composed transform");
        assertEquals((x.pixel(4, 1) / 255.0 - p.offset()[1]) / p.divisor()[1], twice.get(4, 1), 1e-5);
    }

    @Test
    void noneChangesNothing() {
        ByteTensor x = trainBytes();
        Preprocessing p = Preprocessing.fit("none", x);
        assertSame(x, p.apply(x));
        assertNull(p.apply(x).scale());
        Tensor t = Tensor.of(new float[][] {{1.5f, -2}});
        assertArrayEquals(t.toArray(), Preprocessing.fit("none", t).apply(t).toArray(), 0f);
    }

    @Test
    void featureCountMismatchIsRejected() {
        Preprocessing p = Preprocessing.fit("standardize", trainBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.apply(Tensor.zeros(2, 7)));
        assertTrue(e.getMessage().contains("6 features") && e.getMessage().contains("7"), e.getMessage());
    }

    @Test
    void parseNamesAndUnknown() {
        assertEquals(Preprocessing.Kind.STANDARDIZE_PER_FEATURE, Preprocessing.Kind.parse(" Standardize-Per-Feature "));
        for (Preprocessing.Kind k : Preprocessing.Kind.values()) {
            assertEquals(k, Preprocessing.Kind.parse(k.cliName()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.Kind.parse("normalize"));
        assertTrue(e.getMessage().contains("'normalize'"), e.getMessage());
        assertTrue(e.getMessage().contains("none, scale, center, standardize, standardize-per-feature"),
                e.getMessage());
    }

    @Test
    void fitRejectsEmptyAndNonFiniteData() {
        assertThrows(IllegalArgumentException.class, () -> Preprocessing.fit("scale", Tensor.zeros(0, 3)));
        Tensor t = Tensor.zeros(2, 2);
        t.set(1, 0, Float.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.fit("standardize", t));
        assertTrue(e.getMessage().contains("row 1, feature 0"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Preprocessing.Kind.class)
    void mapRoundTrip(Preprocessing.Kind kind) {
        ByteTensor x = trainBytes();
        Preprocessing p = Preprocessing.fit(kind, x);
        Map<String, Object> m = p.toMap();
        for (Object v : m.values()) {
            assertTrue(v instanceof String || v instanceof Double || v instanceof float[], v.getClass().toString());
        }
        Preprocessing q = Preprocessing.fromMap(m);
        assertEquals(kind, q.kind());
        assertArrayEquals(p.offset(), q.offset(), 0f);
        assertArrayEquals(p.divisor(), q.divisor(), 0f);
        assertEquals(p.constantFeatures(), q.constantFeatures());
        assertArrayEquals(p.apply(x).toTensor().toArray(), q.apply(x).toTensor().toArray(), 0f);
    }

    @Test
    void fromMapAcceptsDoublesAndRejectsBadEntries() {
        Map<String, Object> m = new HashMap<>();
        m.put("kind", "standardize");
        m.put("offset", new double[] {1, 2});
        m.put("divisor", new double[] {2, 4});
        Preprocessing p = Preprocessing.fromMap(m);
        assertArrayEquals(new float[] {0.5f, 0.25f}, p.scale(), 0f);
        assertArrayEquals(new float[] {-0.5f, -0.5f}, p.shift(), 0f);

        Map<String, Object> missing = new HashMap<>(m);
        missing.remove("divisor");
        assertMessage(missing, "'divisor' is missing");
        Map<String, Object> zero = new HashMap<>(m);
        zero.put("divisor", new float[] {1, 0});
        assertMessage(zero, "0.0 at feature 1");
        Map<String, Object> kind = new HashMap<>(m);
        kind.put("kind", "whiten");
        assertMessage(kind, "'whiten'");
        Map<String, Object> lengths = new HashMap<>(m);
        lengths.put("offset", new float[] {1});
        assertMessage(lengths, "same non-zero length");
        Map<String, Object> features = new HashMap<>(m);
        features.put("features", 3.0);
        assertMessage(features, "'features'");
    }

    private static void assertMessage(Map<String, Object> m, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.fromMap(m));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
