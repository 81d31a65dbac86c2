package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.Tensor;

/** A model used from two threads at once: the second call fails fast and the first finishes undisturbed. */
class ConcurrentUseTest extends CpuModelTestBase {
    private static final Object[] DATA = SequentialTest.blobs(256, 5);

    @TempDir
    Path dir;

    private static Sequential model() {
        return compiledSmallNet();
    }

    private static FitOptions options(Callback... callbacks) {
        return new FitOptions().batchSize(32).epochs(3).verbose(0).seed(7).callbacks(callbacks);
    }

    @Test
    void aSecondThreadFailsFastAndTheFirstFitEndsAsIfAlone() throws Exception {
        List<float[]> expected;
        try (Sequential alone = model()) {
            alone.fit((Tensor) DATA[0], (int[]) DATA[1], options());
            expected = alone.getWeights();
        }
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Callback pause = new Callback() {
            @Override
            public void onEpochEnd(int epoch, Logs logs) {
                if (epoch == 1) {
                    inside.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try (Sequential shared = model()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread trainer = new Thread(() -> {
                try {
                    shared.fit((Tensor) DATA[0], (int[]) DATA[1], options(pause));
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "trainer");
            trainer.start();
            assertTrue(inside.await(30, TimeUnit.SECONDS));
            Tensor x = (Tensor) DATA[0];
            int[] y = (int[]) DATA[1];
            for (Executable call : new Executable[] {
                () -> shared.fit(x, y, options()),
                () -> shared.predict(x),
                () -> shared.evaluate(x, y),
                () -> shared.getWeights(),
                () -> shared.setWeights(expected),
                () -> shared.save(dir.resolve("m.dmodel")),
                () -> shared.setLearningRate(0.5),
                () -> shared.compile("sgd", "sparse_categorical_crossentropy"),
                shared::close,
            }) {
                IllegalStateException e = assertThrows(IllegalStateException.class, call);
                assertTrue(e.getMessage().contains("while thread 'trainer' is in fit")
                        && e.getMessage().contains("not thread-safe"), e.getMessage());
            }
            release.countDown();
            trainer.join(60_000);
            assertEquals(null, failure.get());
            List<float[]> got = shared.getWeights();
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i), "weight " + i + " differs from a fit run alone");
            }
        }
    }

    @Test
    void stopTrainingStillWorksFromAnotherThread() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Callback wait = new Callback() {
            @Override
            public void onEpochEnd(int epoch, Logs logs) {
                inside.countDown();
                try {
                    stopped.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (Sequential m = model()) {
            AtomicReference<History> h = new AtomicReference<>();
            Thread t = new Thread(() -> h.set(m.fit((Tensor) DATA[0], (int[]) DATA[1], options(wait))));
            t.start();
            assertTrue(inside.await(30, TimeUnit.SECONDS));
            m.stopTraining();
            stopped.countDown();
            t.join(60_000);
            assertEquals(1, h.get().epochs().size());
        }
    }
}
