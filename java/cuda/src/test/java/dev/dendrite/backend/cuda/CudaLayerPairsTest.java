package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.LayerPairsTest;

/**
 * Layer pairs on the CUDA backend, where a batch norm's kernels drop values for the Dropout after it: training and
 * predictions bit for bit like the layers apart (cuBLAS chooses its kernels per shape, the same in both runs of one
 * JVM). Skipped, with the reason, where there is no usable GPU. The dense layers stay off cuBLASLt's epilogue
 * (-Ddendrite.cuda.ltEpilogue=false): a linear Dense with an activation layer after it and the pair of both would
 * take different epilogues, whose bits need not agree.
 */
class CudaLayerPairsTest extends LayerPairsTest {
    @Override
    protected Backend createBackend() {
        return CudaTestSupport.backendOrSkip(getClass(), "dendrite.cuda.ltEpilogue", "false");
    }
}
