package dev.dendrite.layers;

/** Base of every layer (skeleton). */
public abstract class Layer {
}
