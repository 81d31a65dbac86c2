package dev.dendrite.model;

import dev.dendrite.backend.Slice;

/**
 * Device ops that add one batch's outputs and targets to metric counts: issued within a training step or an
 * evaluation batch, never a read back to the host.
 */
@FunctionalInterface
interface BatchMetrics {
    void add(Slice outputs, Slice targets, int rows);
}
