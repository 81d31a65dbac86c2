package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The augmentation family ({@link Backend#augmentAffine}, {@link Backend#augmentPixels}) on one backend, with a
 * subclass per backend. Apart from {@link BackendConformanceTest} (whose hundreds of cases a subclass would run
 * again), with the same seeding: {@code -Ddendrite.seed=...} repeats a run.
 *
 * <ul>
 *   <li>Every backend gives exactly the bits of {@link Augment}, the definition: the kernels share its formulas
 *       and write every multiply-add as an FMA, so there is no rounding left to differ (an equal -0 and +0 aside).
 *   <li>The definition itself is held to known images (a quarter turn, whole-pixel shifts, flips, the four fill
 *       modes at the border, by hand) and, for bilinear resampling, contrast and brightness, to a float64
 *       computation of Keras's formulas with {@link Math#sin}: within 1e-4 for values in [0, 1] (the polynomial
 *       sine is within 3e-8, so sampled points move by under 1e-5 pixel; bilinear output moves by at most that
 *       times the largest neighbour difference, 1).
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AugmentConformanceTest {
    protected abstract Backend createBackend();

    protected Backend backend;
    private long baseSeed;
    private long seed;
    private Random rnd;
    private final List<Buffer> owned = new ArrayList<>();

    @BeforeAll
    final void openBackend() {
        baseSeed = Long.getLong("dendrite.seed", System.nanoTime());
        backend = createBackend();
        System.out.println(getClass().getSimpleName() + ": " + backend.description() + "; base seed " + baseSeed);
    }

    @AfterAll
    final void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @BeforeEach
    final void seedTest(TestInfo info) {
        seed = baseSeed * 31 + info.getDisplayName().hashCode();
        rnd = new Random(seed);
    }

    @AfterEach
    final void free() {
        owned.forEach(Buffer::close);
        owned.clear();
    }

    private String ctx() {
        return " [seed " + seed + ", base seed " + baseSeed + ", backend " + backend.name() + "]";
    }

    private Slice f32(float[] data) {
        Buffer b = backend.allocate(DType.F32, data.length + 3);
        owned.add(b);
        Slice s = b.slice(3, data.length); // an offset, as a layer's slice of a work buffer has
        backend.upload(data, 0, s);
        return s;
    }

    private Slice counters(int step) {
        Buffer b = backend.allocate(DType.I32, Backend.COUNTERS_LENGTH);
        owned.add(b);
        backend.upload(new int[] {step, 0}, 0, b.all());
        return b.all();
    }

    private float[] get(Slice s) {
        float[] out = new float[s.length()];
        backend.download(s, out, 0);
        return out;
    }

    private float[] images(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat();
        }
        return x;
    }

    private float[] affine(float[] x, int rows, int h, int w, AffineAugment a, long s, int stream, int step) {
        Slice out = f32(new float[x.length]);
        backend.augmentAffine(f32(x), out, rows, h, w, a, s, stream, counters(step));
        return get(out);
    }

    private float[] pixels(float[] x, int rows, int h, int w, PixelAugment p, long s, int stream, int step) {
        Slice out = f32(new float[x.length]);
        backend.augmentPixels(f32(x), out, rows, h, w, p, s, stream, counters(step));
        return get(out);
    }

    private void assertSame(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (!(expected[i] == actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + "; the definition gives " + expected[i] + ctx());
            }
        }
    }

    // ================================================================== cases

    private static final AffineAugment BASE = AffineAugment.IDENTITY;

    /** One of each transform and all together, each under every fill mode and interpolation. */
    private static List<AffineAugment> affineCases() {
        List<AffineAugment> specs = List.of(
                BASE.withRotation(-0.2f, 0.2f),
                BASE.withShift(-0.2f, 0.3f, -0.25f, 0.1f),
                BASE.withZoom(0.7f, 1.3f, 0.8f, 1.2f, false),
                BASE.withZoom(0.7f, 1.3f, 0f + 1, 1, true),
                BASE.withShear(-0.05f, 0.05f),
                BASE.withFlips(true, true),
                BASE.withRotation(-0.5f, 0.5f).withShift(-0.1f, 0.1f, -0.1f, 0.1f).withZoom(0.9f, 1.1f, 0.9f, 1.1f,
                        false).withShear(-0.03f, 0.03f).withFlips(true, false));
        List<AffineAugment> cases = new ArrayList<>();
        for (AffineAugment s : specs) {
            for (FillMode m : FillMode.values()) {
                for (Interpolation i : Interpolation.values()) {
                    cases.add(s.withFill(m, i, 0.25f));
                }
            }
        }
        return cases;
    }

    @Test
    void affineEqualsTheDefinition() {
        int[][] shapes = {{28, 28}, {7, 5}, {1, 4}};
        for (int[] shape : shapes) {
            int rows = 9;
            int h = shape[0];
            int w = shape[1];
            float[] x = images(rows * h * w);
            for (AffineAugment a : affineCases()) {
                int step = rnd.nextInt(1000);
                float[] want = new float[x.length];
                Augment.affine(x, 0, want, 0, 0, rows, h, w, a, seed, step, 5);
                assertSame(h + "x" + w + " " + a, want, affine(x, rows, h, w, a, seed, 5, step));
            }
        }
    }

    @Test
    void pixelsEqualTheDefinition() {
        PixelAugment[] cases = {
            new PixelAugment(true, 0.5f, 1.5f, false, 0, 0, 0, 1, false, 0, 0, 0.02f, 0.33f, 0),
            new PixelAugment(false, 1, 1, true, -0.3f, 0.3f, 0, 1, false, 0, 0, 0.02f, 0.33f, 0),
            new PixelAugment(false, 1, 1, false, 0, 0, 0, 1, true, 0.5f, 1f, 0.02f, 0.33f, 0.75f),
            new PixelAugment(true, 0.2f, 1.8f, true, -0.5f, 0.5f, -1, 2, true, 1f, 1f, 0.1f, 0.5f, -1f),
        };
        int rows = 33;
        for (int[] shape : new int[][] {{28, 28}, {3, 11}}) {
            int h = shape[0];
            int w = shape[1];
            float[] x = images(rows * h * w);
            for (PixelAugment p : cases) {
                int step = rnd.nextInt(1000);
                float[] want = new float[x.length];
                Augment.pixels(x, 0, want, 0, 0, rows, h, w, p, seed, step, 3);
                assertSame(h + "x" + w + " " + p, want, pixels(x, rows, h, w, p, seed, 3, step));
                // in place gives the same
                Slice xs = f32(x);
                backend.augmentPixels(xs, xs, rows, h, w, p, seed, 3, counters(step));
                assertSame("in place " + p, want, get(xs));
            }
        }
    }

    // ================================================================== known images

    /** A 6 x 6 image whose pixels are their own indices. */
    private static float[] indices(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return x;
    }

    @Test
    void aQuarterTurnTurnsTheImageCounterClockwise() {
        int n = 6;
        float[] x = indices(n * n);
        for (Interpolation interp : Interpolation.values()) {
            AffineAugment a = BASE.withRotation(0.25f, 0.25f).withFill(FillMode.CONSTANT, interp, -1);
            float[] y = affine(x, 1, n, n, a, seed, 0, 1);
            float[] want = new float[n * n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    want[r * n + c] = x[c * n + (n - 1 - r)]; // the top-right corner ends top-left
                }
            }
            assertSame("quarter turn, " + interp, want, y);
        }
    }

    @Test
    void wholePixelShiftsMoveTheImage() {
        int n = 8;
        float[] x = indices(n * n);
        for (Interpolation interp : Interpolation.values()) {
            // right by 2 (2/8 of the width), up by 1 (-1/8 of the height); constant -1 where nothing comes in
            AffineAugment a = BASE.withShift(-0.125f, -0.125f, 0.25f, 0.25f).withFill(FillMode.CONSTANT, interp, -1);
            float[] y = affine(x, 1, n, n, a, seed, 0, 7);
            float[] want = new float[n * n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    int sr = r + 1;
                    int sc = c - 2;
                    want[r * n + c] = sr < n && sc >= 0 ? x[sr * n + sc] : -1;
                }
            }
            assertSame("shift, " + interp, want, y);
        }
    }

    @Test
    void flipsMirrorHalfTheImages() {
        int h = 4;
        int w = 5;
        int rows = 64;
        float[] one = indices(h * w);
        float[] x = new float[rows * h * w];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(one, 0, x, r * h * w, h * w);
        }
        AffineAugment a = BASE.withFlips(true, false).withFill(FillMode.CONSTANT, Interpolation.BILINEAR, -1);
        float[] y = affine(x, rows, h, w, a, seed, 1, 3);
        int mirrored = 0;
        for (int r = 0; r < rows; r++) {
            boolean same = true;
            boolean mirror = true;
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    float v = y[r * h * w + i * w + j];
                    same &= v == one[i * w + j];
                    mirror &= v == one[i * w + (w - 1 - j)];
                }
            }
            assertTrue(same || mirror, "image " + r + " is neither the image nor its mirror" + ctx());
            mirrored += mirror ? 1 : 0;
        }
        // 64 fair coins: P(fewer than 16 or more than 48 heads) < 1e-4
        assertTrue(mirrored >= 16 && mirrored <= 48, mirrored + " of 64 mirrored" + ctx());
    }

    /** A 1 x 4 image [1 2 3 4] shifted 3 pixels each way: what each fill mode puts at the border, by hand. */
    @Test
    void fillModesAtTheBorder() {
        float[] x = {1, 2, 3, 4};
        Object[][] cases = {
            {FillMode.CONSTANT, new float[] {9, 9, 9, 1}, new float[] {4, 9, 9, 9}},
            {FillMode.NEAREST, new float[] {1, 1, 1, 1}, new float[] {4, 4, 4, 4}},
            {FillMode.REFLECT, new float[] {3, 2, 1, 1}, new float[] {4, 4, 3, 2}},
            {FillMode.WRAP, new float[] {2, 3, 4, 1}, new float[] {4, 1, 2, 3}},
        };
        for (Object[] c : cases) {
            FillMode m = (FillMode) c[0];
            for (Interpolation interp : Interpolation.values()) {
                AffineAugment right = BASE.withShift(0, 0, 0.75f, 0.75f).withFill(m, interp, 9);
                AffineAugment left = BASE.withShift(0, 0, -0.75f, -0.75f).withFill(m, interp, 9);
                assertArrayEquals((float[]) c[1], affine(x, 1, 1, 4, right, seed, 0, 0), m + " right, " + interp);
                assertArrayEquals((float[]) c[2], affine(x, 1, 1, 4, left, seed, 0, 0), m + " left, " + interp);
            }
        }
    }

    @Test
    void erasingSetsOneRectangleAndLeavesTheRest() {
        int h = 10;
        int w = 12;
        int rows = 20;
        float[] x = images(rows * h * w);
        PixelAugment p = new PixelAugment(false, 1, 1, false, 0, 0, 0, 1, true, 1, 1, 0.1f, 0.4f, -5f);
        float[] y = pixels(x, rows, h, w, p, seed, 2, 4);
        for (int r = 0; r < rows; r++) {
            int r0 = h;
            int r1 = -1;
            int c0 = w;
            int c1 = -1;
            int erased = 0;
            for (int i = 0; i < h * w; i++) {
                float v = y[r * h * w + i];
                if (v == -5f) {
                    erased++;
                    r0 = Math.min(r0, i / w);
                    r1 = Math.max(r1, i / w);
                    c0 = Math.min(c0, i % w);
                    c1 = Math.max(c1, i % w);
                } else {
                    assertEquals(x[r * h * w + i], v, "image " + r + " pixel " + i + ctx());
                }
            }
            assertEquals((r1 - r0 + 1) * (c1 - c0 + 1), erased, "image " + r + ": the erased pixels are no rectangle"
                    + ctx());
            // sides are sqrt(0.1 .. 0.4) of the image's: 0.32 to 0.63 of them, give or take a pixel
            assertTrue(r1 - r0 + 1 >= 0.31 * h - 1 && r1 - r0 + 1 <= 0.64 * h + 1, "height " + (r1 - r0 + 1) + ctx());
            assertTrue(c1 - c0 + 1 >= 0.31 * w - 1 && c1 - c0 + 1 <= 0.64 * w + 1, "width " + (c1 - c0 + 1) + ctx());
        }
        PixelAugment never = new PixelAugment(false, 1, 1, false, 0, 0, 0, 1, true, 0, 0, 0.1f, 0.4f, -5f);
        assertArrayEquals(x, pixels(x, rows, h, w, never, seed, 2, 4));
    }

    // ================================================================== float64 references

    /** Keras's formulas in float64: the map with Math.sin/cos, bilinear sampling, under each fill mode. */
    @Test
    void bilinearResamplingAgreesWithFloat64() {
        int rows = 6;
        int h = 28;
        int w = 28;
        float[] x = images(rows * h * w);
        AffineAugment spec = BASE.withRotation(-0.3f, 0.3f).withShift(-0.2f, 0.2f, -0.2f, 0.2f)
                .withZoom(0.8f, 1.25f, 0.8f, 1.25f, false).withShear(-0.04f, 0.04f).withFlips(true, true);
        for (FillMode m : FillMode.values()) {
            AffineAugment a = spec.withFill(m, Interpolation.BILINEAR, 0.5f);
            int step = 11;
            float[] y = affine(x, rows, h, w, a, seed, 4, step);
            int[] wa = new int[4];
            int[] wb = new int[4];
            for (int r = 0; r < rows; r++) {
                Philox.block(seed, 2 * r, step, 4, wa);
                Philox.block(seed, 2 * r + 1, step, 4, wb);
                double rot = 2 * Math.PI * u64(wa[0], a.rotationLo(), a.rotationHi());
                double th = u64(wa[1], a.shiftHeightLo(), a.shiftHeightHi());
                double tw = u64(wa[2], a.shiftWidthLo(), a.shiftWidthHi());
                double zh = u64(wa[3], a.zoomHeightLo(), a.zoomHeightHi());
                double zw = u64(wb[0], a.zoomWidthLo(), a.zoomWidthHi());
                double sh = 2 * Math.PI * u64(wb[1], a.shearLo(), a.shearHi());
                double fw = ((wb[2] >>> 8) * 0x1.0p-24 < 0.5) ? -1 : 1;
                double fh = ((wb[3] >>> 8) * 0x1.0p-24 < 0.5) ? -1 : 1;
                double cx = (w - 1) / 2.0;
                double cy = (h - 1) / 2.0;
                for (int py = 0; py < h; py++) {
                    for (int px = 0; px < w; px++) {
                        double u = (px - cx) * fw * zw;
                        double v = (py - cy) * fh * zh;
                        double u2 = Math.cos(sh) * u - tw * w;
                        double v2 = v - Math.sin(sh) * u - th * h;
                        double xin = Math.cos(rot) * u2 - Math.sin(rot) * v2 + cx;
                        double yin = Math.sin(rot) * u2 + Math.cos(rot) * v2 + cy;
                        double want = bilinear64(x, r * h * w, h, w, xin, yin, m, 0.5);
                        double got = y[r * h * w + py * w + px];
                        if (Math.abs(got - want) > 1e-4) {
                            fail(m + ": image " + r + " pixel (" + py + ", " + px + ") is " + got + "; float64 gives "
                                    + want + ctx());
                        }
                    }
                }
            }
        }
    }

    private static double u64(int bits, float lo, float hi) {
        return lo + ((double) hi - lo) * ((bits >>> 8) * 0x1.0p-24);
    }

    private static double bilinear64(float[] x, int off, int h, int w, double xin, double yin, FillMode m,
                                     double fill) {
        double x0 = Math.floor(xin);
        double y0 = Math.floor(yin);
        double fx = xin - x0;
        double fy = yin - y0;
        double sum = 0;
        for (int dy = 0; dy <= 1; dy++) {
            for (int dx = 0; dx <= 1; dx++) {
                double wgt = (dx == 0 ? 1 - fx : fx) * (dy == 0 ? 1 - fy : fy);
                sum += wgt * at64(x, off, h, w, (int) y0 + dy, (int) x0 + dx, m, fill);
            }
        }
        return sum;
    }

    /** The fill modes by their picture: mirrored, tiled, clamped, or the constant. */
    private static double at64(float[] x, int off, int h, int w, int iy, int ix, FillMode m, double fill) {
        int yy = axis64(iy, h, m);
        int xx = axis64(ix, w, m);
        return yy < 0 || xx < 0 ? fill : x[off + yy * w + xx];
    }

    private static int axis64(int i, int n, FillMode m) {
        switch (m) {
            case CONSTANT:
                return i >= 0 && i < n ? i : -1;
            case NEAREST:
                return Math.max(0, Math.min(n - 1, i));
            case WRAP:
                return Math.floorMod(i, n);
            default: { // mirror: walk back and forth
                int k = Math.floorMod(i, 2 * n);
                return k < n ? k : 2 * n - 1 - k;
            }
        }
    }

    @Test
    void contrastAndBrightnessAgreeWithFloat64() {
        int rows = 20;
        int h = 28;
        int w = 28;
        float[] x = images(rows * h * w);
        PixelAugment p = new PixelAugment(true, 0.3f, 1.7f, true, -0.4f, 0.4f, 0, 1, false, 0, 0, 0.1f, 0.2f, 0);
        int step = 2;
        float[] y = pixels(x, rows, h, w, p, seed, 9, step);
        int[] wa = new int[4];
        for (int r = 0; r < rows; r++) {
            Philox.block(seed, 2 * r, step, 9, wa);
            double c = u64(wa[0], p.contrastLo(), p.contrastHi());
            double b = u64(wa[1], p.brightnessLo(), p.brightnessHi());
            double mean = 0;
            for (int i = 0; i < h * w; i++) {
                mean += x[r * h * w + i];
            }
            mean /= h * w;
            for (int i = 0; i < h * w; i++) {
                double v = Math.min(1, Math.max(0, (x[r * h * w + i] - mean) * c + mean));
                v = Math.min(1, Math.max(0, v + b));
                double got = y[r * h * w + i];
                if (Math.abs(got - v) > 1e-5) {
                    fail("image " + r + " pixel " + i + " is " + got + "; float64 gives " + v + ctx());
                }
            }
        }
    }

    // ================================================================== randomness

    @Test
    void aSeedRepeatsAndStepsAndStreamsDiffer() {
        int rows = 4;
        float[] x = images(rows * 28 * 28);
        AffineAugment a = BASE.withRotation(-0.1f, 0.1f).withShift(-0.1f, 0.1f, -0.1f, 0.1f);
        float[] first = affine(x, rows, 28, 28, a, 42, 1, 5);
        assertArrayEquals(first, affine(x, rows, 28, 28, a, 42, 1, 5), "same seed, step and stream");
        assertTrue(differsInEveryImage(first, affine(x, rows, 28, 28, a, 42, 1, 6), rows), "next step" + ctx());
        assertTrue(differsInEveryImage(first, affine(x, rows, 28, 28, a, 42, 2, 5), rows), "other stream" + ctx());
        assertTrue(differsInEveryImage(first, affine(x, rows, 28, 28, a, 43, 1, 5), rows), "other seed" + ctx());
        PixelAugment p = new PixelAugment(true, 0.5f, 1.5f, true, -0.2f, 0.2f, 0, 1, false, 0, 0, 0.1f, 0.2f, 0);
        float[] once = pixels(x, rows, 28, 28, p, 42, 1, 5);
        assertArrayEquals(once, pixels(x, rows, 28, 28, p, 42, 1, 5));
        assertTrue(differsInEveryImage(once, pixels(x, rows, 28, 28, p, 42, 1, 6), rows), "pixels, next step" + ctx());
    }

    private static boolean differsInEveryImage(float[] a, float[] b, int rows) {
        int n = a.length / rows;
        for (int r = 0; r < rows; r++) {
            boolean differs = false;
            for (int i = r * n; i < (r + 1) * n && !differs; i++) {
                differs = a[i] != b[i];
            }
            if (!differs) {
                return false;
            }
        }
        return true;
    }

    // ================================================================== checks

    @Test
    void badCallsAreRejectedWithTheirValues() {
        Slice x = f32(new float[16]);
        Slice c = counters(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.augmentAffine(x, x, 1, 4, 4, BASE, 1, 0, c));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.augmentAffine(x, f32(new float[16]), 2, 4, 4, BASE, 1, 0, c));
        assertTrue(e.getMessage().contains("augmentAffine") && e.getMessage().contains("32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BASE.withZoom(0, 1, 1, 1, false));
        assertTrue(e.getMessage().contains("height zoom range [0.0, 1.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BASE.withRotation(0.2f, 0.1f));
        assertTrue(e.getMessage().contains("lower <= upper"), e.getMessage());
    }
}
