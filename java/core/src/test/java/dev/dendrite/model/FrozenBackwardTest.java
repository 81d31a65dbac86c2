package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.Backend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;

/**
 * What a frozen layer costs in the backward pass: as in Keras, which differentiates with respect to trainable
 * variables only, no weight gradient for a frozen layer, and no input gradient at or below the lowest trainable
 * layer (nothing there would read it); a gradient still flows through a frozen layer to a trainable one below. Read
 * from the products one training step issues (the weight and input gradients of each Dense, named by its
 * {@code inputs x units} shape, which differs per layer here), wherever the engine issues them: a GEMM of its own or
 * inside the op of the layer below that takes its input gradient. That the trained values are Keras's is
 * KerasTrainableTest's.
 */
class FrozenBackwardTest extends CpuModelTestBase {
    private static final int ROWS = 24;
    /** The Dense layers' shapes, bottom to top. */
    private static final String[] SHAPES = {"4x32", "32x32", "32x16", "16x3"};

    /** The products of one step: "w 8x32" for a weight gradient, "dx 32x16" for an input gradient. */
    private static final class Products {
        final Set<String> seen = new TreeSet<>();

        Backend around(Backend inner) {
            return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, method, args) -> {
                        if (method.getDeclaringClass() == Object.class) {
                            return method.getName().equals("equals") ? proxy == args[0]
                                    : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                                    : "products of " + inner;
                        }
                        note(method.getName(), args);
                        try {
                            return method.invoke(inner, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        private void note(String op, Object[] args) {
            if (op.equals("gemm") && (boolean) args[0]) { // x^T dz: m = inputs, n = units
                seen.add("w " + args[2] + "x" + args[3]);
            } else if (op.equals("gemm") && (boolean) args[1]) { // dz w^T: m = rows, n = inputs, k = units
                seen.add("dx " + args[3] + "x" + args[4]);
            } else if (op.equals("inputGradientActivationBackward")) { // the layer above's products, taken below
                boolean withWeights = args.length == 16;
                int k = (int) args[withWeights ? 3 : 2];
                int cols = (int) args[withWeights ? 7 : 6];
                seen.add("dx " + cols + "x" + k);
                if (withWeights && args[2] != null) {
                    seen.add("w " + cols + "x" + k);
                }
            }
        }
    }

    private static Sequential net(Backend backend) {
        return new Sequential(new Input(4), new Dense(32, "relu"), new Dense(32, "relu"), new Dense(16, "relu"),
                new Dense(3, "softmax")).backend(backend);
    }

    private static int[] labels() {
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 3;
        }
        return y;
    }

    /** The products of one Adam step (the whole data as one batch) with the Dense layers at {@code frozen} frozen. */
    private static Set<String> oneStep(int... frozen) {
        Products products = new Products();
        try (Sequential m = net(products.around(cpu))) {
            for (int li : frozen) {
                m.layers().get(1 + li).setTrainable(false); // after the Input
            }
            m.compile("adam", "sparse_categorical_crossentropy");
            m.fit(gaussianInputs(ROWS, 31), labels(), new FitOptions().batchSize(ROWS).epochs(1).verbose(0));
        }
        return products.seen;
    }

    private static Set<String> expect(String... products) {
        return new TreeSet<>(List.of(products));
    }

    private static String w(int layer) {
        return "w " + SHAPES[layer];
    }

    private static String dx(int layer) {
        return "dx " + SHAPES[layer];
    }

    @Test
    void theBackwardPassComputesOnlyWhatATrainableLayerReads() {
        assertEquals(expect(w(0), w(1), w(2), w(3), dx(1), dx(2), dx(3)), oneStep(), "nothing frozen");
        assertEquals(expect(w(2), w(3), dx(3)), oneStep(0, 1), "the lower two frozen: the pass ends at the third");
        assertEquals(expect(w(0), w(2), w(3), dx(1), dx(2), dx(3)), oneStep(1),
                "the second frozen: its input gradient still reaches the first, its weight gradient is not computed");
        assertEquals(expect(w(0), w(1), w(2), dx(1), dx(2), dx(3)), oneStep(3), "the output layer frozen");
        assertEquals(expect(), oneStep(0, 1, 2, 3), "all frozen: no backward pass");
    }

    @Test
    void aModelWithEveryLayerFrozenTrainsNothingAndStillReportsItsLoss() {
        try (Sequential m = net(cpu)) {
            m.layers().forEach(l -> l.setTrainable(false));
            m.compile("adam", "sparse_categorical_crossentropy");
            List<float[]> before = m.getWeights();
            Tensor x = gaussianInputs(ROWS, 32);
            History h = m.fit(x, labels(), new FitOptions().batchSize(8).epochs(2).verbose(0));
            List<float[]> after = m.getWeights();
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "weight " + i);
            }
            double loss = h.history().get("loss").get(1);
            assertEquals(m.evaluate(x, labels()).get("loss"), loss, 1e-5 * loss,
                    "the loss of unchanged weights: evaluate's (float32 sums over batches of 8 vs 24: 1e-5 relative)");
        }
    }

    /**
     * A layer frozen after training has gradients of 0 (nothing writes them while it is frozen), not the last ones
     * its training left; the trainable layers' gradients are as computed with the layer trainable (the same step).
     */
    @Test
    void aLayerFrozenAfterTrainingHasNoGradientLeftOver() {
        Tensor x = gaussianInputs(ROWS, 33);
        try (Sequential m = net(cpu)) {
            m.compile("adam", "sparse_categorical_crossentropy");
            m.fit(x, labels(), new FitOptions().batchSize(8).epochs(1).verbose(0));
            float[] trainable = m.gradients(x, labels(), null, 5);
            Layer second = m.layers().get(2); // after the Input and the first Dense
            second.setTrainable(false);
            m.compile("adam", "sparse_categorical_crossentropy");
            float[] frozen = m.gradients(x, labels(), null, 5);
            int from = 4 * 32 + 32;
            int to = from + 32 * 32 + 32;
            for (int i = 0; i < frozen.length; i++) {
                if (i >= from && i < to) {
                    assertEquals(0f, frozen[i], "the frozen layer's gradient " + (i - from));
                } else {
                    assertEquals(trainable[i], frozen[i], "gradient " + i);
                }
            }
            assertTrue(trainable[from] != 0f || trainable[from + 1] != 0f, "the gradient was not 0 while it trained");
        }
    }
}
