package dev.dendrite.optimizers;

/** Base of every optimizer (skeleton). */
public abstract class Optimizer {
}
