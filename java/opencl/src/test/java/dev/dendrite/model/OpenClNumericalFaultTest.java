package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.optimizers.SGD;

/**
 * {@link NumericalFaultTest}'s case for a device backend, here because it needs the OpenCL backend, which the
 * core module's tests do not have on their class path.
 */
class OpenClNumericalFaultTest {

    @Test
    void onOpenClTheLossIsReadOnlyWhereItWasReadAnyway() {
        dev.dendrite.backend.opencl.OpenClBackend ocl;
        try {
            ocl = new dev.dendrite.backend.opencl.OpenClBackend();
        } catch (UnsupportedOperationException e) {
            // CI installs PoCL so that this runs; elsewhere a machine without OpenCL skips it.
            assertFalse("true".equalsIgnoreCase(System.getenv("CI")), "CI=true but no OpenCL device: " + e);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "no OpenCL device: " + e.getMessage());
            return;
        }
        try (ocl; Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dense(3, "softmax"))
                .backend(ocl)) {
            m.compile(new SGD(1e30), new dev.dendrite.losses.SparseCategoricalCrossentropy(), "accuracy");
            NumericalFaultException e = assertThrows(NumericalFaultException.class,
                    () -> NumericalFaultTest.fit(m, new FitOptions()));
            // verbose 0: nothing reads the loss before the end of the epoch, which is where the fault is seen.
            assertEquals(0, e.epoch());
            assertEquals(7, e.batch());
            assertTrue(e.getMessage().startsWith("epoch 1/3, batch 8/8: the training loss became"), e.getMessage());
            assertTrue(e.getMessage().contains("it was not read earlier in this epoch"), e.getMessage());
        }
    }
}
