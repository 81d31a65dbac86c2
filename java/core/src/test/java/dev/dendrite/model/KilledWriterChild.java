package dev.dendrite.model;

import java.nio.file.Path;
import java.util.List;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.ModelCheckpoint;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.data.Tensor;

/**
 * The process {@link KilledWriterTest} kills: saves a model over one file in a loop ({@code save FILE}), or fits
 * with a {@link ModelCheckpoint} writing FILE every epoch ({@code fit FILE}), until killed. It prints "ready" once
 * FILE holds a complete model, so the killer never races the first write.
 */
public final class KilledWriterChild {
    /** Inputs and units of the saved Dense layer: 1000 x 1000 + 1000 floats, about 4 MB per save. */
    static final int WIDTH = 1000;

    private KilledWriterChild() {
    }

    /** The kernel value every save holds at index {@code j}, so a loaded file can be checked against it. */
    static float kernelValue(int j) {
        return (j % 977) * 0.001f - 0.5f;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        try (CpuBackend cpu = new CpuBackend(1)) {
            if (args[0].equals("save")) {
                saveLoop(file, cpu);
            } else {
                fitLoop(file, cpu);
            }
        }
    }

    /** Save {@code i} holds the fixed kernel and a bias whose every value is {@code i}. */
    private static void saveLoop(Path file, CpuBackend cpu) throws Exception {
        try (Sequential m = new Sequential(new Input(WIDTH), new Dense(WIDTH)).backend(cpu)) {
            m.build(WIDTH);
            float[] kernel = new float[WIDTH * WIDTH];
            for (int j = 0; j < kernel.length; j++) {
                kernel[j] = kernelValue(j);
            }
            for (int i = 1; ; i++) {
                float[] bias = new float[WIDTH];
                java.util.Arrays.fill(bias, i);
                m.setWeights(List.of(kernel, bias));
                m.save(file);
                if (i == 1) {
                    System.out.println("ready");
                    System.out.flush();
                }
            }
        }
    }

    private static void fitLoop(Path file, CpuBackend cpu) {
        Object[] d = SequentialTest.blobs(256, 3);
        try (Sequential m = new Sequential(new Input(4), new Dense(512, "relu"), new Dense(512, "relu"),
                new Dense(3, "softmax")).backend(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            FitOptions o = new FitOptions().batchSize(64).verbose(0).callbacks(new ModelCheckpoint(file.toString()));
            m.fit((Tensor) d[0], (int[]) d[1], o.epochs(1));
            System.out.println("ready");
            System.out.flush();
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().batchSize(64).verbose(0).epochs(1_000_000)
                    .callbacks(new ModelCheckpoint(file.toString())));
        }
    }
}
