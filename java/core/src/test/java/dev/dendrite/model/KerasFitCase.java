package dev.dendrite.model;

import static dev.dendrite.keras.KerasFixtures.floats;
import static dev.dendrite.keras.KerasFixtures.integer;
import static dev.dendrite.keras.KerasFixtures.ints;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.optimizers.SGD;

/**
 * A case of the weighted-fit fixtures (KerasClassWeightTest, KerasSampleWeightTest): the net Keras trained (inputs,
 * Dense(hidden, relu), the case's output layer, its initial weights, SGD at the fixture's rate), the training and
 * validation arrays, and the fit options both fixtures share (batch size, epochs, no shuffle).
 */
record KerasFitCase(Map<String, Object> fixture, Map<String, Object> kase) {
    String loss() {
        return (String) kase.get("loss");
    }

    private boolean sparse() {
        return loss().startsWith("sparse");
    }

    private int inputs() {
        return integer(fixture.get("inputs"));
    }

    private int outputs() {
        return integer(kase.get("outputs"));
    }

    /** The net on {@code backend}, with the case's output activation (null: linear), compiled with {@code metric}. */
    @SuppressWarnings("unchecked")
    Sequential net(Backend backend, String activation, String metric) {
        List<float[]> initial = new ArrayList<>();
        for (Object w : (List<Object>) kase.get("initial_weights")) {
            initial.add(floats(w));
        }
        Sequential m = new Sequential(new Input(inputs()), new Dense(integer(fixture.get("hidden")), "relu"),
                activation == null ? new Dense(outputs()) : new Dense(outputs(), activation)).backend(backend);
        m.setWeights(initial);
        m.compile(new SGD(((Number) fixture.get("learning_rate")).doubleValue()), loss(), metric);
        return m;
    }

    /** The fixture's batch size and epochs, in order (Keras's shuffle=False), silent. */
    FitOptions options() {
        return new FitOptions().batchSize(integer(fixture.get("batch_size"))).epochs(integer(fixture.get("epochs")))
                .shuffle(false).verbose(0);
    }

    /** Sets the fixture's validation inputs with the case's {@code y_val}, weighted by {@code weights} (or null). */
    FitOptions validationData(FitOptions options, float[] weights) {
        Tensor xv = rows(floats(fixture.get("x_val")), inputs());
        return sparse() ? options.validationData(xv, ints(kase.get("y_val")), weights)
                : options.validationData(xv, rows(floats(kase.get("y_val")), outputs()), weights);
    }

    /** Trains {@code m} on the fixture's inputs and the case's {@code y}. */
    History fit(Sequential m, FitOptions options) {
        Tensor x = rows(floats(fixture.get("x")), inputs());
        return sparse() ? m.fit(x, ints(kase.get("y")), options) : m.fit(x, rows(floats(kase.get("y")), outputs()),
                options);
    }

    private static Tensor rows(float[] values, int width) {
        return Tensor.wrap(values, values.length / width, width);
    }
}
