package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.CapturedStep;
import dev.dendrite.backend.CountingBackend;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.DeferredBranchBackend;
import dev.dendrite.backend.ReplayBackend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.callbacks.ReduceLROnPlateau;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.metrics.AUC;
import dev.dendrite.metrics.F1Score;
import dev.dendrite.metrics.TopKCategoricalAccuracy;
import dev.dendrite.optimizers.Adadelta;
import dev.dendrite.optimizers.Adafactor;
import dev.dendrite.optimizers.Adagrad;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.AdamW;
import dev.dendrite.optimizers.Adamax;
import dev.dendrite.optimizers.Ftrl;
import dev.dendrite.optimizers.GradientOptions;
import dev.dendrite.optimizers.Lamb;
import dev.dendrite.optimizers.Lion;
import dev.dendrite.optimizers.Nadam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.RMSprop;
import dev.dendrite.optimizers.SGD;
import dev.dendrite.optimizers.UpdatePlan;
import dev.dendrite.optimizers.schedules.ExponentialDecay;
import dev.dendrite.regularizers.Regularizer;

/**
 * The engine's training step is recorded once and replayed (a CUDA graph on the cuda backend). This test runs
 * it on {@link ReplayBackend}, which gives the CPU backend a graph's semantics: only the ops recorded the first
 * time are issued again, with the arguments they had then. Anything the engine computed on the host per step
 * and passed by value would be replayed stale, so training would drift from the same training on the plain CPU
 * backend. The CPU backend is deterministic (fixed partitioning of every reduction), so the two runs must agree
 * bit for bit: any difference at all is a real fault, and the tolerance is zero.
 */
class StepCaptureTest {
    private static CpuBackend cpu;
    private static Dataset train;
    private static Preprocessing scale;

    @BeforeAll
    static void start() throws IOException {
        cpu = new CpuBackend(2);
        // The bundled sample (3000 real Fashion-MNIST training images) keeps this fast and independent of the
        // installed dataset; 1000 rows give 15 full batches of 64 and a partial one of 40.
        train = FashionMnist.loadSample().train().rows(0, 1000);
        scale = Preprocessing.fit("scale", train.images());
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Inputs x() {
        return scale.apply(train.images());
    }

    /** Dropout, batch norm (running statistics), l2, a validation pass and a partial last batch. */
    private static Sequential courseNet(Backend backend) {
        return new Sequential(new Input(28, 28), new Flatten(),
                new Dense(64, "relu").kernelRegularizer(Regularizer.l2(1e-4)), new BatchNormalization(),
                new Dropout(0.2), new Dense(32, "selu"), new Dropout(0.1), new Dense(10, "softmax"))
                .backend(backend);
    }

    private record Run(History history, List<float[]> weights) {
    }

    private static Run train(Backend backend, Supplier<Optimizer> optimizer, int epochs) {
        return train(backend, optimizer, epochs, true);
    }

    private static Run train(Backend backend, Supplier<Optimizer> optimizer, int epochs, boolean plateau) {
        return train(backend, optimizer, epochs, plateau, new FitOptions());
    }

    private static Run train(Backend backend, Supplier<Optimizer> optimizer, int epochs, boolean plateau,
                             FitOptions options) {
        return train(backend, optimizer, epochs, plateau, options, StepCaptureTest::courseNet);
    }

    private static Run train(Backend backend, Supplier<Optimizer> optimizer, int epochs, boolean plateau,
                             FitOptions options, Function<Backend, Sequential> net) {
        try (Sequential m = net.apply(backend)) {
            m.compile(optimizer.get(), dev.dendrite.losses.Loss.fromName("sparse_categorical_crossentropy"),
                    "accuracy");
            options.batchSize(64).epochs(epochs).verbose(0).validationSplit(0.2).seed(7);
            if (plateau) {
                // A plateau every epoch: the learning rate changes between epochs, after the step was recorded.
                options.callbacks(new ReduceLROnPlateau().monitor("loss").factor(0.5).patience(0).minDelta(10));
            }
            History h = m.fit(x(), train.labels(), options);
            return new Run(h, m.getWeights());
        }
    }

    private static void assertSameTraining(Run expected, Run actual) {
        for (String key : List.of("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")) {
            assertEquals(expected.history().get(key), actual.history().get(key), key + " per epoch");
        }
        assertEquals(expected.weights().size(), actual.weights().size());
        for (int i = 0; i < expected.weights().size(); i++) {
            assertArrayEquals(expected.weights().get(i), actual.weights().get(i), "weight array " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "amsgrad", "sgd", "nesterov", "rmsprop", "rmsprop-centered", "adagrad"})
    void replayedStepsTrainExactlyLikeIssuedOnes(String which) {
        Function<String, Optimizer> make = name -> switch (name) {
            case "adam" -> new Adam(2e-3);
            case "amsgrad" -> new Adam(2e-3, 0.9, 0.999, 1e-7, true);
            case "sgd" -> new SGD(0.05, 0.9);
            case "nesterov" -> new SGD(0.05, 0.9, true);
            case "rmsprop" -> new RMSprop(1e-3);
            case "rmsprop-centered" -> new RMSprop(1e-3, 0.9, 0.5, 1e-7, true);
            default -> new Adagrad(0.05);
        };
        Run direct = train(cpu, () -> make.apply(which), 3);
        Backend replay = ReplayBackend.wrap(cpu);
        Run replayed = train(replay, () -> make.apply(which), 3);
        assertSameTraining(direct, replayed);

        ReplayBackend r = ReplayBackend.of(replay);
        // 800 training rows in batches of 64: 12 full batches and one of 32. Each step gathers the next one's batch
        // (BatchBuffers), so the full batches are four recordings: the epoch's first (which gathers its own), the
        // ones from either batch buffer, the last (which gathers nothing next); and the partial batch one more.
        assertEquals(5, r.recordings(), "four recordings for the full batches, one for the partial last batch");
        assertEquals(3 * 13 - 5, r.replays(), "every step replayed but the first of each kind, issued directly");
        assertEquals(0, r.openRecordings(), "fit releases its recordings");
        // The learning rate really moved while the recording stayed the same.
        List<Double> rates = direct.history().get("learning_rate");
        assertNotEquals(rates.get(0), rates.get(rates.size() - 1));
    }

    /**
     * Keras's steps_per_execution: five steps recorded as one execution and replayed with one launch train bit for
     * bit like steps issued one at a time, the learning rate moving between epochs as before. 800 rows in batches
     * of 64 are executions of 5, 5 and 2 full batches and the partial last one alone: three shapes, each recorded
     * once per fit (its first execution issued directly); the 1-step recording would differ from the 5-step one
     * in its counters' advances, so a replay of the wrong one would not train alike.
     */
    @Test
    void stepsPerExecutionTrainExactlyLikeOneStepAtATime() {
        Run direct = train(cpu, () -> new Adam(2e-3), 3);
        Backend replay = ReplayBackend.wrap(cpu);
        Run replayed = train(replay, () -> new Adam(2e-3), 3, true, new FitOptions().stepsPerExecution(5));
        assertSameTraining(direct, replayed);
        ReplayBackend r = ReplayBackend.of(replay);
        // The epoch's first execution of 5 gathers its own first batch; the second starts from the one the first
        // gathered (in the other batch buffer); the execution of 2 gathers nothing after it.
        assertEquals(4, r.recordings(), "two executions of 5, one of 2 full batches, and the partial batch alone");
        assertEquals(3 * 4 - 4, r.replays(), "every execution replayed but the first of each kind");
        assertEquals(0, r.openRecordings(), "fit releases its recordings");
    }

    /** As in Keras 3, callbacks see each execution's first batch begin and its last batch end. */
    @Test
    void callbacksSeeEachExecutionsFirstAndLastBatch() {
        List<Integer> begins = new java.util.ArrayList<>();
        List<Integer> ends = new java.util.ArrayList<>();
        dev.dendrite.callbacks.Callback watch = new dev.dendrite.callbacks.Callback() {
            @Override
            public void onTrainBatchBegin(int batch, dev.dendrite.callbacks.Logs logs) {
                begins.add(batch);
            }

            @Override
            public void onTrainBatchEnd(int batch, dev.dendrite.callbacks.Logs logs) {
                ends.add(batch);
            }
        };
        train(cpu, () -> new Adam(2e-3), 2, false, new FitOptions().stepsPerExecution(5).callbacks(watch));
        assertEquals(List.of(0, 5, 10, 12, 0, 5, 10, 12), begins);
        assertEquals(List.of(4, 9, 11, 12, 4, 9, 11, 12), ends);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FitOptions().stepsPerExecution(0));
        assertEquals("stepsPerExecution 0; expected >= 1", e.getMessage());
    }

    /**
     * Each step gathering the next step's batch on a branch ({@link BatchBuffers}: two buffers of each, taken in
     * turn) trains bit for bit like each step gathering its own ({@code -Ddendrite.prefetchBatches=false}): one step
     * at a time, 4 and 5 to an execution (an even and an odd count, which end in different buffers), issued
     * directly, replayed ({@link ReplayBackend}: a prefetch recorded into the wrong buffer, or a step recorded as
     * gathering what it should read, would train on other rows) and with the branches run at their join
     * ({@link DeferredBranchBackend}: the prefetch then runs after the step's backward pass, so a step that read the
     * other buffer's rows too early would see them change). The course net starts with Flatten, whose output is the
     * batch buffer itself; a callback evaluates mid-epoch, which drops the prefetched batch. Each batch is gathered
     * once either way; a step prefetches whenever a full batch follows it in the epoch (11 of 13 steps). Zero
     * tolerance.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 4, 5})
    void prefetchedBatchesTrainExactlyLikeGatheredOnes(int perExecution) {
        Supplier<FitOptions> options = () -> new FitOptions().stepsPerExecution(perExecution);
        String key = "dendrite.prefetchBatches";
        Run own;
        Backend ownCounted = CountingBackend.wrap(cpu);
        System.setProperty(key, "false");
        try {
            own = train(ownCounted, () -> new Adam(2e-3), 3, true, options.get());
        } finally {
            System.clearProperty(key);
        }
        Backend counted = CountingBackend.wrap(cpu);
        assertSameTraining(own, train(counted, () -> new Adam(2e-3), 3, true, options.get()));
        assertSameTraining(own, train(ReplayBackend.wrap(cpu), () -> new Adam(2e-3), 3, true, options.get()));
        assertSameTraining(own, train(DeferredBranchBackend.wrap(cpu), () -> new Adam(2e-3), 3, true,
                options.get()));
        CountingBackend before = CountingBackend.of(ownCounted);
        CountingBackend after = CountingBackend.of(counted);
        assertEquals(before.calls("gatherBatch"), after.calls("gatherBatch"), "every batch gathered once");
        assertEquals(before.calls("branch") + 3 * 11, after.calls("branch"), "one prefetch per step with a full "
                + "batch after it");
        if (perExecution == 1) {
            // An evaluation between two steps (from a callback) writes the batch buffers: the step after it must
            // gather its own batch again.
            Supplier<FitOptions> evaluating = () -> new FitOptions().callbacks(new dev.dendrite.callbacks.Callback() {
                @Override
                public void onTrainBatchEnd(int batch, dev.dendrite.callbacks.Logs logs) {
                    if (batch % 4 == 1) {
                        ((Sequential) model()).evaluate(x(), train.labels(), 64);
                    }
                }
            });
            System.setProperty(key, "false");
            Run ownEvaluating;
            try {
                ownEvaluating = train(cpu, () -> new Adam(2e-3), 2, false, evaluating.get());
            } finally {
                System.clearProperty(key);
            }
            assertSameTraining(ownEvaluating, train(ReplayBackend.wrap(cpu), () -> new Adam(2e-3), 2, false,
                    evaluating.get()));
        }
    }

    /**
     * Metrics computed on the host read each step's outputs and targets back after it ({@code Engine.lastBatch}):
     * with the next batch prefetched into the other buffer, and after a replay that ran no engine code, that must
     * still be the batch the step trained on. Every metric kept on the host ({@code -Ddendrite.metrics.device=false})
     * logs the same values per epoch as with each step gathering its own batch.
     */
    @Test
    void hostMetricsReadTheBatchTheStepTrainedOn() {
        String prefetchKey = "dendrite.prefetchBatches";
        String deviceKey = dev.dendrite.metrics.MetricSet.DEVICE_PROPERTY;
        System.setProperty(deviceKey, "false");
        try {
            History own;
            System.setProperty(prefetchKey, "false");
            try {
                own = trainWithHostMetrics(cpu);
            } finally {
                System.clearProperty(prefetchKey);
            }
            History prefetched = trainWithHostMetrics(ReplayBackend.wrap(cpu));
            for (String key : List.of("loss", "accuracy", "f1_score", "top_k_categorical_accuracy")) {
                assertEquals(own.get(key), prefetched.get(key), key + " per epoch");
            }
        } finally {
            System.clearProperty(deviceKey);
        }
    }

    private static History trainWithHostMetrics(Backend backend) {
        try (Sequential m = courseNet(backend)) {
            m.compile(new Adam(2e-3), dev.dendrite.losses.Loss.fromName("sparse_categorical_crossentropy"),
                    List.of("accuracy", new F1Score("macro"), new TopKCategoricalAccuracy(2)));
            return m.fit(x(), train.labels(), new FitOptions().batchSize(64).epochs(2).verbose(0).seed(7));
        }
    }

    /**
     * The engine's branches ({@link Backend#branch}: the weight gradients of each Dense layer with a layer
     * before it that trains)
     * keep their contract: run as late as it allows, at the join, they give the same training bit for bit as run
     * in place. A branch whose result were read before its join, or whose inputs were overwritten before it,
     * would give different numbers (or fail on a stale buffer).
     */
    @Test
    void branchesRunAtTheirJoinTrainExactlyLikeInPlace() {
        Run direct = train(cpu, () -> new Adam(2e-3), 2);
        Backend deferred = DeferredBranchBackend.wrap(cpu);
        Run late = train(deferred, () -> new Adam(2e-3), 2);
        assertSameTraining(direct, late);
        DeferredBranchBackend d = DeferredBranchBackend.of(deferred);
        assertTrue(d.branches() > 0, "the engine issued branches");
        assertTrue(d.maxPending() >= 2, "the last two Dense layers' weight gradients were pending together: "
                + d.maxPending());
    }

    /**
     * Each layer's update issued right after its backward pass (on a branch where a layer before it still has its
     * backward pass to run) trains bit for bit like one update of all parameters after the backward pass, for
     * every rule that updates each parameter alone, with a schedule, weight decay and clipvalue, in place and with
     * the branches run as late as their join allows. Zero tolerance: the same ops on the same elements.
     */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd-nesterov", "nadam", "adamax", "adamw", "lion", "adadelta", "ftrl",
        "rmsprop-clipvalue", "adam-schedule"})
    void updatesByLayerTrainExactlyLikeOneUpdate(String which) {
        Supplier<Optimizer> make = () -> switch (which) {
            case "adam" -> new Adam(2e-3);
            case "sgd-nesterov" -> new SGD(0.05, 0.9, true);
            case "nadam" -> new Nadam(2e-3);
            case "adamax" -> new Adamax(2e-3);
            case "adamw" -> new AdamW(2e-3);
            case "lion" -> new Lion(3e-4);
            case "adadelta" -> new Adadelta(0.5);
            case "ftrl" -> new Ftrl(0.05, -0.5, 0.1, 1e-4, 1e-4, 1e-4, 0.1);
            case "rmsprop-clipvalue" -> new RMSprop(1e-3)
                    .setGradientOptions(GradientOptions.NONE.withClipvalue(1e-3));
            default -> new Adam(new ExponentialDecay(2e-3, 5, 0.9));
        };
        boolean plateau = !which.endsWith("schedule"); // a schedule's rate cannot be set by ReduceLROnPlateau
        Run whole;
        String key = "dendrite.updates.byLayer";
        System.setProperty(key, "false");
        Backend wholeDeferred = DeferredBranchBackend.wrap(cpu);
        try {
            whole = train(cpu, make, 2, plateau);
            train(wholeDeferred, make, 2, plateau);
        } finally {
            System.clearProperty(key);
        }
        Run byLayer = train(cpu, make, 2, plateau);
        assertSameTraining(whole, byLayer);
        Backend deferred = DeferredBranchBackend.wrap(cpu);
        assertSameTraining(whole, train(deferred, make, 2, plateau));
        // Dense(32), batch norm and Dense(10) update on branches; Dense(64), the first, in place: 3 more per step.
        int steps = 2 * 13;
        assertEquals(DeferredBranchBackend.of(wholeDeferred).branches() + 3 * steps,
                DeferredBranchBackend.of(deferred).branches(), "one branch per layer update with a layer before it");
    }

    /**
     * In an MLP whose first layer computes the input gradient handed off from above (the course's mlp512 shape), the
     * layers above it update as soon as that product has read their weights: on a branch beside the first layer's
     * weight gradient, not after it. Issued after it, a GPU's step runs the update between the first layer's weight
     * gradient and the step's last update, one kernel more on the step's critical path. The output layer's update
     * waits for the second layer's and shares its op (their parameters lie side by side), so that the branches run
     * the two weight gradients one after the other, with no update between them; -Ddendrite.updates.carry=false
     * issues it as soon as the second layer has read its weights, an op of its own. The same training bit for bit
     * as one update after the backward pass, either way, also with the branches run as late as their join allows.
     */
    @Test
    void theUpdatesAboveRunInOneOpBesideTheFirstLayersWeightGradient() {
        Function<Backend, Sequential> mlp = be -> new Sequential(new Input(28, 28), new Flatten(),
                new Dense(64, "relu"), new Dense(32, "relu"), new Dense(10, "softmax")).backend(be);
        List<String> log = opsOfAStepByLayer(mlp);
        int steps = 0;
        for (int end = log.indexOf("updateThenAdvanceCounters"); end >= 0;
             end = indexOf(log, "updateThenAdvanceCounters", end + 1)) {
            int weightGradient = log.subList(0, end).lastIndexOf("gemm"); // the first layer's, on the main path
            assertTrue(weightGradient >= 0, "a product before the step's last update");
            List<String> between = log.subList(weightGradient + 1, end);
            assertTrue(between.stream().noneMatch(op -> op.endsWith("Update")),
                    "no update between the first layer's weight gradient and the last update: " + between);
            List<String> step = log.subList(log.subList(0, end).lastIndexOf("updateThenAdvanceCounters") + 1, end);
            int update = step.indexOf("branch:adamUpdate");
            assertEquals(2, step.subList(0, Math.max(0, update)).stream().filter(op -> op.equals("branch:gemm"))
                    .count(), "the two weight gradients on the branches before the layers' update: " + step);
            steps++;
        }
        assertEquals(2 * 13, steps, "one last update per training step");
        assertEquals(2 * 13, log.stream().filter(op -> op.equals("branch:adamUpdate")).count(),
                "the two layers above the first update on the branches, in one op");
        // Deeper, a carried update is carried no further: the output layer's joins the third layer's, and that pair's
        // is issued when the second layer has read the third's weights, beside the second layer's own update later.
        List<String> deeper = opsOfAStepByLayer(be -> new Sequential(new Input(28, 28), new Flatten(),
                new Dense(64, "relu"), new Dense(48, "relu"), new Dense(32, "relu"), new Dense(10, "softmax"))
                .backend(be));
        assertEquals(2 * 2 * 13, deeper.stream().filter(op -> op.equals("branch:adamUpdate")).count(),
                "four layers: the top two in one op and the second layer's on the branches");
        String key = "dendrite.updates.carry";
        System.setProperty(key, "false");
        try {
            List<String> apart = opsOfAStepByLayer(mlp);
            assertEquals(2 * 2 * 13, apart.stream().filter(op -> op.equals("branch:adamUpdate")).count(),
                    "the two layers above the first update on the branches, one op each");
        } finally {
            System.clearProperty(key);
        }
    }

    /**
     * A batch norm right below a dense layer computes that layer's input gradient in its one backward op; both
     * layers' updates then follow it on the branches, and as their parameters lie side by side they are one update
     * op: per step one for each batch norm and the dense layer above it, and the first layer's, 3 ops for 5 layers
     * with parameters (one launch less per pair on a GPU's side path). The same training bit for bit as one update
     * after the backward pass, also with the branches run as late as their join allows.
     */
    @Test
    void aBatchNormAndTheDenseAboveItUpdateInOneOp() {
        List<String> log = opsOfAStepByLayer(be -> new Sequential(new Input(28, 28), new Flatten(),
                new Dense(64, "relu").kernelRegularizer(Regularizer.l2(1e-4)), new BatchNormalization(),
                new Dense(32, "relu").kernelRegularizer(Regularizer.l1(1e-4)), new BatchNormalization(),
                new Dense(10, "softmax")).backend(be));
        int steps = 2 * 13;
        assertEquals(3 * steps, log.stream().filter(op -> op.endsWith("adamUpdate")).count(), "update ops");
        assertEquals(2 * steps, log.stream().filter(op -> op.equals("branch:adamUpdate")).count(),
                "update ops on the branches");
    }

    /**
     * The ops {@code net} issues in two epochs of Adam with by-layer updates, in order (CountingBackend#log), after
     * checking that it trains bit for bit like one update after the backward pass, in place and with the branches
     * run as late as their join allows.
     */
    private static List<String> opsOfAStepByLayer(Function<Backend, Sequential> net) {
        Supplier<Optimizer> make = () -> new Adam(2e-3);
        String key = "dendrite.updates.byLayer";
        Run whole;
        System.setProperty(key, "false");
        try {
            whole = train(cpu, make, 2, false, new FitOptions(), net);
        } finally {
            System.clearProperty(key);
        }
        Backend counted = CountingBackend.wrap(cpu);
        assertSameTraining(whole, train(counted, make, 2, false, new FitOptions(), net));
        assertSameTraining(whole, train(DeferredBranchBackend.wrap(cpu), make, 2, false, new FitOptions(), net));
        return CountingBackend.of(counted).log();
    }

    private static int indexOf(List<String> log, String op, int from) {
        int i = log.subList(from, log.size()).indexOf(op);
        return i < 0 ? -1 : from + i;
    }

    /**
     * A step's last update advances the counters itself (Backend.updateThenAdvanceCounters, which the CUDA backend
     * folds into the rule's kernel) instead of an advanceCounters op after it: once per step, by layer (after the
     * branches join) and as one update of all parameters, with the same training bit for bit as with
     * {@code -Ddendrite.fuseCounters=false}, also with the branches run at their join. Where the update does not
     * end with its rule (a moving average follows it and reads the counters), the counters keep their own op. Each
     * validation batch's gather advances the evaluation counters (Backend.gatherBatchThenAdvanceCounters).
     */
    @ParameterizedTest
    @ValueSource(strings = {"byLayer", "whole", "ema"})
    void aStepsLastUpdateAdvancesTheCounters(String how) {
        Supplier<Optimizer> make = () -> {
            Adam adam = new Adam(2e-3);
            if (how.equals("ema")) {
                adam.options().useEma(true);
            }
            return adam;
        };
        String byLayerKey = "dendrite.updates.byLayer";
        String fuseKey = "dendrite.fuseCounters";
        if (how.equals("whole")) {
            System.setProperty(byLayerKey, "false");
        }
        try {
            Run apart;
            System.setProperty(fuseKey, "false");
            try {
                apart = train(cpu, make, 2, false);
            } finally {
                System.clearProperty(fuseKey);
            }
            Backend counted = CountingBackend.wrap(cpu);
            assertSameTraining(apart, train(counted, make, 2, false));
            assertSameTraining(apart, train(DeferredBranchBackend.wrap(cpu), make, 2, false));
            int steps = 2 * 13;
            CountingBackend c = CountingBackend.of(counted);
            boolean fused = !how.equals("ema");
            assertEquals(fused ? steps : 0, c.calls("updateThenAdvanceCounters"), "updates that end a step");
            // By layer, three layers' updates are branches besides the two weight gradients (EMA updates all at once).
            assertEquals(how.equals("byLayer"), c.calls("branch") >= 3 * steps, c.calls("branch") + " branches");
            // Validation batches advance their counters with their gather (the 200 held-out rows are one inference
            // batch of Sequential.DEFAULT_INFERENCE_BATCH rows per epoch); training steps no longer do where the
            // update does.
            int validationBatches = 2 * ((200 + Sequential.DEFAULT_INFERENCE_BATCH - 1)
                    / Sequential.DEFAULT_INFERENCE_BATCH);
            assertEquals(validationBatches, c.calls("gatherBatchThenAdvanceCounters"), "validation batches");
            assertEquals(fused ? 0 : steps, c.calls("advanceCounters"), "advanceCounters ops");
        } finally {
            System.clearProperty(byLayerKey);
        }
    }

    @Test
    void rulesAndOptionsThatSpanTensorsUpdateAllAtOnce() {
        for (Optimizer o : List.of(new Lamb(), new Adafactor(),
                new Adam().setGradientOptions(GradientOptions.NONE.withClipnorm(1.0)),
                new Adam().setGradientOptions(GradientOptions.NONE.withGlobalClipnorm(1.0)))) {
            try (UpdatePlan plan = new UpdatePlan(cpu, o, 10, o.slotInitialValues().length)) {
                assertTrue(!plan.updatesInParts(), o.name() + " " + o.config());
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> plan.updatePart(null,
                        null, new dev.dendrite.backend.Slice[0], 0, 1, null, null));
                assertTrue(e.getMessage().contains("cannot update a part"), e.getMessage());
            }
        }
        try (UpdatePlan plan = new UpdatePlan(cpu, new Adam(), 10, 2)) {
            assertTrue(plan.updatesInParts());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan.updatePart(null,
                    null, new dev.dendrite.backend.Slice[0], 8, 3, null, null));
            assertTrue(e.getMessage().contains("[8, 11)") && e.getMessage().contains("[0, 10)"), e.getMessage());
        }
    }

    /**
     * Evaluation batches are recorded and replayed as training steps are: the first full batch issued directly, the
     * second recorded, the rest replayed, the shorter last batch issued directly; each batch reads its batch from
     * the evaluation counters and advances them itself. The loss, the accuracy and the metrics counted on the device
     * (top-2 hits, F1's class counts, AUC's buckets) must come out bit for bit as on the plain backend, and the
     * recording must be gone when evaluate returns (it froze the data and the metrics' counts).
     */
    @Test
    void evaluationBatchesAreRecordedAndReplayedToTheSameResults() {
        Map<String, Double> direct = trainedThenEvaluated(cpu, null, false);
        Backend replay = ReplayBackend.wrap(cpu);
        ReplayBackend r = ReplayBackend.of(replay);
        Map<String, Double> replayed = trainedThenEvaluated(replay, r, true);
        assertEquals(direct, replayed);
        assertEquals(direct.keySet(), Set.of("loss", "accuracy", "top_k_categorical_accuracy", "f1_score", "auc"));
        System.setProperty("dendrite.recordEvaluation", "false");
        try {
            Backend plain = ReplayBackend.wrap(cpu);
            assertEquals(direct, trainedThenEvaluated(plain, ReplayBackend.of(plain), false),
                    "-Ddendrite.recordEvaluation=false");
        } finally {
            System.clearProperty("dendrite.recordEvaluation");
        }
    }

    /**
     * predict's batches are recorded the same way (the outputs read back after each batch, outside the recording):
     * the same floats as on the plain backend, one recording for 15 full batches of 64, released on return.
     */
    @Test
    void predictionBatchesAreRecordedAndReplayedToTheSameOutputs() {
        float[][] direct = trainedThenPredicted(cpu);
        Backend replay = ReplayBackend.wrap(cpu);
        ReplayBackend r = ReplayBackend.of(replay);
        float[][] replayed = trainedThenPredicted(replay);
        assertArrayEquals(direct[0], replayed[0]);
        float[] whole = direct[1];
        for (int i = 0; i < whole.length; i++) {
            // Row by row the same arithmetic; the tolerance only allows for a product blocked differently.
            assertEquals(whole[i], direct[0][i], 1e-5f, "output " + i);
        }
        // 10 full batches of 100 in the epoch: the 4 steps from each batch buffer recorded (the first and the last
        // step are of kinds that come once an epoch, issued directly), and the prediction's.
        assertEquals(3, r.recordings(), "the training steps' two recordings and the prediction's");
        assertEquals(0, r.openRecordings());
    }

    /** One epoch of training, then predict in batches of 64 and, nothing recorded, in one batch of all 1000 rows. */
    private static float[][] trainedThenPredicted(Backend backend) {
        try (Sequential m = courseNet(backend)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            m.fit(x(), train.labels(), new FitOptions().batchSize(100).epochs(1).verbose(0).seed(3));
            return new float[][] {m.predict(x(), 64).toArray(), m.predict(x(), 1000).toArray()};
        }
    }

    /**
     * One epoch of training, then evaluate over the 1000 rows in batches of 64: 15 full ones and one of 40, with
     * {@code counts} (null: none) recording the full batches once or, unless {@code recorded}, not at all.
     */
    private static Map<String, Double> trainedThenEvaluated(Backend backend, ReplayBackend counts, boolean recorded) {
        try (Sequential m = courseNet(backend)) {
            m.compile(new Adam(2e-3), dev.dendrite.losses.Loss.fromName("sparse_categorical_crossentropy"),
                    List.of("accuracy", new TopKCategoricalAccuracy(2), new F1Score("macro"), new AUC(50)));
            m.fit(x(), train.labels(), new FitOptions().batchSize(100).epochs(1).verbose(0).seed(3));
            int recordings = counts == null ? 0 : counts.recordings();
            long replays = counts == null ? 0 : counts.replays();
            Map<String, Double> logs = m.evaluate(x(), train.labels(), 64);
            if (counts != null) {
                assertEquals(recordings + (recorded ? 1 : 0), counts.recordings(), "one recording: the full batches'");
                assertEquals(replays + (recorded ? 14 : 0), counts.replays(), "batches 2 to 15 replayed");
                assertEquals(0, counts.openRecordings(), "evaluate releases its recording");
            }
            // Against predict in one batch of all the rows (nothing recorded, no counter to advance): every row
            // evaluated once, none twice.
            float[] p = m.predict(x(), 1000).toArray();
            int[] y = train.labels();
            int hits = 0;
            double loss = 0;
            for (int i = 0; i < y.length; i++) {
                int best = 0;
                for (int c = 1; c < 10; c++) {
                    best = p[i * 10 + c] > p[i * 10 + best] ? c : best;
                }
                hits += best == y[i] ? 1 : 0;
                loss -= Math.log(Math.max(p[i * 10 + y[i]], 1e-7));
            }
            assertEquals((double) hits / y.length, logs.get("accuracy"), 1e-12, "accuracy");
            // The loss adds an L2 penalty that predict does not see: it can only be higher, by little.
            double penalty = logs.get("loss") - loss / y.length;
            assertTrue(penalty >= -1e-5 && penalty < 0.05, "loss " + logs.get("loss") + " vs " + loss / y.length);
            return logs;
        }
    }

    @Test
    void aSecondFitAndARecompileRecordAnew() {
        Backend replay = ReplayBackend.wrap(cpu);
        ReplayBackend r = ReplayBackend.of(replay);
        try (Sequential m = courseNet(replay)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            FitOptions once = new FitOptions().batchSize(100).epochs(1).verbose(0).seed(3);
            // Two recordings a fit: the steps from either batch buffer (BatchBuffers).
            m.fit(x(), train.labels(), once);
            assertEquals(2, r.recordings());
            m.fit(x(), train.labels(), once); // new data buffers: the old recordings must not be reused
            assertEquals(4, r.recordings());
            m.compile("rmsprop", "sparse_categorical_crossentropy"); // new optimizer slots
            History h = m.fit(x(), train.labels(), once);
            assertEquals(6, r.recordings());
            assertEquals(0, r.openRecordings());
            assertTrue(Double.isFinite(h.get("loss").get(0)));
        }
    }

    @Test
    void recordingForbidsHostTrafficLikeAStreamCapture() {
        Backend replay = ReplayBackend.wrap(cpu);
        try (dev.dendrite.backend.Buffer b = replay.allocate(DType.F32, 4)) {
            float[] host = new float[4];
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> replay.capture(() -> replay.download(b.all(), host, 0)));
            assertTrue(e.getMessage().contains("download"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> replay.capture(() -> replay.allocate(DType.F32, 1)));
            // Recorded ops do not run until replayed, and then run every time.
            try (CapturedStep s = replay.capture(() -> replay.fill(b.all(), 2f))) {
                replay.download(b.all(), host, 0);
                assertArrayEquals(new float[4], host, "recording ran nothing");
                s.run();
                replay.download(b.all(), host, 0);
                assertArrayEquals(new float[] {2, 2, 2, 2}, host);
            }
        }
    }

    @Test
    void theDefaultCaptureRunsTheCodeAgainOnEachRun() {
        int[] calls = {0};
        CapturedStep s = cpu.capture(() -> calls[0]++);
        assertEquals(0, calls[0]);
        s.run();
        s.run();
        assertEquals(2, calls[0]);
        s.close();
        assertThrows(IllegalStateException.class, s::run);
    }
}
