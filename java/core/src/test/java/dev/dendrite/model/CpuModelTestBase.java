package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.function.Executable;

/**
 * What the model-level fault tests share: one two-thread CPU backend per test class, and the small 4-16-3
 * classifier they train, save and break.
 */
abstract class CpuModelTestBase {
    static Backend cpu;

    @BeforeAll
    static void startCpu() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stopCpu() {
        cpu.close();
    }

    /** 4 inputs, 16 relu, 3 softmax classes on {@link #cpu}, not yet compiled. */
    static Sequential smallNet() {
        return new Sequential(new Input(4), new Dense(16, "relu"), new Dense(3, "softmax")).backend(cpu);
    }

    /**
     * {@link #smallNet()} compiled with plain SGD, which keeps no state: a model's later fit and a fresh model's first
     * fit from the same weights take the same steps.
     */
    static Sequential sgdNet() {
        Sequential m = smallNet();
        m.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    /** {@code rows} inputs for {@link #smallNet()}, standard normal from {@code seed}. */
    static Tensor gaussianInputs(int rows, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(v, rows, 4);
    }

    /** {@code call} throws an IllegalArgumentException with exactly {@code message}. */
    static void refuses(String message, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }

    /** {@link #smallNet()} compiled with Adam and sparse categorical cross-entropy. */
    static Sequential compiledSmallNet() {
        Sequential m = smallNet();
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }
}
