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
 *   <li>per chunk of {@code L} pixels of a row, in vectors: the sampled points, their floors and weights, and the
 *       index of each neighbour read. A chunk whose points all have their neighbours inside the image indexes them
 *       directly, as the definition's fast path does; otherwise the fill mode picks them: a clamp for nearest and
 *       for the constant (which reads a copy of the image framed by the fill value), tables of
 *       {@link Augment#fillIndex} over the axis and a margin of twice its length each side for reflect and wrap.
 *       A chunk with a point beyond that margin (zooms past about 2.5) is redone by the definition's loop after
 *       step 3. A row's last chunk overlaps the one before when {@code L} does not divide the width (those pixels
 *       are computed twice, to the same bits), so no pixel of a 28-wide row goes scalar;</li>
 *   <li>the reads, a scalar loop per neighbour over the whole image: JDK 17 compiles neither gathers
 *       ({@code fromArray} with an index map) nor {@code convert(F2I)} on x86, both run lane by lane through boxed
 *       vectors (measured: 2.5x slower than the scalar definition). Indices therefore leave the vectors as floats,
 *       {@code i + 1.5 2^23}, whose bits are the magic's plus i;</li>
 *   <li>the bilinear interpolation, in vectors again.</li>
 * </ol>
 * Floor is exact: adding and subtracting 1.5 2^23 rounds a float below 2^22 in magnitude to an integer, minus one
 * where that rounded up; every point that gets there is within the margin, far below 2^22 for the images taken here
 * (below 2^20 pixels; larger ones, and rows narrower than {@code L}, run the definition's loop). No point is -0,
 * whose floor this would make +0: each is a sum with a centre, +0 or more. The float species is the GEMM kernel's
 * own (see {@link CpuDropoutVector} on why no other shape).
 */
final class CpuAffineVector implements CpuAffine.Kernel {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
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
        // Below 2^20 pixels every coordinate the tables cover, and every index, is far below the 2^22 floor needs.
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
     * Each thread's scratch, kept while the shape and the ranges stay the same. Built per call, as it was, the fill
     * tables and the six image-sized arrays (about 20 KB for 28x28) were allocated and filled for every block of
     * every batch: about 5% of the op's CPU time on one thread (bench/RESULTS.md). One per thread suffices: a thread
     * runs one op at a time, and {@link Images#run} forks nothing.
     */
    private static final ThreadLocal<Images> SCRATCH = new ThreadLocal<>();

    /** A thread's scratch: the map of the image at hand, the fill tables, the lanes' indices and neighbours. */
    private static final class Images {
        private final int height;
        private final int width;
        private final int hw;
        private final AffineAugment a;
        private final boolean bilinear;
        private final boolean constant;
        private final Augment.AffineImage image;
        /** Fill-table margins: entries cover indices {@code [-pad, n + pad)} of an axis of n. */
        private final int padX;
        private final int padY;
        /**
         * Where index {@code k - pad} of each axis reads: {@code fillIndex} (times the row length for rows), the sum
         * of a row's and a column's the offset in the image; for the constant fill, in {@link #framed} instead.
         */
        private final int[] columns;
        private final int[] rows;
        /** For the constant fill: the image with a frame of the fill value one pixel wide; null otherwise. */
        private final float[] framed;
        /** The row length of the image read ({@link #framed}'s for the constant fill), and where its (0, 0) is. */
        private final int stride;
        private final int origin;
        /**
         * Per output pixel of the image: the index of each neighbour read (see {@link #index}), then its value; the
         * weights. Image-sized, so that the scalar reads between the vector steps run as one loop.
         */
        private final float[] q00;
        private final float[] q01;
        private final float[] q10;
        private final float[] q11;
        private final float[] fx;
        private final float[] fy;
        /** Whether the fill mode is a clamp of each axis (nearest, constant), to these bounds; else the tables. */
        private final boolean clamped;
        private final float clampLo;
        private final float clampHiX;
        private final float clampHiY;
        /** One chunk's floors, for the fill tables. */
        private final float[] tx = new float[L];
        private final float[] ty = new float[L];
        /** The first pixels of the chunks that go to the definition's loop, and how many. */
        private final int[] fallback;
        private int fallbacks;
        // the ranges a chunk's points are checked against: the direct read's, the fill tables'
        private final float fastHiX;
        private final float fastHiY;
        private final float tableLoX;
        private final float tableLoY;
        private final float tableHiX;
        private final float tableHiY;

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
            this.constant = a.fillMode() == FillMode.CONSTANT;
            this.image = new Augment.AffineImage(height, width);
            this.padX = 2 * width + 2;
            this.padY = 2 * height + 2;
            int mode = a.fillMode().code();
            stride = constant ? width + 2 : width;
            origin = constant ? stride + 1 : 0;
            q00 = new float[hw];
            q01 = bilinear ? new float[hw] : null;
            q10 = bilinear ? new float[hw] : null;
            q11 = bilinear ? new float[hw] : null;
            fx = bilinear ? new float[hw] : null;
            fy = bilinear ? new float[hw] : null;
            clamped = constant || a.fillMode() == FillMode.NEAREST;
            clampLo = constant ? -1 : 0;
            clampHiX = constant ? width : width - 1;
            clampHiY = constant ? height : height - 1;
            fallback = new int[height * ((width + L - 1) / L)];
            columns = new int[width + 2 * padX];
            for (int k = 0; k < columns.length; k++) {
                int i = k - padX;
                columns[k] = constant ? Math.min(Math.max(i, -1), width) + 1 : Augment.fillIndex(i, width, mode);
            }
            rows = new int[height + 2 * padY];
            for (int k = 0; k < rows.length; k++) {
                int i = k - padY;
                rows[k] = stride * (constant ? Math.min(Math.max(i, -1), height) + 1
                        : Augment.fillIndex(i, height, mode));
            }
            framed = constant ? new float[(height + 2) * stride] : null;
            if (constant) {
                java.util.Arrays.fill(framed, a.fillValue());
            }
            // Bilinear reads floor(c) and floor(c) + 1, both inside [0, n) exactly when c is in [0, n - 1); nearest
            // reads floor(c + 0.5), and c + 0.5 is what is checked, so the bounds are one further.
            float reach = bilinear ? 1 : 0;
            fastHiX = width - reach;
            fastHiY = height - reach;
            tableLoX = -padX;
            tableLoY = -padY;
            tableHiX = width + padX - reach;
            tableHiY = height + padY - reach;
        }

        void run(float[] x, int xo, float[] y, int yo, int from, int to, long seed, int step, int stream) {
            for (int r = from; r < to; r++) {
                image.draw(a, seed, r, step, stream);
                int in = xo + r * hw;
                int out = yo + r * hw;
                if (constant) {
                    for (int py = 0; py < height; py++) {
                        System.arraycopy(x, in + py * width, framed, (py + 1) * stride + 1, width);
                    }
                }
                float[] src = constant ? framed : x;
                int base = constant ? 0 : in;
                // 1: where each output pixel reads, and its weights
                fallbacks = 0;
                for (int py = 0; py < height; py++) {
                    for (int px = 0; px < width; px += L) {
                        locate(Math.min(px, width - L), py);
                    }
                }
                // 2: the reads, in place of their indices; 3: the interpolation
                if (bilinear) {
                    read(src, base, q00);
                    read(src, base, q01);
                    read(src, base, q10);
                    read(src, base, q11);
                    for (int k = 0; k < hw; k += L) {
                        interpolate(y, out, Math.min(k, hw - L));
                    }
                } else {
                    int b = base - MAGIC_BITS;
                    for (int k = 0; k < hw; k++) {
                        y[out + k] = src[b + Float.floatToRawIntBits(q00[k])];
                    }
                }
                // chunks with a point beyond the fill tables: the definition's loop, over what 2 and 3 wrote there
                for (int f = 0; f < fallbacks; f++) {
                    int py = fallback[f] / width;
                    int px = fallback[f] - py * width;
                    Augment.affineRow(x, in, y, out + py * width, px, px + L, py, image, a);
                }
            }
        }

        /** Step 1 for output pixels {@code [px, px + L)} of row {@code py}: their reads' indices and weights. */
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
            boolean fast = within(xin, yin, 0f, 0f, fastHiX, fastHiY);
            if (!fast && !within(xin, yin, tableLoX, tableLoY, tableHiX, tableHiY)) {
                // any index will do until the definition's loop overwrites these pixels
                FloatVector zero = FloatVector.broadcast(FS, MAGIC);
                zero.intoArray(q00, k0);
                if (bilinear) {
                    zero.intoArray(q01, k0);
                    zero.intoArray(q10, k0);
                    zero.intoArray(q11, k0);
                }
                fallback[fallbacks++] = k0;
                return;
            }
            FloatVector x0 = floor(xin);
            FloatVector y0 = floor(yin);
            if (bilinear) {
                xin.sub(x0).intoArray(fx, k0);
                yin.sub(y0).intoArray(fy, k0);
            }
            if (fast) {
                // integers below 2^21, so exact in float, plus the bias of index()
                FloatVector i00 = y0.mul((float) stride).add(x0).add(origin + MAGIC);
                i00.intoArray(q00, k0);
                if (bilinear) {
                    i00.add(1f).intoArray(q01, k0);
                    i00.add((float) stride).intoArray(q10, k0);
                    i00.add((float) (stride + 1)).intoArray(q11, k0);
                }
                return;
            }
            if (clamped) {
                // nearest's fillIndex is a clamp to [0, n - 1]; the constant's, into the frame, to [-1, n]
                FloatVector c0 = x0.max(clampLo).min(clampHiX);
                FloatVector r0 = y0.max(clampLo).min(clampHiY).mul((float) stride).add(origin + MAGIC);
                r0.add(c0).intoArray(q00, k0);
                if (bilinear) {
                    FloatVector c1 = x0.add(1f).max(clampLo).min(clampHiX);
                    FloatVector r1 = y0.add(1f).max(clampLo).min(clampHiY).mul((float) stride).add(origin + MAGIC);
                    r0.add(c1).intoArray(q01, k0);
                    r1.add(c0).intoArray(q10, k0);
                    r1.add(c1).intoArray(q11, k0);
                }
                return;
            }
            x0.intoArray(tx, 0);
            y0.intoArray(ty, 0);
            for (int k = 0; k < L; k++) {
                int cx = padX + (int) tx[k];
                int cy = padY + (int) ty[k];
                int c0 = columns[cx];
                int r0 = rows[cy];
                q00[k0 + k] = Float.intBitsToFloat(MAGIC_BITS + r0 + c0);
                if (bilinear) {
                    int c1 = columns[cx + 1];
                    int r1 = rows[cy + 1];
                    q01[k0 + k] = Float.intBitsToFloat(MAGIC_BITS + r0 + c1);
                    q10[k0 + k] = Float.intBitsToFloat(MAGIC_BITS + r1 + c0);
                    q11[k0 + k] = Float.intBitsToFloat(MAGIC_BITS + r1 + c1);
                }
            }
        }

        /** Step 3 for pixels {@code [k, k + L)} of the image: Augment's lerp(a, b, t) = fma(t, b - a, a), thrice. */
        private void interpolate(float[] y, int out, int k) {
            FloatVector a00 = FloatVector.fromArray(FS, q00, k);
            FloatVector a10 = FloatVector.fromArray(FS, q10, k);
            FloatVector tx = FloatVector.fromArray(FS, fx, k);
            FloatVector top = tx.fma(FloatVector.fromArray(FS, q01, k).sub(a00), a00);
            FloatVector bottom = tx.fma(FloatVector.fromArray(FS, q11, k).sub(a10), a10);
            FloatVector.fromArray(FS, fy, k).fma(bottom.sub(top), top).intoArray(y, out + k);
        }

        /**
         * Step 2 for one neighbour: each index stored by step 1 replaced by the value it points at. An index i is a
         * non-negative integer below 2^22 stored as the float i + 1.5 2^23, whose bits are the magic's plus i (JDK 17
         * cannot convert the vectors to ints; see the class comment).
         */
        private void read(float[] src, int base, float[] q) {
            int b = base - MAGIC_BITS;
            for (int k = 0; k < hw; k++) {
                q[k] = src[b + Float.floatToRawIntBits(q[k])];
            }
        }

        private static boolean within(FloatVector xs, FloatVector ys, float loX, float loY, float hiX, float hiY) {
            return xs.compare(VectorOperators.GE, loX).and(xs.compare(VectorOperators.LT, hiX))
                    .and(ys.compare(VectorOperators.GE, loY)).and(ys.compare(VectorOperators.LT, hiY)).allTrue();
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
