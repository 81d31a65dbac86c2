package dev.dendrite.model;

import java.nio.file.Path;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.BackupAndRestore;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/**
 * The child JVM of {@link BackupAndRestoreTest}: one fit of {@link #net} on {@link #X}/{@link #Y} with a
 * BackupAndRestore in the folder {@code args[0]} saving every {@code args[2]} batches ("epoch" for epochs), then the
 * final weights saved to {@code args[1]}. Prints "ready" when the fit begins and "done" at the end.
 */
final class BackupChild {
    static final int EPOCHS = 6;
    static final int BATCH = 10;
    private static final Object[] DATA = SequentialTest.blobs(150, 21);
    static final Tensor X = (Tensor) DATA[0];
    static final int[] Y = (int[]) DATA[1];

    private BackupChild() {
    }

    /** A net whose every step draws dropout and updates batch statistics and Adam's moments. */
    static Sequential net(dev.dendrite.backend.Backend backend) {
        Sequential m = new Sequential(new Input(4), new Dense(24, "relu"), new BatchNormalization(), new Dropout(0.25),
                new Dense(3, "softmax")).backend(backend);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    static FitOptions options(Callback... callbacks) {
        return new FitOptions().epochs(EPOCHS).batchSize(BATCH).verbose(0).callbacks(callbacks);
    }

    public static void main(String[] args) throws Exception {
        try (CpuBackend cpu = new CpuBackend(2); Sequential m = net(cpu)) {
            Callback ready = new Callback() {
                @Override
                public void onTrainBegin(dev.dendrite.callbacks.Logs logs) {
                    System.out.println("ready");
                    System.out.flush();
                }
            };
            m.fit(X, Y, options(ready, new BackupAndRestore(Path.of(args[0]), args[2], true)));
            m.saveWeights(Path.of(args[1]));
            System.out.println("done");
        }
    }
}
