package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AugmentConformanceTest;
import dev.dendrite.backend.Backend;

/** The augmentation family on the CPU backend, three threads so that images split unevenly. */
class CpuAugmentConformanceTest extends AugmentConformanceTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(3);
    }
}
