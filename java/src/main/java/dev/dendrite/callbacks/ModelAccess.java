package dev.dendrite.callbacks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import dev.dendrite.model.Sequential;

/**
 * The part of {@link Sequential} that the built-in callbacks use. It exists so that the callbacks can be
 * tested against a small fake (Sequential is final and needs a backend); in training it is always the
 * adapter over the model that {@code fit} hands to {@link Callback#setModel}.
 */
interface ModelAccess {
    void stopTraining();

    double learningRate();

    void setLearningRate(double lr);

    List<float[]> getWeights();

    void setWeights(List<float[]> weights);

    void save(Path file) throws IOException;

    void saveWeights(Path file) throws IOException;

    /**
     * The fake if a test injected one, else an adapter over the model set by {@code fit}.
     *
     * @throws IllegalStateException when neither exists, i.e. the callback is used outside {@code fit}
     */
    static ModelAccess resolve(ModelAccess injected, Sequential model, String callbackName) {
        if (injected != null) {
            return injected;
        }
        if (model == null) {
            throw new IllegalStateException(callbackName + " has no model: pass it to FitOptions.callbacks(...) "
                    + "so that fit sets the model before calling it");
        }
        return of(model);
    }

    /** Forwards every call to {@code model}. */
    static ModelAccess of(Sequential model) {
        return new ModelAccess() {
            @Override
            public void stopTraining() {
                model.stopTraining();
            }

            @Override
            public double learningRate() {
                return model.learningRate();
            }

            @Override
            public void setLearningRate(double lr) {
                model.setLearningRate(lr);
            }

            @Override
            public List<float[]> getWeights() {
                return model.getWeights();
            }

            @Override
            public void setWeights(List<float[]> weights) {
                model.setWeights(weights);
            }

            @Override
            public void save(Path file) throws IOException {
                model.save(file);
            }

            @Override
            public void saveWeights(Path file) throws IOException {
                model.saveWeights(file);
            }
        };
    }
}
