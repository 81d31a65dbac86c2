package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.ImageLoader;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/**
 * The model file carries what prediction needs: a model trained in Java on raw Fashion-MNIST pixels, with its
 * preprocessing as layers ({@code Rescaling}, {@code Normalization}) and without any metadata set by hand, is
 * saved, and {@code dendrite evaluate} and {@code dendrite predict} then print the numbers Java computed (to the
 * digits they print), with Fashion-MNIST's class names and without the warning about unrecorded preprocessing.
 */
class PreprocessingInModelCliTest {

    @Test
    void evaluateAndPredictFromTheCliGiveTheJavaNumbers(@TempDir Path dir) throws IOException {
        TrainTest data = FashionMnist.loadSample();
        Path file = dir.resolve("notebook.safetensors");
        Map<String, Double> javaEval;
        float[] javaProbs;
        Path png = dir.resolve("coat.png");
        ByteTensor picture = data.test().images().rows(0, 1);
        writeGray(picture, png);
        ByteTensor loaded = ImageLoader.load(png, 28, 28, ImageLoader.Invert.NEVER);
        assertArrayEquals(picture.rows(0, 1).toTensor().toArray(), loaded.toTensor().toArray(),
                "the PNG holds the test image's pixels exactly");
        try (CpuBackend cpu = new CpuBackend(2);
             Sequential model = new Sequential(new Input(28, 28), new Rescaling(1.0 / 255),
                     new Normalization().adapt(rescaled(data.train().images())), new Flatten(),
                     new Dense(32, "relu"), new Dense(10, "softmax")).backend(cpu)) {
            model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            model.fit(data.train().images(), data.train().labels(), new FitOptions().epochs(1).batchSize(64)
                    .verbose(0));
            assertArrayEquals(FashionMnist.classNames(), model.classNames(),
                    "fit on Fashion-MNIST records its class names");
            javaEval = model.evaluate(data.test().images(), data.test().labels());
            javaProbs = model.predict(loaded).row(0);
            model.save(file);
        }

        CliRun.Result eval = CliRun.run("evaluate", "--sample", "-m", file.toString(), "--backend", "cpu");
        assertEquals(0, eval.code(), eval.toString());
        assertFalse(eval.out().contains("warning"), eval.toString());
        assertTrue(eval.out().contains(String.format(Locale.ROOT, "test loss: %.4f - test accuracy: %.4f",
                javaEval.get("loss"), javaEval.get("accuracy"))), javaEval + " vs " + eval);

        CliRun.Result pred = CliRun.run("predict", "-m", file.toString(), "--image", png.toString(), "--invert",
                "no", "--top", "10", "--backend", "cpu");
        assertEquals(0, pred.code(), pred.toString());
        assertFalse(pred.out().contains("warning"), pred.toString());
        int checked = 0;
        for (int k = 0; k < 10; k++) {
            String name = FashionMnist.classNames()[k];
            Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(name) + " +(\\d+\\.\\d\\d)%$").matcher(pred.out());
            assertTrue(m.find(), name + " is listed with its probability: " + pred);
            assertEquals(String.format(Locale.ROOT, "%.2f", 100 * javaProbs[k]), m.group(1), name + ": " + pred);
            checked++;
        }
        assertEquals(10, checked);
    }

    /** Writes one 28 x 28 sample as an 8-bit grayscale PNG, pixel for pixel. */
    private static void writeGray(ByteTensor image, Path png) throws IOException {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                img.getRaster().setSample(x, y, 0, image.pixel(0, y * 28 + x));
            }
        }
        ImageIO.write(img, "png", png.toFile());
    }

    /** The training pixels as the Normalization layer sees them in the model: after Rescaling(1/255). */
    private static ByteTensor rescaled(ByteTensor raw) {
        float[] scale = new float[raw.sampleSize()];
        java.util.Arrays.fill(scale, (float) (1.0 / 255));
        return raw.withTransform(scale, new float[raw.sampleSize()]);
    }
}
