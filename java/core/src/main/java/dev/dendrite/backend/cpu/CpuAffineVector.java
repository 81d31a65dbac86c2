package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.backend.Interpolation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Augment#affine} with vectors of {@code L} output pixels, bit for bit: the same float operations in the same
 * order on each lane (every {@code Math.fma} a lane-wise fma, nothing fused that the definition rounds). An image
 * goes in three steps:
 * <ol>
 *   <li>the image is copied into the middle of a padded one whose frame holds what the fill mode reads there
 *       ({@link Augment#fillIndex} of each axis, or the fill value), as wide as the ranges can send a point beyond
 *       the image ({@link #margin}). Every neighbour inside the frame is then read directly, whatever the mode: the
 *       definition reads each neighbour through the fill mode on its own, so the frame holds the same values;</li>
 *   <li>per chunk of {@code L} pixels of a row, in vectors: the sampled points, their floors and weights, and the
 *       padded image's index of the first neighbour. A chunk with a point beyond the frame (zooms out past about
 *       2) is redone by the definition's loop after step 3. A row's last chunk overlaps the one before when
 *       {@code L} does not divide the width (those pixels are computed twice, to the same bits), so no pixel of a
 *       28-wide row goes scalar;</li>
 *   <li>the neighbours gathered ({@code fromArray} with an index map, which C2 compiles to gather instructions on
 *       AVX2 and AVX-512) and interpolated, in vectors again.</li>
 * </ol>
 * The index leaves the float vector through its bits: the float {@code i + 1.5 2^23} has the magic's bits plus
 * {@code i}, and {@code reinterpretAsInts} is a register move, where {@code convert(F2I)} runs lane by lane through
 * boxed vectors on JDK 17. Gathering in a loop of its own, after the chunks' indices are all stored, ran 0.63-0.75x
 * the time of the scalar reads it replaced (AVX-512; 0.73-0.88x with {@code -XX:UseAVX=2}); gathering in each chunk
 * right after its index, 1.0-1.3x, the loads no longer overlapping from chunk to chunk (bench/RESULTS.md).
 * Floor is exact: adding and subtracting 1.5 2^23 rounds a float below 2^22 in magnitude to an integer, minus one
 * where that rounded up; every point that gets there is within the frame, far below 2^22 for the images taken here
 * (below 2^20 pixels; larger ones, and rows narrower than {@code L}, run the definition's loop). No point is -0,
 * whose floor this would make +0: each is a sum with a centre, +0 or more. The float species is the GEMM kernel's
 * own (see {@link CpuDropoutVector} on why no other shape).
 */
final class CpuAffineVector implements CpuAffine.Kernel {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** 1.5 2^23: see the class comment. */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);

    CpuAffineVector() {
        // the reinterpretation of a float vector as ints keeps the lane count only with 32-bit ints
        if (IntVector.SPECIES_PREFERRED.length() != L) {
            throw new IllegalStateException(IntVector.SPECIES_PREFERRED.length() + " int lanes against " + L);
        }
    }

    @Override
    public void apply(float[] x, int xo, float[] y, int yo, int from, int to, int height, int width, AffineAugment a,
                      long seed, int step, int stream) {
        // Below 2^20 pixels every coordinate the frame covers, and every index, is far below the 2^22 floor needs.
        if (width < L || (long) height * width >= (1 << 20)) {
            Augment.affine(x, xo, y, yo, from, to, height, width, a, seed, step, stream);
            return;
        }
        Images images = SCRATCH.get();
        if (images == null || !images.fits(height, width, a)) {
            images = new Images(height, width, a);
            SCRATCH.set(images);
        }
        images.run(x, xo, y, yo, from, to, seed, step, stream);
    }

    /**
     * The frame's width: how far beyond the image any point of these ranges can fall, plus the bilinear
     * neighbour and one pixel for rounding, from bounds of each term of {@link Augment#affineRow}'s map (at most
     * the zoomed and sheared offset, plus the shifts, turned by the largest sine and cosine of the range). At most
     * half the image's longer side plus two, so that padding stays a few image copies: points beyond (zooms out
     * past about 2) go to the definition's loop.
     */
    static int margin(int height, int width, AffineAugment a) {
        double cx = (width - 1) * 0.5;
        double cy = (height - 1) * 0.5;
        double zoomW = Math.max(Math.abs(a.zoomWidthLo()), Math.abs(a.zoomWidthHi()));
        double zoomH = Math.max(Math.abs(a.zoomHeightLo()), Math.abs(a.zoomHeightHi()));
        double zoom = a.sameZoom() ? Math.max(zoomW, zoomH) : 0;
        double u = cx * Math.max(zoomW, zoom);
        double v = cy * Math.max(zoomH, zoom);
        double shiftW = Math.max(Math.abs(a.shiftWidthLo()), Math.abs(a.shiftWidthHi())) * width;
        double shiftH = Math.max(Math.abs(a.shiftHeightLo()), Math.abs(a.shiftHeightHi())) * height;
        double u2 = maxAbsCos(a.shearLo(), a.shearHi()) * u + shiftW;
        double v2 = shiftH + maxAbsSin(a.shearLo(), a.shearHi()) * u + v;
        double cosR = maxAbsCos(a.rotationLo(), a.rotationHi());
        double sinR = maxAbsSin(a.rotationLo(), a.rotationHi());
        double beyondX = cosR * u2 + sinR * v2 - cx;
        double beyondY = sinR * u2 + cosR * v2 - cy;
        double beyond = Math.max(0, Math.max(beyondX, beyondY));
        return (int) Math.min(Math.ceil(beyond) + 2, Math.max(height, width) / 2 + 2);
    }

    /** The largest |cos 2 pi t| over t in [lo, hi] (turns): 1 where the range holds a multiple of 1/2. */
    private static double maxAbsCos(double lo, double hi) {
        return Math.ceil(2 * lo) <= Math.floor(2 * hi) ? 1
                : Math.max(Math.abs(Math.cos(2 * Math.PI * lo)), Math.abs(Math.cos(2 * Math.PI * hi)));
    }

    /** The largest |sin 2 pi t| over t in [lo, hi]: 1 where the range holds an odd multiple of 1/4. */
    private static double maxAbsSin(double lo, double hi) {
        return maxAbsCos(lo - 0.25, hi - 0.25);
    }

    /**
     * Each thread's scratch, kept while the shape and the ranges stay the same. Built per call, as it once was, the
     * scratch was allocated and filled for every block of every batch: about 5% of the op's CPU time on one thread
     * (bench/RESULTS.md). One per thread suffices: a thread
     * runs one op at a time, and {@link Images#run} forks nothing.
     */
    private static final ThreadLocal<Images> SCRATCH = new ThreadLocal<>();

    /** A thread's scratch: the padded image at hand, its map, the pixels' first-neighbour indices and weights. */
    private static final class Images {
        private final int height;
        private final int width;
        private final int hw;
        private final AffineAugment a;
        private final boolean bilinear;
        private final Augment.AffineImage image;
        /** How far the padded image reaches beyond each edge: {@link #margin}. */
        private final int pad;
        /** The row length of the padded image, and where its (0, 0) is. */
        private final int stride;
        private final int origin;
        /**
         * The image with a frame {@link #pad} pixels wide holding what {@link Augment#fillIndex} (or the fill value)
         * gives there, so that every neighbour inside the frame is read directly. For the constant fill the frame
         * never changes and only the image is copied in.
         */
        private final float[] padded;
        /** Where pad column j reads in a row of the image ({@code fillIndex} of {@code j - pad}, then of the right). */
        private final int[] padColumns;
        /** The same for the frame's rows, above then below: which row of the image each repeats. */
        private final int[] padRows;
        /** Whether the frame is the fill value (set once), or repeats the edges (broadcasts), else via the tables. */
        private final boolean constant;
        private final boolean nearest;
        /**
         * Per output pixel: the padded image's index of its first neighbour, and the weights. Image-sized, so that
         * the gathers run in a loop of their own, their loads overlapping from chunk to chunk.
         */
        private final int[] index;
        private final float[] fx;
        private final float[] fy;
        /** The first pixels of the chunks that go to the definition's loop, and how many. */
        private final int[] fallback;
        private int fallbacks;
        /** The range of points whose neighbours all lie in the padded image. */
        private final float lo;
        private final float hiX;
        private final float hiY;

        /** Whether this scratch serves images of this shape through these ranges. */
        boolean fits(int height, int width, AffineAugment a) {
            return this.height == height && this.width == width && this.a.equals(a);
        }

        Images(int height, int width, AffineAugment a) {
            this.height = height;
            this.width = width;
            this.hw = height * width;
            this.a = a;
            this.bilinear = a.interpolation() == Interpolation.BILINEAR;
            int mode = a.fillMode().code();
            this.image = new Augment.AffineImage(height, width);
            this.pad = margin(height, width, a);
            stride = width + 2 * pad;
            origin = pad * stride + pad;
            padded = new float[(height + 2 * pad) * stride];
            constant = a.fillMode() == FillMode.CONSTANT;
            nearest = a.fillMode() == FillMode.NEAREST;
            padColumns = new int[2 * pad];
            padRows = new int[2 * pad];
            for (int j = 0; j < pad; j++) {
                padColumns[j] = Augment.fillIndex(j - pad, width, mode);
                padColumns[pad + j] = Augment.fillIndex(width + j, width, mode);
                padRows[j] = Augment.fillIndex(j - pad, height, mode);
                padRows[pad + j] = Augment.fillIndex(height + j, height, mode);
            }
            if (constant) {
                java.util.Arrays.fill(padded, a.fillValue());
            }
            index = new int[hw];
            fx = bilinear ? new float[hw] : null;
            fy = bilinear ? new float[hw] : null;
            fallback = new int[height * ((width + L - 1) / L)];
            // Bilinear reads floor(c) and floor(c) + 1, both inside [-pad, n + pad) exactly when c is in
            // [-pad, n + pad - 1); nearest reads floor(c + 0.5), and c + 0.5 is what is checked, so one further.
            float reach = bilinear ? 1 : 0;
            lo = -pad;
            hiX = width + pad - reach;
            hiY = height + pad - reach;
        }

        void run(float[] x, int xo, float[] y, int yo, int from, int to, long seed, int step, int stream) {
            for (int r = from; r < to; r++) {
                image.draw(a, seed, r, step, stream);
                int in = xo + r * hw;
                int out = yo + r * hw;
                frame(x, in);
                fallbacks = 0;
                for (int py = 0; py < height; py++) {
                    for (int px = 0; px < width; px += L) {
                        locate(Math.min(px, width - L), py);
                    }
                }
                for (int k = 0; k < hw; k += L) {
                    sample(y, out, Math.min(k, hw - L));
                }
                // chunks with a point beyond the frame: the definition's loop, over what sample wrote there
                for (int f = 0; f < fallbacks; f++) {
                    int py = fallback[f] / width;
                    int px = fallback[f] - py * width;
                    Augment.affineRow(x, in, y, out + py * width, px, px + L, py, image, a);
                }
            }
        }

        /** The image at {@code x[in..]} into {@link #padded}, with its frame. */
        private void frame(float[] x, int in) {
            for (int py = 0; py < height; py++) {
                int row = in + py * width;
                int start = (py + pad) * stride;
                if (nearest) {
                    // the frame's columns repeat the row's ends: broadcasts, left and right, before the row itself
                    // (a pad narrower than a vector spills into the row, which the copy then overwrites)
                    FloatVector left = FloatVector.broadcast(FS, x[row]);
                    FloatVector right = FloatVector.broadcast(FS, x[row + width - 1]);
                    for (int j = 0; j < pad; j += L) {
                        left.intoArray(padded, start + j);
                        right.intoArray(padded, start + stride - L - j);
                    }
                } else if (!constant) {
                    for (int j = 0; j < pad; j++) {
                        padded[start + j] = x[row + padColumns[j]];
                        padded[start + pad + width + j] = x[row + padColumns[pad + j]];
                    }
                }
                System.arraycopy(x, row, padded, start + pad, width);
            }
            if (!constant) {
                for (int j = 0; j < pad; j++) {
                    System.arraycopy(padded, (padRows[j] + pad) * stride, padded, j * stride, stride);
                    System.arraycopy(padded, (padRows[pad + j] + pad) * stride, padded, (height + pad + j) * stride,
                            stride);
                }
            }
        }

        /** Output pixels {@code [px, px + L)} of row {@code py}: their first neighbour's index, and weights. */
        private void locate(int px, int py) {
            Augment.AffineImage m = image;
            FloatVector u = FloatVector.fromArray(FS, m.u, px);
            FloatVector u2 = FloatVector.fromArray(FS, m.u2, px);
            FloatVector cosR = FloatVector.broadcast(FS, m.cosR);
            FloatVector sinR = FloatVector.broadcast(FS, m.sinR);
            // Augment.affineRow's four lines, operand for operand
            FloatVector v2 = FloatVector.broadcast(FS, m.negShiftH).fma(FloatVector.broadcast(FS, (float) height),
                    u.fma(m.negSinS, m.v[py]));
            FloatVector xin = cosR.fma(u2, sinR.mul(v2).neg()).add(m.cx);
            FloatVector yin = sinR.fma(u2, cosR.mul(v2)).add(m.cy);
            if (!bilinear) {
                xin = xin.add(0.5f);
                yin = yin.add(0.5f);
            }
            int k0 = py * width + px;
            if (!xin.compare(VectorOperators.GE, lo).and(xin.compare(VectorOperators.LT, hiX))
                    .and(yin.compare(VectorOperators.GE, lo)).and(yin.compare(VectorOperators.LT, hiY)).allTrue()) {
                // any index inside the frame will do until the definition's loop overwrites these pixels
                IntVector.broadcast(IS, origin).intoArray(index, k0);
                fallback[fallbacks++] = k0;
                return;
            }
            FloatVector x0 = floor(xin);
            FloatVector y0 = floor(yin);
            if (bilinear) {
                xin.sub(x0).intoArray(fx, k0);
                yin.sub(y0).intoArray(fy, k0);
            }
            // integers below 2^21 in magnitude, so exact in float; the index is non-negative inside the frame and
            // below 2^22, so the float index + 1.5 2^23 has the bits of the magic plus the index
            y0.mul((float) stride).add(x0).add(origin + MAGIC).reinterpretAsInts().sub(MAGIC_BITS).intoArray(index, k0);
        }

        /** Pixels {@code [k, k + L)} of the image: the gathers, then Augment's lerp(a, b, t) = fma(t, b - a, a). */
        private void sample(float[] y, int out, int k) {
            FloatVector p00 = FloatVector.fromArray(FS, padded, 0, index, k);
            if (!bilinear) {
                p00.intoArray(y, out + k);
                return;
            }
            FloatVector p01 = FloatVector.fromArray(FS, padded, 1, index, k);
            FloatVector p10 = FloatVector.fromArray(FS, padded, stride, index, k);
            FloatVector p11 = FloatVector.fromArray(FS, padded, stride + 1, index, k);
            FloatVector tx = FloatVector.fromArray(FS, fx, k);
            FloatVector top = tx.fma(p01.sub(p00), p00);
            FloatVector bottom = tx.fma(p11.sub(p10), p10);
            FloatVector.fromArray(FS, fy, k).fma(bottom.sub(top), top).intoArray(y, out + k);
        }

        /**
         * Math.floor of c below 2^22 in magnitude (checked by the caller): c + 1.5 2^23 lands where floats are spaced
         * 1 apart, so the addition rounds c to an integer and the subtraction is exact; then minus one where that
         * rounded up. (No coordinate is -0, whose floor this would make +0: each is a sum with a centre, +0 or more.)
         */
        private static FloatVector floor(FloatVector c) {
            FloatVector r = c.add(MAGIC).sub(MAGIC);
            return r.blend(r.sub(1f), c.compare(VectorOperators.LT, r));
        }
    }
}
