package dev.dendrite.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/**
 * A library user who starts Java without {@code --add-modules jdk.incubator.vector} is told once, when training
 * with a progress bar starts on the CPU, that the slow GEMM is in use; with the module, nothing is said. Each case
 * runs in a child JVM, since whether the module is there is fixed when a JVM starts.
 */
class SlowGemmNoteTest {
    /** Trains a tiny model twice on the CPU with verbose 1. */
    public static void main(String[] args) {
        float[] x = new float[64 * 4];
        int[] y = new int[64];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 2;
            x[i * 4 + y[i]] = 1;
        }
        for (int run = 0; run < 2; run++) {
            try (CpuBackend cpu = new CpuBackend();
                 Sequential m = new Sequential(new Input(4), new Dense(2, "softmax")).backend(cpu)) {
                m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
                m.fit(Tensor.wrap(x, 64, 4), y, new FitOptions().epochs(1).batchSize(16).verbose(1));
            }
        }
    }

    private static String childOutput(boolean withVectorModule) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (withVectorModule) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SlowGemmNoteTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void trainingWithoutTheVectorModuleSaysSoOnceAndWithItSaysNothing() throws Exception {
        String without = childOutput(false);
        assertEquals(1, without.split(java.util.regex.Pattern.quote(ProgressBar.SLOW_GEMM_NOTE), -1).length - 1,
                without);
        assertTrue(without.contains("loss:"), "the progress output is there too: " + without);
        String with = childOutput(true);
        assertFalse(with.contains("plain-Java GEMM"), with);
        assertTrue(with.contains("loss:"), with);
    }
}
