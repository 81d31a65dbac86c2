package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.ReplayBackend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.ImageDataGenerator;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.Tensor;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.RandomBrightness;
import dev.dendrite.layers.RandomContrast;
import dev.dendrite.layers.RandomErasing;
import dev.dendrite.layers.RandomFlip;
import dev.dendrite.layers.RandomRotation;
import dev.dendrite.layers.RandomTranslation;
import dev.dendrite.layers.RandomZoom;

/**
 * The augmentation layers inside a model: they train (in a recorded step too), pass through at inference, are
 * saved and listed like any layer, and refuse a place after a layer with weights.
 */
class AugmentationLayersTest {
    private static CpuBackend cpu;
    private static Dataset train;
    private static Preprocessing scale;

    @BeforeAll
    static void start() throws IOException {
        cpu = new CpuBackend(2);
        train = FashionMnist.loadSample().train().rows(0, 600);
        scale = Preprocessing.fit("scale", train.images());
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Inputs x() {
        return scale.apply(train.images());
    }

    private static Layer[] augmentations() {
        return new Layer[] {new RandomRotation(0.05).fillMode("constant"), new RandomTranslation(0.1, 0.1)
            .fillMode("nearest"), new RandomZoom(0.1).interpolation("nearest"), new RandomFlip("horizontal"),
            new RandomContrast(0.2, 0, 1), new RandomBrightness(-0.1, 0.1, 0, 1), new RandomErasing(0.5, 0.02, 0.1, 0),
            new ImageDataGenerator().rotationRange(5).shearRange(5).verticalFlip(true).asLayer(28, 28)};
    }

    private static Sequential net(Backend backend, boolean augment) {
        Sequential m = new Sequential(new Input(28, 28));
        if (augment) {
            for (Layer l : augmentations()) {
                m.add(l);
            }
        }
        return m.add(new Flatten()).add(new Dense(32, "relu")).add(new Dense(10, "softmax")).backend(backend)
                .seed(5);
    }

    private static List<float[]> fit(Sequential m) {
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        m.fit(x(), train.labels(), new FitOptions().batchSize(64).epochs(2).verbose(0).seed(7));
        return m.getWeights();
    }

    /**
     * Recorded steps replay the ops with the arguments of the recording: augmentation that took its step from the
     * host would draw the same transforms every replay and train differently from steps issued one by one.
     */
    @Test
    void recordedStepsAugmentLikeIssuedOnes() {
        List<float[]> direct;
        List<float[]> replayed;
        try (Sequential m = net(cpu, true)) {
            direct = fit(m);
        }
        Backend replay = ReplayBackend.wrap(cpu);
        try (Sequential m = net(replay, true)) {
            replayed = fit(m);
        }
        assertTrue(ReplayBackend.of(replay).replays() > 0, "the steps were replayed");
        for (int i = 0; i < direct.size(); i++) {
            assertArrayEquals(direct.get(i), replayed.get(i), "weight array " + i);
        }
        try (Sequential plain = net(cpu, false)) {
            List<float[]> without = fit(plain);
            assertFalse(Arrays.equals(direct.get(0), without.get(0)), "augmentation changed nothing in training");
        }
    }

    @Test
    void inferencePassesImagesThrough() {
        try (Sequential aug = net(cpu, true); Sequential plain = net(cpu, false)) {
            fit(aug);
            plain.build(28, 28);
            plain.setWeights(aug.getWeights());
            Tensor a = aug.predict(x());
            Tensor b = plain.predict(x());
            assertArrayEquals(b.toArray(), a.toArray());
        }
    }

    @Test
    void savedListedAndLoaded(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("aug.dendrite");
        try (Sequential m = net(cpu, true)) {
            fit(m);
            String summary = m.summaryText();
            for (String name : List.of("RandomRotation", "RandomTranslation", "RandomZoom", "RandomFlip",
                    "RandomContrast", "RandomBrightness", "RandomErasing", "RandomAffine")) {
                assertTrue(summary.contains(name), name + " missing from the summary:\n" + summary);
            }
            m.save(file);
            try (Sequential back = Sequential.load(file, cpu)) {
                assertEquals(m.layers().size(), back.layers().size());
                for (int i = 1; i < m.layers().size(); i++) { // 0 is the input, whose config holds an int[]
                    assertEquals(m.layers().get(i).className(), back.layers().get(i).className(), "layer " + i);
                    assertEquals(m.layers().get(i).config(), back.layers().get(i).config(), "layer " + i);
                }
                assertArrayEquals(m.predict(x()).toArray(), back.predict(x()).toArray());
            }
        }
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void misplacedAugmentationIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sequential(new Input(28, 28), new Flatten(), new RandomRotation(0.1)).backend(cpu)
                        .build(28, 28));
        assertTrue(e.getMessage().contains("before Flatten"), e.getMessage());
        try (Sequential m = new Sequential(new Input(784), new Dense(28 * 28, "relu")).backend(cpu)) {
            assertThrows(IllegalArgumentException.class, () -> m.add(new RandomFlip()).build(784));
        }
        assertThrows(IllegalArgumentException.class, () -> new RandomFlip("diagonal"));
        assertThrows(IllegalArgumentException.class, () -> new RandomRotation(0.1).fillMode("mirror"));
        assertThrows(IllegalArgumentException.class, () -> new RandomContrast(1.5));
    }
}
