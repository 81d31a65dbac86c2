package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.callbacks.ReduceLROnPlateau;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.DataSourceException;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;

/**
 * {@code fit}, {@code evaluate} and {@code predict} on a {@link DataSource}: the same numbers as the array path
 * for the same data order, Keras's epoch and step semantics, failures named by batch, and no thread or open
 * source left behind on any way out.
 */
class SourceFitTest extends CpuModelTestBase {
    /** 4 inputs, 16 relu, dropout (so that the step counter and seed must match too), 3 softmax classes. */
    private static Sequential net() {
        Sequential m = new Sequential(new Input(4), new Dense(16, "relu"), new Dropout(0.25),
                new Dense(3, "softmax")).backend(cpu);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        return m;
    }

    @AfterEach
    void noPrefetchThreadLeft() {
        assertEquals(0, prefetchThreads(), "a prefetch thread outlived its fit");
    }

    private static long prefetchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("dendrite-prefetch") && t.isAlive()).count();
    }

    /** Counts the hooks a source receives; optionally fails or sleeps at a batch. */
    private static final class Probe implements DataSource {
        final DataSource inner;
        final AtomicInteger epochEnds = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();
        volatile int failAt = -1;
        volatile long sleepMs;

        Probe(DataSource inner) {
            this.inner = inner;
        }

        @Override
        public int batchesPerEpoch() {
            return inner.batchesPerEpoch();
        }

        @Override
        public Batch batch(int index) {
            reads.incrementAndGet();
            if (index == failAt) {
                throw new IllegalStateException("disk unplugged");
            }
            if (sleepMs > 0) {
                try {
                    Thread.sleep(sleepMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return inner.batch(index);
        }

        @Override
        public void onEpochEnd() {
            epochEnds.incrementAndGet();
            inner.onEpochEnd();
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private static void assertSameWeights(List<float[]> expected, List<float[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "weight " + i);
        }
    }

    @ParameterizedTest(name = "prefetch {0}")
    @ValueSource(ints = {0, 1, 10})
    void arraySourceGivesExactlyTheArrayFitsWeights(int prefetch) {
        Object[] d = SequentialTest.blobs(300, 21);
        Object[] v = SequentialTest.blobs(90, 22);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        FitOptions base = new FitOptions().batchSize(32).epochs(3).verbose(0).shuffle(false).seed(5);
        History arrays;
        List<float[]> expected;
        try (Sequential m = net()) {
            arrays = m.fit(x, y, base.validationData((Tensor) v[0], (int[]) v[1]));
            expected = m.getWeights();
        }
        Probe source = new Probe(DataSource.of(x, y, 32, false, 0));
        try (Sequential m = net()) {
            History h = m.fit(source, new FitOptions().epochs(3).verbose(0).seed(5).prefetch(prefetch)
                    .validationData((Tensor) v[0], (int[]) v[1]));
            assertSameWeights(expected, m.getWeights());
            assertEquals(arrays.get("loss"), h.get("loss"));
            assertEquals(arrays.get("val_loss"), h.get("val_loss"));
            assertEquals(arrays.get("val_accuracy"), h.get("val_accuracy"));
        }
        assertEquals(3, source.epochEnds.get(), "onEpochEnd once per epoch");
        assertEquals(1, source.closes.get(), "closed once, at the end of fit");
        assertEquals(3 * 10, source.reads.get(), "every batch read once: 10 per epoch");
    }

    @Test
    void byteInputsWithTheirTransformMatchTheArrayFit() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 200;
        byte[] px = new byte[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int f = 0; f < 4; f++) {
                px[i * 4 + f] = (byte) ((f == y[i] ? 160 : 20) + r.nextInt(80));
            }
        }
        ByteTensor x = ByteTensor.wrap(px, n, 4).withTransform(new float[] {1 / 255f, 1 / 255f, 1 / 255f, 1 / 255f},
                new float[] {0, -0.1f, 0, 0.1f});
        List<float[]> expected;
        try (Sequential m = net()) {
            m.fit(x, y, new FitOptions().batchSize(48).epochs(2).verbose(0).shuffle(false));
            expected = m.getWeights();
        }
        try (Sequential m = net()) {
            m.fit(DataSource.of(x, y, 48, false, 0), new FitOptions().epochs(2).verbose(0));
            assertSameWeights(expected, m.getWeights());
        }
    }

    @Test
    void aSlowSourceTrainsTheSameAsAFastOne() {
        Object[] d = SequentialTest.blobs(160, 23);
        List<float[]> fast;
        try (Sequential m = net()) {
            m.fit(DataSource.of((Tensor) d[0], (int[]) d[1], 16, true, 9), new FitOptions().epochs(2).verbose(0));
            fast = m.getWeights();
        }
        Probe slow = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 16, true, 9));
        slow.sleepMs = 3; // slower than a step of this net, so the trainer waits on the queue
        try (Sequential m = net()) {
            m.fit(slow, new FitOptions().epochs(2).verbose(0).prefetch(2));
            assertSameWeights(fast, m.getWeights());
        }
        assertEquals(1, slow.closes.get());
    }

    @ParameterizedTest(name = "prefetch {0}")
    @ValueSource(ints = {0, 3})
    void aFailingSourceSurfacesInFitWithItsBatchIndex(int prefetch) {
        Object[] d = SequentialTest.blobs(200, 24);
        Probe p = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 20, false, 0));
        p.failAt = 7;
        try (Sequential m = net()) {
            DataSourceException e = assertThrows(DataSourceException.class,
                    () -> m.fit(p, new FitOptions().epochs(2).verbose(0).prefetch(prefetch)));
            assertEquals(7, e.batchIndex());
            assertTrue(e.getMessage().contains("training data source failed at batch 7"), e.getMessage());
            assertTrue(e.getCause().getMessage().contains("disk unplugged"));
            // The model is usable afterwards.
            m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().epochs(1).verbose(0));
        }
        assertEquals(1, p.closes.get());
    }

    @Test
    void aBadBatchIsNamedByItsIndex() {
        Object[] d = SequentialTest.blobs(100, 25);
        int[] y = ((int[]) d[1]).clone();
        y[65] = 7; // batch 6 of batches of 10: a class the 3-way model does not have
        try (Sequential m = net()) {
            DataSourceException e = assertThrows(DataSourceException.class,
                    () -> m.fit(DataSource.of((Tensor) d[0], y, 10, false, 0), new FitOptions().verbose(0)));
            assertEquals(6, e.batchIndex());
            assertTrue(e.getMessage().contains("7"), e.getMessage());
        }
    }

    @Test
    void aLargerBatchAfterTheFirstIsRefused() {
        Tensor x = (Tensor) SequentialTest.blobs(40, 26)[0];
        DataSource s = new DataSource() {
            @Override
            public int batchesPerEpoch() {
                return 2;
            }

            @Override
            public Batch batch(int index) {
                int n = index == 0 ? 10 : 20;
                return new Batch(x.rows(0, n), new int[n], null);
            }
        };
        try (Sequential m = net()) {
            DataSourceException e = assertThrows(DataSourceException.class,
                    () -> m.fit(s, new FitOptions().verbose(0).prefetch(0)));
            assertEquals(1, e.batchIndex());
            assertTrue(e.getMessage().contains("more than the first batch's 10"), e.getMessage());
        }
    }

    /** An endless generator of blobs, counting what it made. */
    private static Iterator<DataSource.Batch> endless(AtomicInteger made) {
        return new Iterator<>() {
            private final SplittableRandom r = new SplittableRandom(27);

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public DataSource.Batch next() {
                made.incrementAndGet();
                Object[] d = SequentialTest.blobs(16, r.nextLong());
                return new DataSource.Batch((Tensor) d[0], (int[]) d[1], null);
            }
        };
    }

    @Test
    void anEndlessSourceTrainsStepsPerEpochBatchesPerEpoch() {
        AtomicInteger made = new AtomicInteger();
        int[] batchesSeen = new int[1];
        try (Sequential m = net()) {
            m.setLearningRate(0.05); // 15 small steps are too few at Adam's default rate
            History h = m.fit(DataSource.fromIterator(endless(made)), new FitOptions().epochs(3).stepsPerEpoch(5)
                    .verbose(0).callbacks(LambdaCallback.onBatchEnd((b, logs) -> batchesSeen[0]++)));
            assertEquals(3, h.epochs().size());
            assertTrue(h.get("accuracy").get(2) > 0.9, "learns the blobs: " + h.get("accuracy"));
        }
        assertEquals(15, batchesSeen[0]);
        assertEquals(15, made.get(), "the reader asks for no batch beyond the epochs' steps");
    }

    @Test
    void stepsPerEpochIsRequiredForAnEndlessSourceAndBoundedByAFiniteOne() {
        Object[] d = SequentialTest.blobs(50, 28);
        try (Sequential m = net()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(DataSource.fromIterator(endless(new AtomicInteger())), new FitOptions().verbose(0)));
            assertTrue(e.getMessage().contains("stepsPerEpoch"), e.getMessage());
            Probe p = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0));
            e = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(p, new FitOptions().stepsPerEpoch(6).verbose(0)));
            assertTrue(e.getMessage().contains("stepsPerEpoch 6 but the data source has only 5 batches"),
                    e.getMessage());
            assertEquals(1, p.closes.get(), "closed on a failed start too");
        }
    }

    @Test
    void shorterEpochsCarryOnThroughAFiniteSource() {
        Object[] d = SequentialTest.blobs(60, 29);
        int[] indices = new int[8];
        AtomicInteger k = new AtomicInteger();
        DataSource inner = DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0);
        DataSource s = new DataSource() {
            @Override
            public int batchesPerEpoch() {
                return inner.batchesPerEpoch();
            }

            @Override
            public Batch batch(int index) {
                indices[k.getAndIncrement()] = index;
                return inner.batch(index);
            }
        };
        try (Sequential m = net()) {
            m.fit(s, new FitOptions().epochs(2).stepsPerEpoch(4).verbose(0));
        }
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 0, 1}, indices);
    }

    @Test
    void validationFromASourceMatchesValidationArrays() {
        Object[] d = SequentialTest.blobs(200, 30);
        Object[] v = SequentialTest.blobs(70, 31);
        History arrays;
        try (Sequential m = net()) {
            arrays = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().batchSize(25).epochs(2).verbose(0)
                    .shuffle(false).validationData((Tensor) v[0], (int[]) v[1]));
        }
        Probe val = new Probe(DataSource.of((Tensor) v[0], (int[]) v[1], 32, false, 0));
        try (Sequential m = net()) {
            History h = m.fit(DataSource.of((Tensor) d[0], (int[]) d[1], 25, false, 0),
                    new FitOptions().epochs(2).verbose(0).validationData(val));
            assertEquals(arrays.get("loss"), h.get("loss"));
            for (int e = 0; e < 2; e++) {
                // Three batch means weighted by their sizes vs one sum: float rounding apart, so 1e-6 relative.
                assertEquals(arrays.get("val_loss").get(e), h.get("val_loss").get(e),
                        1e-6 * arrays.get("val_loss").get(e));
                assertEquals(arrays.get("val_accuracy").get(e), h.get("val_accuracy").get(e), 1e-9);
            }
        }
        assertEquals(2, val.epochEnds.get(), "the validation source's epoch ends after each pass");
        assertEquals(1, val.closes.get());
        Probe forArrays = new Probe(DataSource.of((Tensor) v[0], (int[]) v[1], 32, false, 0));
        try (Sequential m = net()) { // an array fit takes a validation source too, over validationSplit
            History h = m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().batchSize(25).epochs(2).verbose(0)
                    .shuffle(false).validationSplit(0.5).validationData(forArrays));
            assertEquals(arrays.get("loss"), h.get("loss"), "all 200 samples train: the source overrides the split");
            for (int e = 0; e < 2; e++) {
                assertEquals(arrays.get("val_loss").get(e), h.get("val_loss").get(e),
                        1e-6 * arrays.get("val_loss").get(e));
            }
        }
        assertEquals(2, forArrays.epochEnds.get());
        assertEquals(2 * 3, forArrays.reads.get(), "3 batches per pass");
        assertEquals(1, forArrays.closes.get());
    }

    @Test
    void evaluateAndPredictReadEveryBatchInOrder() {
        Object[] d = SequentialTest.blobs(150, 32);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = net()) {
            m.fit(x, y, new FitOptions().epochs(2).verbose(0));
            Map<String, Double> arrays = m.evaluate(x, y);
            Probe p = new Probe(DataSource.of(x, y, 40, false, 0));
            Map<String, Double> source = m.evaluate(p);
            assertEquals(arrays.get("loss"), source.get("loss"), 1e-6 * arrays.get("loss"));
            assertEquals(arrays.get("accuracy"), source.get("accuracy"), 1e-9);
            assertEquals(1, p.closes.get());
            Tensor expected = m.predict(x);
            Tensor got = m.predict(DataSource.of(x, (Tensor) null, 40, false, 0));
            assertArrayEquals(expected.shape(), got.shape());
            float[] e = expected.toArray();
            float[] g = got.toArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], g[i], 1e-6f, "output " + i);
            }
        }
    }

    /** Batches of 16 rows of {@code x}/{@code y} (80 rows), round and round, counting what it made. */
    private static Iterator<DataSource.Batch> cycling(float[] x, int[] y, AtomicInteger made) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public DataSource.Batch next() {
                int b = made.getAndIncrement() % 5;
                float[] xs = java.util.Arrays.copyOfRange(x, b * 16 * 4, (b + 1) * 16 * 4);
                return new DataSource.Batch(Tensor.wrap(xs, 16, 4), java.util.Arrays.copyOfRange(y, b * 16,
                        (b + 1) * 16), null);
            }
        };
    }

    @Test
    void evaluateAndPredictReadStepsBatchesOfAnEndlessSource() {
        Object[] d = SequentialTest.blobs(80, 33);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        try (Sequential m = net()) {
            m.fit(x, y, new FitOptions().epochs(2).verbose(0));
            Map<String, Double> arrays = m.evaluate(x, y);
            AtomicInteger made = new AtomicInteger();
            Map<String, Double> source = m.evaluate(DataSource.fromIterator(cycling(x.toArray(), y, made)), 5);
            // 5 batch means weighted by their sizes vs the arrays' batches: float rounding apart, so 1e-6 relative.
            assertEquals(arrays.get("loss"), source.get("loss"), 1e-6 * arrays.get("loss"));
            assertEquals(arrays.get("accuracy"), source.get("accuracy"), 1e-9);
            assertEquals(5, made.get(), "no batch read beyond steps");

            made.set(0);
            Tensor got = m.predict(DataSource.fromIterator(cycling(x.toArray(), y, made)), 7);
            assertArrayEquals(new int[] {7 * 16, 3}, got.shape());
            assertEquals(7, made.get(), "no batch read beyond steps");
            float[] e = m.predict(x).toArray();
            float[] g = got.toArray();
            for (int i = 0; i < g.length; i++) {
                assertEquals(e[i % e.length], g[i], 1e-6f, "output " + i); // rows 80.. are rows 0.. again
            }

            // A finite source reads its first steps batches; more than it has, or steps < 1, are refused by name.
            Map<String, Double> firstOne = m.evaluate(DataSource.of(x, y, 40, false, 0), 1);
            assertEquals(m.evaluate(x.rows(0, 40), java.util.Arrays.copyOf(y, 40)).get("loss"), firstOne.get("loss"),
                    1e-6 * firstOne.get("loss"));
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(DataSource.of(x, y, 40, false, 0), 3));
            assertTrue(ex.getMessage().contains("steps 3 but the data source has only 2 batches"), ex.getMessage());
            Probe p = new Probe(DataSource.of(x, y, 40, false, 0));
            ex = assertThrows(IllegalArgumentException.class, () -> m.predict(p, 0));
            assertTrue(ex.getMessage().contains("predict steps 0; expected"), ex.getMessage());
            assertEquals(1, p.closes.get(), "closed on a refused start too");
            ex = assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(DataSource.fromIterator(cycling(x.toArray(), y, new AtomicInteger()))));
            assertTrue(ex.getMessage().contains("endless") && ex.getMessage().contains("evaluate(source, steps)"),
                    ex.getMessage());
        }
    }

    @Test
    void earlyStoppingAndReduceLrKeepTheirStateAcrossTheEpochsOfASourceFit() {
        Object[] d = SequentialTest.blobs(300, 11);
        Tensor x = (Tensor) d[0];
        int[] y = (int[]) d[1];
        Tensor tx = x.rows(0, 210);
        int[] ty = java.util.Arrays.copyOfRange(y, 0, 210);
        Inputs vx = x.rows(210, 300);
        int[] vy = java.util.Arrays.copyOfRange(y, 210, 300);
        History arrays;
        EarlyStopping esArrays = new EarlyStopping().monitor("val_loss").patience(2).restoreBestWeights(true);
        List<float[]> expected;
        try (Sequential m = net()) {
            m.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
            m.setLearningRate(3.0); // far too high: validation loss gets worse after the first epochs
            arrays = m.fit(tx, ty, new FitOptions().epochs(30).verbose(0).shuffle(false).validationData(vx, vy)
                    .callbacks(esArrays, new ReduceLROnPlateau().monitor("loss").patience(1).factor(0.5)));
            expected = m.getWeights();
        }
        assertTrue(arrays.epochs().size() < 30, "the array fit stopped early: " + arrays.epochs().size());
        EarlyStopping es = new EarlyStopping().monitor("val_loss").patience(2).restoreBestWeights(true);
        Probe p = new Probe(DataSource.of(tx, ty, 32, false, 0));
        try (Sequential m = net()) {
            m.compile("sgd", "sparse_categorical_crossentropy", "accuracy");
            m.setLearningRate(3.0);
            History h = m.fit(p, new FitOptions().epochs(30).verbose(0).validationData(vx, vy)
                    .callbacks(es, new ReduceLROnPlateau().monitor("loss").patience(1).factor(0.5)));
            assertEquals(arrays.epochs(), h.epochs());
            assertEquals(arrays.get("learning_rate"), h.get("learning_rate"));
            assertEquals(esArrays.stoppedEpoch(), es.stoppedEpoch());
            assertEquals(esArrays.bestEpoch(), es.bestEpoch());
            assertSameWeights(expected, m.getWeights());
        }
        assertEquals(arrays.epochs().size(), p.epochEnds.get());
        assertEquals(1, p.closes.get());
    }

    @Test
    void stopTrainingFromACallbackEndsTheFitAndItsThread() {
        Object[] d = SequentialTest.blobs(100, 33);
        Probe p = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 10, true, 1));
        try (Sequential m = net()) {
            History h = m.fit(p, new FitOptions().epochs(10).verbose(0)
                    .callbacks(LambdaCallback.onEpochEnd((e, logs) -> {
                        if (e == 1) {
                            m.stopTraining();
                        }
                    })));
            assertEquals(2, h.epochs().size());
            assertFalse(prefetchThreads() > 0, "the prefetch thread ended with the fit");
        }
        assertEquals(1, p.closes.get());
    }

    @Test
    void shuffledArraySourceVisitsEverySampleOncePerEpochInANewOrder() {
        int n = 50;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        DataSource s = DataSource.of(Tensor.wrap(v, n, 1), new int[n], 8, true, 4);
        assertEquals(7, s.batchesPerEpoch());
        float[][] orders = new float[2][n];
        for (int e = 0; e < 2; e++) {
            int k = 0;
            for (int b = 0; b < s.batchesPerEpoch(); b++) {
                for (float f : s.batch(b).x().toTensor().toArray()) {
                    orders[e][k++] = f;
                }
            }
            assertEquals(n, k);
            float[] sorted = orders[e].clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(v, sorted, "epoch " + e + " holds every sample once");
            s.onEpochEnd();
        }
        assertFalse(java.util.Arrays.equals(orders[0], orders[1]), "reshuffled after the epoch");
        assertThrows(IndexOutOfBoundsException.class, () -> s.batch(7));
    }

    @Test
    void theSourcesAreClosedWhenFitCannotStart() {
        Object[] d = SequentialTest.blobs(40, 34);
        Probe train = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0));
        Probe val = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0));
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(cpu)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.fit(train, new FitOptions().verbose(0).validationData(val)));
            assertTrue(e.getMessage().contains("compile"), e.getMessage());
        }
        assertEquals(1, train.closes.get());
        assertEquals(1, val.closes.get());
        assertEquals(0, train.reads.get());
        Probe arrayVal = new Probe(DataSource.of((Tensor) d[0], (int[]) d[1], 10, false, 0));
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "softmax")).backend(cpu)) {
            assertThrows(IllegalStateException.class,
                    () -> m.fit((Tensor) d[0], (int[]) d[1], new FitOptions().verbose(0).validationData(arrayVal)));
        }
        assertEquals(1, arrayVal.closes.get(), "an array fit closes its validation source too");
    }

    @Test
    void aSourceThatSwallowsInterruptsStillLetsAFailedFitEnd() {
        Object[] d = SequentialTest.blobs(100, 35);
        int[] y = ((int[]) d[1]).clone();
        y[25] = 9; // batch 2 fails the label check on the training thread while the reader is ahead
        DataSource inner = DataSource.of((Tensor) d[0], y, 10, false, 0);
        AtomicInteger closes = new AtomicInteger();
        DataSource stubborn = new DataSource() {
            @Override
            public int batchesPerEpoch() {
                return inner.batchesPerEpoch();
            }

            @Override
            public Batch batch(int index) {
                try {
                    Thread.sleep(index == 0 ? 0 : 20);
                } catch (InterruptedException e) {
                    // swallowed: the reader must still stop
                }
                return inner.batch(index);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        try (Sequential m = net()) {
            DataSourceException e = assertThrows(DataSourceException.class,
                    () -> m.fit(stubborn, new FitOptions().epochs(3).verbose(0).prefetch(1)));
            assertEquals(2, e.batchIndex());
        }
        assertEquals(1, closes.get());
    }
}
