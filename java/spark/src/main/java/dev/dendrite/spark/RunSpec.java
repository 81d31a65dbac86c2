package dev.dendrite.spark;

import java.io.Serializable;

import dev.dendrite.experiments.RunConfig;

/**
 * One Spark task's work: a configuration and the seed to train it with. {@code id} keys its result, so that a
 * configuration whose task ran twice (a retry after an executor was lost) is counted once.
 *
 * @param id     unique within the sweep: the run's name (which includes the seed when there are several)
 * @param name   the configuration's name as added
 * @param seed   the seed of initialisation, shuffling and dropout
 * @param config the settings
 */
record RunSpec(String id, String name, long seed, RunConfig config) implements Serializable {
}
