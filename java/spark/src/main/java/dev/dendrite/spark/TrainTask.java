package dev.dendrite.spark;

import java.io.PrintStream;
import java.nio.file.Path;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Backends;
import dev.dendrite.experiments.Comparison;
import dev.dendrite.experiments.ComparisonResult;
import dev.dendrite.experiments.RunResult;

/**
 * The body of one Spark task: trains one configuration with one seed as a one-run local {@link Comparison} (the
 * very code of {@code dendrite compare}, so the figures are bit-identical to a local run of the same
 * configuration and seed), on the executor's best backend ({@code Backends.auto()}: CUDA on a GPU executor,
 * otherwise the cpu backend), on the data the executor received once by broadcast.
 *
 * <p>A configuration that fails on its own (an exception from its settings or training, or a NaN loss) comes
 * back as a failed outcome with its message: the task succeeds, so Spark does not retry a run that would fail
 * again. Only what is not the configuration's fault (a lost executor, a killed task, an out-of-memory error)
 * leaves the task failed, for Spark to retry.
 */
final class TrainTask implements Function<RunSpec, RunOutcome> {
    private static final long serialVersionUID = 1L;
    /**
     * Backends are opened one at a time per executor JVM: several task threads calling Backends.auto() at once
     * crashed the JVM (SIGSEGV in clGetDeviceInfo while two threads enumerated the OpenCL devices, PoCL, seen
     * with dendrite-cli.jar's OpenCL backend on the class path); a local Comparison opens its backends from one
     * thread.
     */
    private static final Object OPENING = new Object();

    private final Broadcast<ShippedData> data;
    private final int validation;
    private final String preprocess;
    private final String modelDir;
    private final String datasetName;

    TrainTask(Broadcast<ShippedData> data, int validation, String preprocess, String modelDir, String datasetName) {
        this.data = data;
        this.validation = validation;
        this.preprocess = preprocess;
        this.modelDir = modelDir;
        this.datasetName = datasetName;
    }

    @Override
    public RunOutcome call(RunSpec spec) {
        RunOutcome outcome;
        try {
            Comparison c = new Comparison(data.value().toTrainTest()).validation(validation).preprocess(preprocess)
                    .seed(spec.seed()).verbose(0, new PrintStream(PrintStream.nullOutputStream()))
                    .backend(TrainTask::openBackend)
                    .add(spec.id(), spec.config());
            if (modelDir != null) {
                c.saveModels(Path.of(modelDir)); // each model is written atomically: a retried task overwrites whole
            }
            if (datasetName != null) {
                c.datasetName(datasetName);
            }
            ComparisonResult r = c.run();
            RunResult run = r.runs().get(0);
            outcome = RunOutcome.completed(spec, run, String.valueOf(r.setup().get("backend")));
            int nan = outcome.firstNonFiniteLoss();
            if (nan >= 0) {
                outcome = RunOutcome.failed(spec, "the training loss became " + run.history().get("loss").get(
                        run.history().epochs().indexOf(nan)) + " at epoch " + (nan + 1)
                        + "; try a smaller learning rate");
            }
        } catch (TaskKilledException e) {
            throw e;
        } catch (Exception e) {
            if (Thread.currentThread().isInterrupted() || killed()) {
                throw new IllegalStateException("run " + spec.id() + " was interrupted", e);
            }
            outcome = RunOutcome.failed(spec, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        TaskContext tc = TaskContext.get();
        if (tc != null) {
            outcome.attempt = tc.attemptNumber();
        }
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            outcome.executor = env.executorId();
            outcome.host = env.blockManager().blockManagerId().host();
        }
        return outcome;
    }

    private static Backend openBackend() {
        synchronized (OPENING) {
            return Backends.auto();
        }
    }

    private static boolean killed() {
        TaskContext tc = TaskContext.get();
        return tc != null && tc.isInterrupted();
    }
}
