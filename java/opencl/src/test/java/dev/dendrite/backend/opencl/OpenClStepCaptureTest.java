package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.CountingBackend;
import dev.dendrite.backend.DType;
import dev.dendrite.callbacks.LambdaCallback;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * On OpenCL, fit records its training step (each launch on a kernel object of its own, arguments set once) and
 * replays it. Training must be exactly what issuing every op again gives ({@code -Ddendrite.opencl.record=false}):
 * the same kernels run in the same order on one in-order queue, every GEMM variant gives the same bits (they all
 * sum k in CpuGemm's order), and the reductions are deterministic, so the tolerance is zero. Runs on PoCL in CI.
 */
class OpenClStepCaptureTest {

    /** The OpenCL backend with recording on or off ({@code dendrite.opencl.record}); also OpenClMixupFitTest's. */
    static OpenClBackend backend(boolean record) {
        String old = System.getProperty("dendrite.opencl.record");
        System.setProperty("dendrite.opencl.record", Boolean.toString(record));
        try {
            return OpenClTestSupport.backendOrSkip();
        } finally {
            if (old == null) {
                System.clearProperty("dendrite.opencl.record");
            } else {
                System.setProperty("dendrite.opencl.record", old);
            }
        }
    }

    private record Run(History history, List<float[]> weights, List<Integer> recordingsSeen) {
    }

    private static Run train(boolean record, Dataset train, Preprocessing scale) {
        return train(record, train, scale, 1);
    }

    private static Run train(boolean record, Dataset train, Preprocessing scale, int stepsPerExecution) {
        try (OpenClBackend cl = backend(record);
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"),
                     new BatchNormalization(), new Dropout(0.2), new Dense(32, "relu"), new Dense(10, "softmax"))
                     .backend(cl)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            List<Integer> seen = new ArrayList<>();
            History h = m.fit(scale.apply(train.images()), train.labels(), new FitOptions().batchSize(64).epochs(2)
                    .verbose(0).validationSplit(0.2).seed(5).stepsPerExecution(stepsPerExecution)
                    .callbacks(LambdaCallback.onEpochEnd((epoch, logs) -> seen.add(cl.openRecordings()))));
            assertEquals(0, cl.openRecordings(), "fit releases its recordings");
            return new Run(h, m.getWeights(), seen);
        }
    }

    @Test
    void recordedStepsTrainExactlyLikeIssuedOnes() throws IOException {
        Dataset train = FashionMnist.loadSample().train().rows(0, 600); // 480 training rows: 7 batches of 64 + 32
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run issued = train(false, train, scale);
        Run recorded = train(true, train, scale);
        assertEquals(List.of(0, 0), issued.recordingsSeen(), "recording switched off");
        // The first step of each kind is issued directly, the next one recorded. Each step gathers the next one's
        // batch (BatchBuffers), so the full batches are four kinds: the steps from either batch buffer (recorded in
        // epoch 1), the epoch's first (which gathers its own) and its last (which gathers nothing next), once an
        // epoch like the partial batch, so recorded in epoch 2.
        assertEquals(List.of(2, 5), recorded.recordingsSeen(), "one recording per kind of step, kept across epochs");
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(issued.history().get(key), recorded.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < issued.weights().size(); i++) {
            assertArrayEquals(issued.weights().get(i), recorded.weights().get(i), "weight array " + i);
        }
    }

    /**
     * Evaluation batches are recorded too (the first full batch issued directly, the second recorded, the rest
     * replayed): over 1000 rows in the default batches of 256 (three full, one of 232) one capture, the loss and the
     * accuracy bit for bit as with every launch issued again, and the recording gone when evaluate returns.
     */
    @Test
    void recordedEvaluationGivesTheIssuedResults() throws IOException {
        Dataset data = FashionMnist.loadSample().train().rows(0, 1000);
        Preprocessing scale = Preprocessing.fit("scale", data.images());
        java.util.Map<String, Double> issued = trainedThenEvaluated(false, data, scale);
        java.util.Map<String, Double> recorded = trainedThenEvaluated(true, data, scale);
        assertEquals(issued, recorded);
    }

    private static java.util.Map<String, Double> trainedThenEvaluated(boolean record, Dataset data,
                                                                    Preprocessing scale) {
        try (OpenClBackend cl = backend(record);
             Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(64, "relu"),
                     new BatchNormalization(), new Dropout(0.2), new Dense(10, "softmax"))
                     .backend(CountingBackend.wrap(cl))) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            m.fit(scale.apply(data.images()), data.labels(), new FitOptions().batchSize(100).epochs(1).verbose(0)
                    .seed(5));
            CountingBackend calls = CountingBackend.of(m.backend());
            int captures = calls.calls("capture");
            java.util.Map<String, Double> logs = m.evaluate(scale.apply(data.images()), data.labels());
            assertEquals(1, calls.calls("capture") - captures, "the second full batch recorded");
            assertEquals(0, cl.openRecordings(), "evaluate releases its recording");
            assertTrue(logs.get("accuracy") > 0.3, "learns (chance is 0.1): " + logs);
            return logs;
        }
    }

    /**
     * Three steps as one recorded execution (FitOptions.stepsPerExecution) train exactly like steps issued one at
     * a time: 7 full batches are executions of 3, 3 and 1, and the partial batch runs alone.
     */
    @Test
    void stepsPerExecutionTrainExactlyLikeStepsIssuedOneByOne() throws IOException {
        Dataset train = FashionMnist.loadSample().train().rows(0, 600); // 480 training rows: 7 batches of 64 + 32
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        Run issued = train(false, train, scale, 1);
        Run executions = train(true, train, scale, 3);
        // Four kinds of execution, each once an epoch: the first 3-step one (which gathers its own first batch), the
        // second (which starts from the batch the first gathered), the 1-step full batch and the partial batch.
        // Epoch 1 issues each directly, epoch 2 records each.
        assertEquals(List.of(0, 4), executions.recordingsSeen(), "one recording per kind of execution");
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
            assertEquals(issued.history().get(key), executions.history().get(key), key + " per epoch");
        }
        for (int i = 0; i < issued.weights().size(); i++) {
            assertArrayEquals(issued.weights().get(i), executions.weights().get(i), "weight array " + i);
        }
    }

    @Test
    void aRecordingReplaysItsLaunchesAndForbidsHostTraffic() {
        try (OpenClBackend cl = backend(true); Buffer a = cl.allocate(DType.F32, 8); Buffer b = cl.allocate(DType.F32, 8)) {
            float[] host = new float[8];
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cl.capture(() -> cl.download(a.all(), host, 0)));
            assertTrue(e.getMessage().contains("download"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> cl.capture(() -> cl.allocate(DType.F32, 1)));
            assertEquals(0, cl.openRecordings(), "a failed recording is released");
            cl.fill(a.all(), 1f);
            // b = 0.5, then b += a (a bias add: a kernel launch): recorded, not run, then run on every replay.
            try (CapturedStep step = cl.capture(() -> {
                cl.fill(b.all(), 0.5f);
                cl.biasActivationForward(b.all(), a.slice(0, 4), 2, 4, dev.dendrite.backend.ActivationFunction.LINEAR,
                        0f, b.all());
            })) {
                cl.download(b.all(), host, 0);
                assertArrayEquals(new float[8], host, "recording ran nothing");
                step.run();
                cl.download(b.all(), host, 0);
                assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, host);
                cl.fill(b.all(), -7f);
                step.run(); // the fill is part of the recording: the same result again
                cl.download(b.all(), host, 0);
                assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, host);
                assertEquals(1, cl.openRecordings());
            }
            assertEquals(0, cl.openRecordings());
        }
    }

    /**
     * -Ddendrite.opencl.printSteps=true prints each recorded step's commands, one line on standard error, in the
     * runner's words: their count, then each launch as file:kernel; nothing without it. largestRecording (the
     * benchmark's opencl_step_commands) counts them either way. A column sum is one launch, or two with
     * -Ddendrite.opencl.lastGroup=false (its partials folded by column_finalize), as the runner's rerun sets it.
     */
    @Test
    void aRecordedStepIsListedWhereAsked() {
        boolean lastGroup = !"false".equals(System.getProperty("dendrite.opencl.lastGroup"));
        String listing = lastGroup ? "1 commands: reductions.cl:column_partial_sums"
                : "2 commands: reductions.cl:column_partial_sums reductions.cl:column_finalize";
        for (boolean print : new boolean[] {true, false}) {
            String key = "dendrite.opencl.printSteps";
            java.io.PrintStream err = System.err;
            java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
            System.setProperty(key, Boolean.toString(print));
            try (OpenClBackend cl = OpenClTestSupport.backendOrSkip();
                 Buffer x = cl.allocate(DType.F32, 40 * 3); Buffer sums = cl.allocate(DType.F32, 3)) {
                System.setErr(new java.io.PrintStream(seen, true));
                assertEquals(0, cl.largestRecording(), "nothing recorded yet");
                try (CapturedStep step = cl.capture(() -> cl.columnSums(x.all(), 40, 3, sums.all()))) {
                    step.run();
                }
                assertEquals(lastGroup ? 1 : 2, cl.largestRecording(), "the largest step recorded, closed since");
            } finally {
                System.setErr(err);
                System.clearProperty(key);
            }
            String out = seen.toString();
            if (print) {
                assertTrue(out.contains("dendrite opencl step: " + listing + "\n"), out);
            } else {
                assertEquals("", out);
            }
        }
    }
}
