package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;

/**
 * The CPU's affine resampling loop ({@link dev.dendrite.backend.Backend#augmentAffine}): {@link Augment#affine}, the
 * definition, one pixel at a time, or with {@code jdk.incubator.vector} {@link CpuAffineVector}, which computes a
 * vector of output pixels of a row at once and gives the same bits (same float operations in the same order). The
 * scalar loop made the notebook generator's one resampling cost about half a plain epoch of the notebook network;
 * the vector loop, which reads the neighbours from a padded copy of the image with gathers, costs about 6% of a
 * step (bench/RESULTS.md). {@code -Ddendrite.augment.scalar=true} keeps the
 * scalar loop.
 */
final class CpuAffine {
    /** Images {@code [from, to)}: {@link Augment#affine}'s contract. */
    interface Kernel {
        void apply(float[] x, int xo, float[] y, int yo, int from, int to, int height, int width, AffineAugment a,
                   long seed, int step, int stream);
    }

    private static final Kernel VECTOR =
            CpuVectorKernels.load(Kernel.class, "CpuAffineVector", "dendrite.augment.scalar");
    private static final Kernel SCALAR = Augment::affine;

    private CpuAffine() {
    }

    static Kernel kernel() {
        return VECTOR != null ? VECTOR : SCALAR;
    }

    /** Whether the vector loop is in use (the JVM was started with {@code --add-modules jdk.incubator.vector}). */
    static boolean vectorised() {
        return VECTOR != null;
    }
}
