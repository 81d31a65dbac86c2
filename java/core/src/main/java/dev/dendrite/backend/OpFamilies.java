package dev.dendrite.backend;

/**
 * The op families a backend is made of, mirroring {@code kernels/}: {@link AbstractBackend} runs each op's checks
 * and then hands it to the family's implementation here. See kernels/README.md for each family's kernels and tests.
 *
 * <p>For backend implementations; not part of the model-level API.
 */
public record OpFamilies(GemmOps gemm, ReductionOps reductions, ActivationOps activations, LossOps losses,
                         RegularizerOps regularizers, DropoutOps dropout, BatchNormOps batchNorm,
                         OptimizerOps optimizers, DataOps data,
                         OptimizerOptionOps optimizerOptions, NoiseOps noise, LayerNormOps layerNorm,
                         AugmentOps augment, MetricOps metrics) {
}
