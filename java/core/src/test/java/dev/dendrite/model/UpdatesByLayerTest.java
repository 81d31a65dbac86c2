package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;

/**
 * Where each layer's update follows its own backward pass (Engine.updatesByLayer): unset, only where the backend runs
 * branches beside the ops after them or runs on the host's processor, so that a GPU queue that runs every op in order
 * (OpenCL on a GPU) updates all parameters in one op; the property decides when set, and a typo is an error.
 * Bit-identity of the two ways is StepCaptureTest's.
 */
class UpdatesByLayerTest {
    private static final String KEY = "dendrite.updates.byLayer";

    @AfterEach
    void clear() {
        System.clearProperty(KEY);
    }

    /** A backend that answers only the two questions the rule asks. */
    private static Backend backend(boolean beside, boolean hostCpu) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "runsBranchesBeside" -> beside;
                    case "runsOnHostCpu" -> hostCpu;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void unsetByLayerOnlyWhereItPays() {
        assertTrue(Engine.updatesByLayer(backend(true, false)), "CUDA recording graphs: beside the backward pass");
        assertTrue(Engine.updatesByLayer(backend(false, true)), "the cpu backend, PoCL: gradients in cache");
        assertEquals(false, Engine.updatesByLayer(backend(false, false)), "a GPU queue in issue order: one update");
    }

    @Test
    void thePropertyDecidesWhenSet() {
        System.setProperty(KEY, "true");
        assertTrue(Engine.updatesByLayer(backend(false, false)));
        System.setProperty(KEY, "false");
        assertEquals(false, Engine.updatesByLayer(backend(true, true)));
        System.setProperty(KEY, "yes");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Engine.updatesByLayer(backend(true, true)));
        assertTrue(e.getMessage().contains("=yes"), e.getMessage());
    }
}
