package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.LayerOpsConformanceTest;
import dev.dendrite.backend.Reference64;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.initializers.RandomNormal;
import dev.dendrite.initializers.RandomUniform;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.ELU;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.PReLU;
import dev.dendrite.layers.ReLU;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.layers.Softmax;
import dev.dendrite.losses.SparseCategoricalCrossentropy;
import dev.dendrite.optimizers.SGD;

/**
 * Finite-difference gradient checks of the activation and preprocessing layers inside a model: Input(5), the
 * layer under test on the inputs where it is preprocessing, Dense(6), the layer under test, Dense(3, softmax),
 * sparse cross-entropy. Every trainable parameter (the Dense weights, whose gradients pass through the layer's
 * derivative, and PReLU's alpha) is compared with central differences of a float64 forward pass written here
 * from Keras's formulas. Tolerance as {@link GradientCheckTest}'s, for the same reasons:
 * {@code |analytic - numeric| <= 2e-4 + 2e-3 |numeric|}.
 */
class LayerGradientCheckTest {
    private static final int FEATURES = 5;
    private static final int HIDDEN = 6;
    private static final int CLASSES = 3;
    private static final int ROWS = 8;
    private static Backend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("ReLU", null, new ReLU()),
                Arguments.of("ReLU(max 1.5, slope 0.2, threshold 0.25)", null,
                        new ReLU().maxValue(1.5).negativeSlope(0.2).threshold(0.25)),
                Arguments.of("ReLU(max 6)", null, new ReLU().maxValue(6)),
                Arguments.of("LeakyReLU", null, new LeakyReLU()),
                Arguments.of("ELU(0.7)", null, new ELU(0.7)),
                Arguments.of("PReLU", null, new PReLU().alphaInitializer(new RandomUniform(-0.5, 0.5))),
                Arguments.of("Softmax", null, new Softmax()),
                Arguments.of("Rescaling first", new Rescaling(0.5, -0.25), new ReLU()),
                Arguments.of("Rescaling between", null, new Rescaling(3, 1)),
                Arguments.of("Normalization first", new Normalization(-1, new double[] {0.1, -0.2, 0.3, 0, 0.5},
                        new double[] {0.5, 2, 1, 0.25, 4}), new ELU()),
                Arguments.of("Normalization between (axis null)", null,
                        new Normalization(null, new double[] {0.3}, new double[] {2.5})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void gradientsMatchFiniteDifferences(String label, Layer first, Layer middle) {
        long seed = 0xD44L + label.hashCode();
        SplittableRandom rnd = new SplittableRandom(seed);
        Layer[] stack = first == null
                ? new Layer[] {new Input(FEATURES), dense(HIDDEN, "linear"), middle, dense(CLASSES, "softmax")}
                : new Layer[] {new Input(FEATURES), first, dense(HIDDEN, "linear"), middle, dense(CLASSES, "softmax")};
        try (Sequential model = new Sequential(stack).seed(seed).backend(cpu)) {
            model.compile(new SGD(0.1), new SparseCategoricalCrossentropy());
            model.build(FEATURES);
            float[] xv = new float[ROWS * FEATURES];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = (float) (4 * rnd.nextDouble() - 2);
            }
            int[] labels = new int[ROWS];
            for (int r = 0; r < ROWS; r++) {
                labels[r] = rnd.nextInt(CLASSES);
            }
            List<float[]> weights = model.getWeights();
            float[] analytic = model.gradients(Tensor.wrap(xv, ROWS, FEATURES), labels, null, seed);
            List<double[]> wd = NetReference64.toDouble(weights);
            double[] x = new double[xv.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = xv[i];
            }
            double loss0 = loss(model.layers(), wd, x, labels);
            assertEquals(loss0, analytic[analytic.length - 1], 1e-4 + 1e-4 * Math.abs(loss0), "batch loss");
            double h = 1e-5;
            int offset = 0;
            int wi = 0;
            int checked = 0;
            for (Layer layer : model.layers()) {
                for (var spec : layer.weights()) {
                    double[] w = wd.get(wi++);
                    if (!spec.trainable()) {
                        continue;
                    }
                    for (int i = 0; i < w.length; i++) {
                        double keep = w[i];
                        w[i] = keep + h;
                        double up = loss(model.layers(), wd, x, labels);
                        w[i] = keep - h;
                        double down = loss(model.layers(), wd, x, labels);
                        w[i] = keep;
                        double numeric = (up - down) / (2 * h);
                        double got = analytic[offset + i];
                        assertTrue(Math.abs(got - numeric) <= 2e-4 + 2e-3 * Math.abs(numeric),
                                label + ": " + layer.name() + "/" + spec.name() + "[" + i + "]: analytic " + got
                                        + " vs numeric " + numeric + " (seed " + seed + ")");
                        checked++;
                    }
                    offset += w.length;
                }
            }
            assertEquals(model.trainableParams(), checked, "every trainable parameter was checked");
        }
    }

    private static Dense dense(int units, String activation) {
        return new Dense(units, activation).kernelInitializer(new RandomNormal(0, 0.7)).biasInitializer(new RandomNormal(0, 0.3));
    }

    /** The mean sparse cross-entropy of the model's float64 forward pass, from Keras's formulas. */
    private static double loss(List<Layer> layers, List<double[]> w, double[] x, int[] labels) {
        double[] a = x;
        int wi = 0;
        for (Layer layer : layers) {
            int n = layer.weights().size();
            int cols = layer.outputSize();
            double[] out = new double[ROWS * cols];
            if (layer instanceof Input) {
                continue;
            } else if (layer instanceof Dense) {
                int in = layer.inputSize();
                double[] k = w.get(wi);
                double[] b = w.get(wi + 1);
                for (int r = 0; r < ROWS; r++) {
                    for (int j = 0; j < cols; j++) {
                        double s = b[j];
                        for (int i = 0; i < in; i++) {
                            s += a[r * in + i] * k[i * cols + j];
                        }
                        out[r * cols + j] = s;
                    }
                }
                if (((Dense) layer).activation() != dev.dendrite.backend.ActivationFunction.LINEAR) {
                    out = softmax(out, cols);
                }
            } else if (layer instanceof Softmax) {
                out = softmax(a, cols);
            } else {
                for (int i = 0; i < out.length; i++) {
                    out[i] = element(layer, w, wi, a[i], i % cols);
                }
            }
            a = out;
            wi += n;
        }
        double sum = 0;
        for (int r = 0; r < ROWS; r++) {
            sum -= Math.log(a[r * CLASSES + labels[r]]);
        }
        return sum / ROWS;
    }

    private static double element(Layer layer, List<double[]> w, int wi, double v, int c) {
        if (layer instanceof ReLU) {
            ReLU r = (ReLU) layer;
            return LayerOpsConformanceTest.relu(v, r.negativeSlope(),
                    r.maxValue() == null ? Double.POSITIVE_INFINITY : r.maxValue(), r.threshold());
        } else if (layer instanceof LeakyReLU) {
            return v >= 0 ? v : ((LeakyReLU) layer).negativeSlope() * v;
        } else if (layer instanceof ELU) {
            return v > 0 ? v : ((ELU) layer).alpha() * Math.expm1(v);
        } else if (layer instanceof PReLU) {
            return Math.max(v, 0) - w.get(wi)[c] * Math.max(-v, 0);
        } else if (layer instanceof Rescaling) {
            return v * ((Rescaling) layer).scale() + ((Rescaling) layer).offset();
        } else if (layer instanceof Normalization) {
            double[] mean = w.get(wi);
            double[] var = w.get(wi + 1);
            int f = c % mean.length;
            return (v - mean[f]) / Math.max(Math.sqrt(var[f]), 1e-7);
        }
        throw new IllegalArgumentException("no reference for " + layer);
    }

    private static double[] softmax(double[] z, int cols) {
        return Reference64.softmax(z, z.length / cols, cols);
    }
}
