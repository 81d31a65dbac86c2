package dev.dendrite.callbacks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Stands in for Sequential: records what the callbacks ask of the model. */
final class FakeModel implements TrainingModel {
    int stopCalls;
    /** Kept in float, as optimizers hold it, so that float rounding of the rate is exercised. */
    float lr = 0.1f;
    int setLrCalls;
    /** Returned as is (not copied), so that a callback that keeps it without copying is caught. */
    List<float[]> weights = new ArrayList<>(List.of(new float[] {0f}));
    final List<String> saves = new ArrayList<>();
    IOException failSave;

    boolean stopped() {
        return stopCalls > 0;
    }

    /** Makes the weights identify the epoch that produced them. */
    void setWeightsToEpoch(int epoch) {
        weights.get(0)[0] = epoch;
    }

    float weightMarker() {
        return weights.get(0)[0];
    }

    @Override
    public void stopTraining() {
        stopCalls++;
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void setLearningRate(double lr) {
        this.lr = (float) lr;
        setLrCalls++;
    }

    @Override
    public List<float[]> getWeights() {
        return weights;
    }

    @Override
    public void setWeights(List<float[]> weights) {
        this.weights = new ArrayList<>(weights);
    }

    @Override
    public void save(Path file) throws IOException {
        if (failSave != null) {
            throw failSave;
        }
        saves.add("model:" + file);
    }

    @Override
    public void saveWeights(Path file) throws IOException {
        if (failSave != null) {
            throw failSave;
        }
        saves.add("weights:" + file);
    }
}
