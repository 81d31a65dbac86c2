package dev.dendrite.callbacks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;
import dev.dendrite.model.Sequential;

/**
 * Keras's {@code TensorBoard}: writes the training curves (and optionally the weights' histograms) as TensorBoard
 * event files, so that {@code tensorboard --logdir logs} plots them while training runs. As Keras 3 writes them:
 * <ul>
 *   <li>{@code <logDir>/train}: each epoch's training logs as {@code epoch_loss}, {@code epoch_accuracy},
 *   {@code epoch_learning_rate} ..., step = the epoch; with {@link #updateFreq(int)} also {@code batch_loss} ...
 *   every n batches, step = the batch count since training began; with {@link #writeStepsPerSecond}
 *   {@code epoch_steps_per_second}; with {@link #histogramFreq(int)} each weight's histogram
 *   ({@code dense/kernel/histogram}) every n epochs;</li>
 *   <li>{@code <logDir>/validation}: the {@code val_} logs without their prefix ({@code epoch_loss}, ...), and
 *   {@code evaluation_loss_vs_iterations} ..., step = the training steps taken so far.</li>
 * </ul>
 * A new pair of event files is opened for each {@code fit} (TensorBoard joins the files of one folder) and flushed
 * after every epoch. Not written: the graph, images, embeddings and profiles (Keras's {@code write_graph},
 * {@code write_images}, {@code embeddings_freq}, {@code profile_batch}). On a GPU backend, batch-level logging
 * reads the loss back after each logged batch, which waits for the device: keep {@code updateFreq} large there.
 */
public final class TensorBoard extends Callback implements AutoCloseable {
    private final Path logDir;
    private int updateFreq;
    private int histogramFreq;
    private boolean writeStepsPerSecond;

    private EventFile train;
    private EventFile validation;
    private long globalBatch;
    private long iterations;
    private long epochSteps;
    private long epochStart;

    /** Logs under {@code logDir} (Keras's {@code log_dir}), once per epoch, without histograms. */
    public TensorBoard(Path logDir) {
        if (logDir == null) {
            throw new IllegalArgumentException("TensorBoard log_dir is null; expected a folder, e.g. "
                    + "Path.of(\"logs\")");
        }
        this.logDir = logDir;
    }

    /** Keras's {@code update_freq}: {@code "epoch"} (the default) or {@code "batch"} (every batch). */
    public TensorBoard updateFreq(String freq) {
        if ("epoch".equals(freq)) {
            updateFreq = 0;
            return this;
        }
        if ("batch".equals(freq)) {
            updateFreq = 1;
            return this;
        }
        throw new IllegalArgumentException("TensorBoard update_freq '" + freq
                + "'; expected \"epoch\", \"batch\" or a number of batches");
    }

    /** Keras's {@code update_freq} as a number: the batch logs every {@code batches} batches, besides each epoch's. */
    public TensorBoard updateFreq(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("TensorBoard update_freq " + batches + "; expected 1 or more batches");
        }
        updateFreq = batches;
        return this;
    }

    /** Keras's {@code histogram_freq}: each weight's histogram every {@code epochs} epochs (0, the default: none). */
    public TensorBoard histogramFreq(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("TensorBoard histogram_freq " + epochs + "; expected 0 (none) or more");
        }
        histogramFreq = epochs;
        return this;
    }

    /** Keras's {@code write_steps_per_second}: the training steps per second of each epoch (and logged batch). */
    public TensorBoard writeStepsPerSecond(boolean on) {
        writeStepsPerSecond = on;
        return this;
    }

    /** The folder the logs go to. */
    public Path logDir() {
        return logDir;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        close(); // files a failed fit left open, if it was not run through fit's CallbackList
        globalBatch = 0;
        iterations = 0;
        try {
            train = EventFile.create(logDir.resolve("train"));
        } catch (IOException e) {
            throw failed("open", logDir.resolve("train"), e);
        }
    }

    @Override
    public void onEpochBegin(int epoch, Logs logs) {
        epochSteps = 0;
        epochStart = System.nanoTime();
    }

    @Override
    public void onTrainBatchBegin(int batch, Logs logs) {
        globalBatch++;
    }

    @Override
    public void onTrainBatchEnd(int batch, Logs logs) {
        epochSteps = batch + 1L;
        if (updateFreq == 0 || globalBatch % updateFreq != 0) {
            return;
        }
        try {
            for (Map.Entry<String, Double> e : logs.asMap().entrySet()) {
                train.scalar("batch_" + e.getKey(), globalBatch, e.getValue());
            }
            if (writeStepsPerSecond) {
                train.scalar("batch_steps_per_second", globalBatch, stepsPerSecond());
            }
        } catch (IOException e) {
            throw failed("write", train.path(), e);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        iterations += epochSteps;
        try {
            boolean hasRate = false;
            for (Map.Entry<String, Double> e : logs.asMap().entrySet()) {
                String name = e.getKey();
                if (name.startsWith("val_")) {
                    if (validation == null) {
                        validation = EventFile.create(logDir.resolve("validation"));
                    }
                    validation.scalar("epoch_" + name.substring(4), epoch, e.getValue());
                    validation.scalar("evaluation_" + name.substring(4) + "_vs_iterations", iterations, e.getValue());
                } else {
                    train.scalar("epoch_" + name, epoch, e.getValue());
                    hasRate |= name.equals("learning_rate");
                }
            }
            if (!hasRate && model() != null) { // Keras adds the optimizer's rate to the epoch's logs
                train.scalar("epoch_learning_rate", epoch, model().learningRate());
            }
            if (writeStepsPerSecond) {
                train.scalar("epoch_steps_per_second", epoch, stepsPerSecond());
            }
            if (histogramFreq > 0 && epoch % histogramFreq == 0) {
                writeHistograms(epoch);
            }
            train.flush();
            if (validation != null) {
                validation.flush();
            }
        } catch (IOException e) {
            throw failed("write", logDir, e);
        }
    }

    private double stepsPerSecond() {
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        return seconds > 0 ? epochSteps / seconds : 0;
    }

    /**
     * Every weight as {@code <layer>/<weight>/histogram} (Keras's weight path, {@code dense/kernel}), in the model's
     * order; a model other than a {@link Sequential} gives its weights by index ({@code weight_0/histogram}).
     */
    private void writeHistograms(int epoch) throws IOException {
        TrainingModel m = model();
        if (m instanceof Sequential s) {
            for (Layer layer : s.layers()) {
                List<WeightSpec> specs = layer.weights();
                if (specs.isEmpty()) {
                    continue;
                }
                List<float[]> values = s.getWeights(layer.name());
                for (int i = 0; i < specs.size(); i++) {
                    train.histogram(layer.name() + "/" + specs.get(i).name() + "/histogram", epoch, values.get(i));
                }
            }
        } else if (m != null) {
            List<float[]> values = m.getWeights();
            for (int i = 0; i < values.size(); i++) {
                train.histogram("weight_" + i + "/histogram", epoch, values.get(i));
            }
        }
    }

    @Override
    public void onTrainEnd(Logs logs) {
        close();
    }

    /** Closes the event files that are open (after a fit, or one that failed); idempotent. */
    @Override
    public void close() {
        IOException failure = null;
        for (EventFile f : new EventFile[] {train, validation}) {
            try {
                if (f != null) {
                    f.close();
                }
            } catch (IOException e) {
                failure = e;
            }
        }
        train = null;
        validation = null;
        if (failure != null) {
            throw failed("close", logDir, failure);
        }
    }

    private static UncheckedIOException failed(String what, Path where, IOException e) {
        return new UncheckedIOException("TensorBoard cannot " + what + " " + where + ": " + e.getMessage(), e);
    }
}
