package dev.dendrite.model;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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

    /** {@link #smallNet()} compiled with Adam and sparse categorical cross-entropy. */
    static Sequential compiledSmallNet() {
        Sequential m = smallNet();
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }
}
