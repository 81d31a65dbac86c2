package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.backend.ActivationFunction;
import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.initializers.RandomNormal;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.ActivityRegularization;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.Reshape;
import dev.dendrite.losses.BinaryCrossentropy;
import dev.dendrite.losses.CategoricalCrossentropy;
import dev.dendrite.losses.Loss;
import dev.dendrite.losses.MeanSquaredError;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.optimizers.SGD;
import dev.dendrite.regularizers.Regularizer;

/**
 * Checks the gradients the engine computes (float32, on the CPU backend, through the same plan training
 * uses) against central finite differences of an independent float64 forward pass ({@link NetReference64}),
 * for every layer, activation, loss (with label smoothing too) and regulariser (on weights and on activity).
 *
 * <p>Tolerance: {@code |analytic - numeric| <= 2e-4 + 2e-3 * |numeric|}. The numeric side is float64 with
 * step 1e-5 (truncation ~1e-10, rounding ~1e-11), so the difference is the float32 error of the engine's
 * forward and backward passes: a few ulps (6e-8) amplified through a handful of layers of width <= 7 and
 * softmax/exp, i.e. around 1e-5 in absolute terms; 2e-4 leaves room without hiding a wrong formula, which
 * produces O(1) relative errors.
 */
class GradientCheckTest {
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ActivationFunction.class, names = "SOFTMAX", mode = EnumSource.Mode.EXCLUDE)
    void everyHiddenActivation(ActivationFunction f) {
        check(new Layer[] {new Dense(7, f).kernelInitializer(new RandomNormal(0, 0.6)),
            new Dense(4, "softmax").kernelInitializer(new RandomNormal(0, 0.6))},
            new SparseCategoricalCrossentropy(), 6, 5, 0xA11L + f.ordinal());
    }

    static Stream<Arguments> losses() {
        return Stream.of(
                Arguments.of("sparse CE after softmax", new SparseCategoricalCrossentropy(), "softmax"),
                Arguments.of("sparse CE from logits", new SparseCategoricalCrossentropy(true), "linear"),
                Arguments.of("categorical CE after softmax", new CategoricalCrossentropy(), "softmax"),
                Arguments.of("categorical CE from logits", new CategoricalCrossentropy(true), "linear"),
                Arguments.of("binary CE after sigmoid", new BinaryCrossentropy(), "sigmoid"),
                Arguments.of("binary CE from logits", new BinaryCrossentropy(true), "linear"),
                Arguments.of("categorical CE smoothed after softmax", new CategoricalCrossentropy(false, 0.2),
                        "softmax"),
                Arguments.of("categorical CE smoothed from logits", new CategoricalCrossentropy(true, 0.3), "linear"),
                Arguments.of("binary CE smoothed after sigmoid", new BinaryCrossentropy(false, 0.2), "sigmoid"),
                Arguments.of("MSE after linear", new MeanSquaredError(), "linear"),
                Arguments.of("MSE after softmax (unfused Jacobian)", new MeanSquaredError(), "softmax"),
                Arguments.of("MSE after tanh", new MeanSquaredError(), "tanh"));
    }

    /** An autoencoder's ending: the output layer, then a Reshape of its outputs, with the loss fused below it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("lossesBeforeAReshape")
    void aLossFusesWithTheOutputLayerBelowAReshape(String label, Loss loss, String outputActivation) {
        check(new Layer[] {new Dense(6, "tanh").kernelInitializer(new RandomNormal(0, 0.5)),
            new Dense(4, outputActivation).kernelInitializer(new RandomNormal(0, 0.5)), new Reshape(2, 2)},
            loss, 5, 4, 0xD44L + label.hashCode());
    }

    static Stream<Arguments> lossesBeforeAReshape() {
        return Stream.of(
                Arguments.of("binary CE after sigmoid", new BinaryCrossentropy(), "sigmoid"),
                Arguments.of("MSE after sigmoid", new MeanSquaredError(), "sigmoid"),
                Arguments.of("binary CE from logits", new BinaryCrossentropy(true), "linear"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void everyLoss(String label, Loss loss, String outputActivation) {
        check(new Layer[] {new Dense(6, "tanh").kernelInitializer(new RandomNormal(0, 0.5)),
            new Dense(3, outputActivation).kernelInitializer(new RandomNormal(0, 0.5))},
            loss, 5, 4, 0xB22L + label.hashCode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layerStacks")
    void everyLayerAndRegularizer(String label, Layer[] layers) {
        check(layers, new SparseCategoricalCrossentropy(), 5, 8, 0xC33L + label.hashCode());
    }

    static Stream<Arguments> layerStacks() {
        return Stream.of(
                Arguments.of("dense without bias", new Layer[] {
                    new Dense(5, "relu").useBias(false).kernelInitializer(new RandomNormal(0, 0.5)),
                    new Dense(3, "softmax")}),
                Arguments.of("separate Activation layers", new Layer[] {
                    new Dense(5).kernelInitializer(new RandomNormal(0, 0.5)), new Activation("gelu"),
                    new Dense(3), new Activation("softmax")}),
                Arguments.of("LeakyReLU layer", new Layer[] {
                    new Dense(5).kernelInitializer(new RandomNormal(0, 0.5)), Activation.leakyRelu(0.3),
                    new Dense(3, "softmax")}),
                Arguments.of("dropout", new Layer[] {
                    new Dense(6, "relu").kernelInitializer(new RandomNormal(0, 0.5)), new Dropout(0.4),
                    new Dense(3, "softmax")}),
                Arguments.of("batch normalization", new Layer[] {
                    new Dense(6).kernelInitializer(new RandomNormal(0, 0.5)), new BatchNormalization(),
                    new Activation("relu"), new Dense(3, "softmax")}),
                Arguments.of("batch normalization first", new Layer[] {
                    new BatchNormalization(), new Dense(4, "tanh"), new Dense(3, "softmax")}),
                Arguments.of("activity regularization after sigmoid", new Layer[] {
                    new Dense(5, "sigmoid").kernelInitializer(new RandomNormal(0, 0.5)),
                    new ActivityRegularization(0.05, 0.1), new Dense(3, "softmax")}),
                Arguments.of("activity regularization after tanh, then relu", new Layer[] {
                    new Dense(5, "tanh").kernelInitializer(new RandomNormal(0, 0.5)),
                    new ActivityRegularization(0.08, 0.02), new Dense(4, "relu"), new Dense(3, "softmax")}),
                Arguments.of("l2 regularizer", new Layer[] {
                    new Dense(5, "sigmoid").kernelRegularizer(Regularizer.l2(0.05)),
                    new Dense(3, "softmax").kernelRegularizer(Regularizer.l2(0.1))}),
                Arguments.of("l1 and l1_l2 regularizers", new Layer[] {
                    new Dense(5, "tanh").kernelRegularizer(Regularizer.l1(0.03))
                        .biasRegularizer(Regularizer.l1l2(0.02, 0.04)),
                    new Dense(3, "softmax")}));
    }

    private static void check(Layer[] hidden, Loss loss, int features, int rows, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Layer> all = new ArrayList<>();
        all.add(new Input(features));
        all.addAll(List.of(hidden));
        try (Sequential model = new Sequential(all.toArray(new Layer[0])).seed(seed).backend(cpu)) {
            model.compile(new SGD(0.1), loss);
            model.build(features);
            // Non-zero biases and batch-norm parameters, so that their gradients are exercised off the origin.
            List<float[]> w = model.getWeights();
            for (float[] a : w) {
                for (int i = 0; i < a.length; i++) {
                    a[i] += (float) (0.3 * (rnd.nextDouble() - 0.5));
                }
            }
            model.setWeights(w);
            int classes = hidden[hidden.length - 1].outputSize();
            float[] xv = new float[rows * features];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = (float) (2 * rnd.nextDouble() - 1);
            }
            Tensor x = Tensor.wrap(xv, rows, features);
            int[] labels = null;
            Tensor targets = null;
            if (loss.sparseLabels()) {
                labels = new int[rows];
                for (int r = 0; r < rows; r++) {
                    labels[r] = rnd.nextInt(classes);
                }
            } else {
                float[] t = new float[rows * classes];
                for (int r = 0; r < rows; r++) {
                    if (loss instanceof CategoricalCrossentropy) {
                        t[r * classes + rnd.nextInt(classes)] = 1;
                    } else {
                        for (int j = 0; j < classes; j++) {
                            t[r * classes + j] = (float) rnd.nextDouble();
                        }
                    }
                }
                targets = Tensor.wrap(t, rows, classes);
            }
            List<float[]> weights = model.getWeights();
            float[] analytic = model.gradients(x, labels, targets, seed);

            NetReference64 ref = new NetReference64(model, seed, 0);
            double[] xd = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                xd[i] = xv[i];
            }
            double[] td = null;
            if (targets != null) {
                td = new double[targets.toArray().length];
                float[] tv = targets.toArray();
                for (int i = 0; i < td.length; i++) {
                    td[i] = tv[i];
                }
            }
            List<double[]> wd = NetReference64.toDouble(weights);
            double loss0 = ref.loss(wd, xd, rows, labels, td);
            assertEquals(loss0, analytic[analytic.length - 1], 1e-4 + 1e-4 * Math.abs(loss0),
                    "batch loss of the engine vs the float64 reference");

            double h = 1e-5;
            int offset = 0;
            int wi = 0;
            int checked = 0;
            for (Layer layer : model.layers()) {
                for (var spec : layer.weights()) {
                    double[] wv = wd.get(wi);
                    if (spec.trainable()) {
                        for (int i = 0; i < wv.length; i++) {
                            double keep = wv[i];
                            wv[i] = keep + h;
                            double up = ref.loss(wd, xd, rows, labels, td);
                            wv[i] = keep - h;
                            double down = ref.loss(wd, xd, rows, labels, td);
                            wv[i] = keep;
                            double numeric = (up - down) / (2 * h);
                            double got = analytic[offset + i];
                            assertTrue(Math.abs(got - numeric) <= 2e-4 + 2e-3 * Math.abs(numeric),
                                    layer.name() + "/" + spec.name() + "[" + i + "]: analytic " + got
                                            + " vs numeric " + numeric + " (seed " + seed + ")");
                            checked++;
                        }
                        offset += wv.length;
                    }
                    wi++;
                }
            }
            assertEquals(model.trainableParams(), checked, "every trainable parameter was checked");
        }
    }
}
