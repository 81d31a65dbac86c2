package dev.dendrite.backend.cuda;

import dev.dendrite.backend.Backend;
import dev.dendrite.model.BackendParityTest;


/**
 * One epoch of Fashion-MNIST training on the CUDA backend against the CPU backend, in full FP32 (TF32 GEMMs,
 * at about 1e-3 relative error per product, would need looser tolerances than the parity suite's). Skipped,
 * with the reason, where there is no usable GPU.
 */
class CudaParityTest extends BackendParityTest {
    @Override
    protected Backend createBackend() {
        CudaBackend cuda = CudaTestSupport.backendOrSkip(getClass());
        cuda.setTf32(false); // whatever -Ddendrite.cuda.tf32 says
        return cuda;
    }
}
