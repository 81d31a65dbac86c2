/** Benchmarks: JMH per-op micro-benchmarks and the end-to-end epoch benchmark. */
package dev.dendrite.bench;
