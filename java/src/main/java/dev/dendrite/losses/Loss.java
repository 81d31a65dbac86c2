package dev.dendrite.losses;

/** Base of every loss (skeleton). */
public abstract class Loss {
}
