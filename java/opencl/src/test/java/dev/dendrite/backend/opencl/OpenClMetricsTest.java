package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.metrics.Metric;
import dev.dendrite.metrics.MetricSet;
import dev.dendrite.model.History;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/**
 * Metrics read back from the OpenCL device (each recorded step's outputs and targets, and validation's predictions)
 * equal those computed from the same model's {@code predict}, and training's follow the CPU's. Runs on PoCL in CI.
 */
class OpenClMetricsTest {
    @Test
    void hostMetricsReadTheDevicesOutputs() {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[120 * 5];
        float[] t = new float[120 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextDouble() < 0.4 ? 1 : 0;
        }
        Tensor xs = Tensor.wrap(x, 120, 5);
        Tensor ys = Tensor.wrap(t, 120, 3);
        History[] h = new History[2];
        int k = 0;
        for (boolean cl : new boolean[] {false, true}) {
            try (dev.dendrite.backend.Backend be = cl ? OpenClTestSupport.backendOrSkip() : new CpuBackend(2);
                 Sequential m = new Sequential(new Input(5), new Dense(8, "relu"), new Dense(3, "sigmoid"))
                         .backend(be)) {
                m.compile("adam", "binary_crossentropy", "acc", "precision", "auc");
                h[k++] = m.fit(xs, ys, new FitOptions().epochs(2).batchSize(16).verbose(0).validationSplit(0.25));
                Map<String, Double> ev = m.evaluate(xs, ys);
                float[] p = m.predict(xs).toArray();
                for (String name : List.of("acc", "precision", "auc")) {
                    Metric metric = MetricSet.resolve(name, false, 3);
                    metric.update(p, t, null, 120, 3);
                    assertEquals(metric.result(), ev.get(name), 1e-6, name + (cl ? " on OpenCL" : " on the CPU"));
                }
            }
        }
        // one step's outputs differ by float rounding between the backends; a flip of one of 270 outputs at a
        // threshold moves a ratio by under 0.02
        for (String key : List.of("acc", "precision", "auc", "val_acc", "val_auc")) {
            for (int e = 0; e < 2; e++) {
                assertEquals(h[0].get(key).get(e), h[1].get(key).get(e), 0.02, key + " epoch " + e);
            }
        }
    }
}
