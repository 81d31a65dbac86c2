package dev.dendrite.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Layer;
import dev.dendrite.losses.Loss;
import dev.dendrite.optimizers.Optimizer;

/** A linear stack of layers (skeleton: the engine is being written). */
public final class Sequential implements AutoCloseable {
    public Sequential(Layer... layers) {
        throw new UnsupportedOperationException("not yet");
    }

    public Sequential add(Layer layer) {
        throw new UnsupportedOperationException("not yet");
    }

    public Sequential compile(String optimizer, String loss, String... metrics) {
        throw new UnsupportedOperationException("not yet");
    }

    public Sequential compile(Optimizer optimizer, Loss loss, String... metrics) {
        throw new UnsupportedOperationException("not yet");
    }

    public History fit(Inputs x, int[] labels, FitOptions options) {
        throw new UnsupportedOperationException("not yet");
    }

    public History fit(Inputs x, Tensor targets, FitOptions options) {
        throw new UnsupportedOperationException("not yet");
    }

    public Map<String, Double> evaluate(Inputs x, int[] labels) {
        throw new UnsupportedOperationException("not yet");
    }

    public Map<String, Double> evaluate(Inputs x, Tensor targets) {
        throw new UnsupportedOperationException("not yet");
    }

    public Tensor predict(Inputs x) {
        throw new UnsupportedOperationException("not yet");
    }

    public int[] predictClasses(Inputs x) {
        throw new UnsupportedOperationException("not yet");
    }

    public String summary() {
        throw new UnsupportedOperationException("not yet");
    }

    public void stopTraining() {
        throw new UnsupportedOperationException("not yet");
    }

    public double learningRate() {
        throw new UnsupportedOperationException("not yet");
    }

    public void setLearningRate(double lr) {
        throw new UnsupportedOperationException("not yet");
    }

    public List<float[]> getWeights() {
        throw new UnsupportedOperationException("not yet");
    }

    public void setWeights(List<float[]> weights) {
        throw new UnsupportedOperationException("not yet");
    }

    public void save(Path file) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public void saveWeights(Path file) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public static Sequential load(Path file) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    public Backend backend() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
