package dev.dendrite.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.data.Tensor;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.io.TensorData;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.keras.KerasFixtures;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.ActivityRegularization;
import dev.dendrite.layers.AlphaDropout;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.ELU;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.GaussianDropout;
import dev.dendrite.layers.GaussianNoise;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.LayerNormalization;
import dev.dendrite.layers.LeakyReLU;
import dev.dendrite.layers.Normalization;
import dev.dendrite.layers.PReLU;
import dev.dendrite.layers.RandomBrightness;
import dev.dendrite.layers.RandomContrast;
import dev.dendrite.layers.RandomErasing;
import dev.dendrite.layers.RandomFlip;
import dev.dendrite.layers.RandomRotation;
import dev.dendrite.layers.RandomTranslation;
import dev.dendrite.layers.RandomZoom;
import dev.dendrite.layers.ReLU;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.layers.Reshape;
import dev.dendrite.layers.Softmax;
import dev.dendrite.optimizers.Adadelta;
import dev.dendrite.optimizers.Adafactor;
import dev.dendrite.optimizers.Adagrad;
import dev.dendrite.optimizers.Adam;
import dev.dendrite.optimizers.AdamW;
import dev.dendrite.optimizers.Adamax;
import dev.dendrite.optimizers.Ftrl;
import dev.dendrite.optimizers.Lamb;
import dev.dendrite.optimizers.Lion;
import dev.dendrite.optimizers.Nadam;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.optimizers.RMSprop;
import dev.dendrite.optimizers.SGD;
import dev.dendrite.optimizers.schedules.ExponentialDecay;
import dev.dendrite.regularizers.Regularizer;

/**
 * {@code save("m.keras")} and {@code saveWeights("w.weights.h5")} write Keras 3's own files: what Keras wrote for
 * a model ({@code keras-model.keras}, from {@code bench/keras/keras_file_fixture.py}), loaded here and saved again,
 * is written back with the same weights, optimizer variables and configuration values; a model trained here loads
 * back with the same predictions (bit for bit) and goes on training bit for bit as the model it came from. That
 * Keras itself opens these files and goes on training as Dendrite does is checked by
 * {@code bench/keras/keras_file_writer_check.py} (run with {@code -Ddendrite.keras.dump=DIR} to write its inputs).
 */
class KerasFileWriteTest extends CpuModelTestBase {
    private static Path copy(Path dir, String resource) throws IOException {
        return KerasFixtures.copy(KerasFileWriteTest.class, dir, resource);
    }

    private static byte[] entry(Path zipFile, String name) throws IOException {
        try (ZipFile zip = new ZipFile(zipFile.toFile())) {
            ZipEntry e = zip.getEntry(name);
            assertNotNull(e, name + " in " + zipFile);
            assertEquals(ZipEntry.STORED, e.getMethod(), name + " is stored, as Keras stores it");
            try (InputStream in = zip.getInputStream(e)) {
                return in.readAllBytes();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> config(Path zipFile) throws IOException {
        return (Map<String, Object>) Json.parse(new String(entry(zipFile, "config.json"), StandardCharsets.UTF_8));
    }

    private static Map<String, TensorData> datasets(Path zipFile) throws IOException {
        return Hdf5File.readDatasets(entry(zipFile, "model.weights.h5"), zipFile.toString());
    }

    /**
     * Every value in {@code ours} equals the one at the same place in {@code keras}, recursively (maps by key, lists
     * by index; numbers as float32); keys Keras writes that Dendrite leaves out (its defaults) are not compared.
     */
    @SuppressWarnings("unchecked")
    private static void assertSubset(Object keras, Object ours, String where) {
        if (ours instanceof Map<?, ?> om) {
            assertTrue(keras instanceof Map, where + ": Keras has " + keras + ", Dendrite " + ours);
            Map<String, Object> km = (Map<String, Object>) keras;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) om).entrySet()) {
                assertTrue(km.containsKey(e.getKey()), where + ": Keras writes no '" + e.getKey() + "' (" + km + ")");
                assertSubset(km.get(e.getKey()), e.getValue(), where + "." + e.getKey());
            }
        } else if (ours instanceof List<?> ol) {
            assertTrue(keras instanceof List<?> kl && kl.size() == ol.size(), where + ": " + keras + " vs " + ours);
            for (int i = 0; i < ol.size(); i++) {
                assertSubset(((List<Object>) keras).get(i), ol.get(i), where + "[" + i + "]");
            }
        } else if (ours instanceof Number n) {
            assertTrue(keras instanceof Number, where + ": Keras has " + keras + ", Dendrite " + ours);
            // float32, the precision both keep arguments in (Keras's 0.009999999776482582 is Dendrite's 0.01f)
            assertEquals(((Number) keras).floatValue(), n.floatValue(), where);
        } else if (!where.endsWith("input_shape[0]")) { // the batch size: Keras writes adapt's for a Normalization
            assertEquals(keras, ours, where);
        }
    }

    @Test
    void aKerasModelLoadedHereIsWrittenBackAsKerasWroteIt(@TempDir Path dir) throws IOException {
        Path kerasFile = copy(dir, "keras-model.keras");
        Path ours = dir.resolve("again.keras");
        try (Sequential m = Sequential.load(kerasFile, cpu)) {
            m.save(ours);
        }
        Map<String, TensorData> expected = datasets(kerasFile);
        Map<String, TensorData> got = datasets(ours);
        assertEquals(expected, got, "every weight and optimizer variable (Adam's step count, rate and moments)");
        Map<String, Object> keras = config(kerasFile);
        Map<String, Object> written = config(ours);
        assertSubset(keras, written, "config.json");
        assertEquals(keras.get("build_config"), written.get("build_config"));
        assertEquals(((Map<?, ?>) keras.get("compile_config")).get("loss"),
                ((Map<?, ?>) written.get("compile_config")).get("loss"));
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) Json.parse(
                new String(entry(ours, "metadata.json"), StandardCharsets.UTF_8));
        assertEquals(KerasFileWriter.KERAS_VERSION, meta.get("keras_version"));
    }

    @Test
    void saveWeightsWritesWhatKerasSaveWeightsWrites(@TempDir Path dir) throws IOException {
        Path kerasWeights = copy(dir, "keras-model.weights.h5");
        Path ours = dir.resolve("again.weights.h5");
        try (Sequential m = Sequential.load(copy(dir, "keras-model.keras"), cpu)) {
            m.saveWeights(ours);
        }
        Map<String, TensorData> expected = Hdf5File.readDatasets(Files.readAllBytes(kerasWeights), "keras");
        assertEquals(expected, Hdf5File.readDatasets(Files.readAllBytes(ours), "ours"));
    }

    /**
     * A course model on 6 inputs with every layer kind that holds weights or statistics, and no random layer, so
     * that Keras's training from the file can be compared with Dendrite's.
     */
    private static Sequential courseModel(float[] x) {
        Normalization norm = new Normalization();
        norm.adapt(Tensor.wrap(x, x.length / 6, 6));
        return new Sequential(new Input(6), norm,
                new Dense(8, "relu").kernelRegularizer(Regularizer.l2(0.01)), new BatchNormalization(),
                new Dense(8), new LeakyReLU(0.1), new Dense(8, "selu"), new Activation("tanh"),
                new Dense(3, "softmax")).name("course_model").backend(cpu);
    }

    @Test
    void aModelTrainedHereLoadsBackAndTrainsOnBitForBit(@TempDir Path dir) throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        float[] x = new float[64 * 6];
        int[] y = new int[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 + 2 * r.nextGaussian());
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        Tensor xs = Tensor.wrap(x, 64, 6);
        FitOptions epoch = new FitOptions().batchSize(8).epochs(1).shuffle(false).verbose(0);
        Path file = dir.resolve("dendrite.keras");
        try (Sequential a = courseModel(x)) {
            a.seed(seed);
            a.compile(new Adam(0.01), "sparse_categorical_crossentropy", "accuracy");
            a.fit(xs, y, epoch.epochs(2));
            a.metadata().put("class_names", "[\"a\", \"b\", \"c\"]");
            a.save(file);
            Tensor predictions = a.predict(xs);
            try (Sequential b = Sequential.load(file, cpu)) {
                assertEquals("course_model", b.name());
                assertEquals(seed, b.seed(), "Dendrite's seed, in metadata.json where Keras does not look");
                assertEquals(a.metadata(), b.metadata());
                assertArrayEquals(predictions.toArray(), b.predict(xs).toArray(), "seed " + seed);
                assertEquals(a.engine().stepsDone(), b.engine().stepsDone());
                a.fit(xs, y, epoch.epochs(1));
                b.fit(xs, y, epoch);
                List<float[]> wa = a.getWeights();
                List<float[]> wb = b.getWeights();
                for (int i = 0; i < wa.size(); i++) {
                    assertArrayEquals(wa.get(i), wb.get(i), "weight " + i + " after one more epoch; seed " + seed);
                }
            }
            dump(file, "course", xs, y, predictions, a.getWeights());
        }
    }

    @Test
    void everyLayerKerasAlsoHasIsWrittenAndLoadsBackHere(@TempDir Path dir) throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        float[] x = new float[32 * 16];
        int[] y = new int[32];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(256);
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        Tensor xs = Tensor.wrap(x, 32, 4, 4, 1);
        Path file = dir.resolve("zoo.keras");
        try (Sequential a = new Sequential(new Input(4, 4, 1), new RandomFlip("horizontal"),
                new RandomRotation(0.1), new RandomTranslation(0.1, 0.1), new RandomZoom(0.1),
                new RandomContrast(0.2), new RandomBrightness(0.1), new RandomErasing(), new Rescaling(1 / 255.0),
                new Flatten(), new GaussianNoise(0.1),
                new Dense(8, "relu").kernelInitializer(Initializer.fromName("he_normal"))
                        .kernelRegularizer(Regularizer.l1l2(0.001, 0.01)).biasRegularizer(Regularizer.l1(0.01)),
                new ActivityRegularization(0.01, 0.001), new Dense(8, "mish"),
                new LayerNormalization(), new Dropout(0.3), new Dense(8), new PReLU(), new Dense(8),
                new ReLU().maxValue(6.0), new Dense(8, "elu"), new GaussianDropout(0.1), new AlphaDropout(0.1),
                new Dense(8, "leaky_relu"), new ELU(0.5), new Reshape(2, 4), new Flatten(), new Dense(3),
                new Softmax()).backend(cpu)) {
            a.compile(new RMSprop(0.001), "sparse_categorical_crossentropy", "accuracy");
            a.fit(xs, y, new FitOptions().batchSize(8).epochs(1).verbose(0));
            a.save(file);
            Tensor predictions = a.predict(xs);
            try (Sequential b = Sequential.load(file, cpu)) {
                assertArrayEquals(predictions.toArray(), b.predict(xs).toArray(), "seed " + seed);
                assertEquals(a.layers().stream().map(l -> l.className() + ":" + l.name()).toList(),
                        b.layers().stream().map(l -> l.className() + ":" + l.name()).toList());
                assertEquals(Json.write(ModelFiles.config(a)), Json.write(ModelFiles.config(b)), "every argument");
            }
            dump(file, "zoo", xs, y, predictions, null);
        }
    }

    /** Each rule, how many slots it keeps per weight, and whether its slots' layout in Keras is known. */
    private static Object[][] optimizers() {
        return new Object[][] {{new SGD(0.05), 0}, {new SGD(0.05, 0.9), 1}, {new RMSprop(0.01), 1},
            {new RMSprop(0.01, 0.9, 0.5, 1e-7, true), 3}, {new Adagrad(0.05), 1}, {new Adadelta(1.0), 2},
            {new Adamax(0.01), 2}, {new Adam(0.01), 2}, {new AdamW(0.01), 2}, {new Nadam(0.01), 2},
            {new Adam(0.01, 0.9, 0.999, 1e-7, true), 3}, {new Lion(0.001), 1}, {new Lamb(0.01), 2},
            {new Ftrl(0.05), 2}, {new Adafactor(0.01), -1},
            {new Adam(new ExponentialDecay(0.01, 2, 0.5, false)), 2}}; // a schedule: no learning-rate variable
    }

    @Test
    void eachRulesStateIsWrittenInKerassLayoutAndReadBack(@TempDir Path dir) throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        float[] x = new float[24 * 6];
        int[] y = new int[24];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        Tensor xs = Tensor.wrap(x, 24, 6);
        FitOptions epoch = new FitOptions().batchSize(8).epochs(1).shuffle(false).verbose(0);
        for (Object[] c : optimizers()) {
            Optimizer optimizer = (Optimizer) c[0];
            int slots = (Integer) c[1];
            String what = optimizer + ", seed " + seed;
            Path file = dir.resolve(optimizer.name() + slots + ".keras");
            try (Sequential a = new Sequential(new Input(6), new Dense(8, "relu"), new BatchNormalization(),
                    new Dense(3, "softmax")).backend(cpu)) {
                a.compile(optimizer, "sparse_categorical_crossentropy");
                a.fit(xs, y, epoch);
                a.save(file);
                Tensor predictions = a.predict(xs);
                Map<String, TensorData> stored = datasets(file);
                long vars = stored.keySet().stream().filter(k -> k.startsWith("optimizer/vars/")).count();
                // 6 trainable weights: both Dense kernels and biases, the batch norm's gamma and beta
                long rate = optimizer.learningRateSchedule() == null ? 1 : 0;
                assertEquals(slots < 0 ? 0 : 1 + rate + 6L * slots + KerasFiles.kerasTrailingVariables(optimizer),
                        vars, what + ": " + stored.keySet());
                try (Sequential b = Sequential.load(file, cpu)) {
                    assertEquals(slots < 0 ? 0 : a.engine().stepsDone(), b.engine().stepsDone(), what);
                    a.fit(xs, y, epoch);
                    b.fit(xs, y, epoch);
                    List<float[]> wa = a.getWeights();
                    List<float[]> wb = b.getWeights();
                    boolean same = true;
                    for (int i = 0; i < wa.size(); i++) {
                        same &= java.util.Arrays.equals(wa.get(i), wb.get(i));
                    }
                    assertEquals(slots >= 0, same, what + ": one more epoch after loading is the same epoch");
                    if (slots >= 0) {
                        String schedule = optimizer.learningRateSchedule() == null ? "" : "_schedule";
                        dump(file, optimizer.name() + "_" + slots + schedule, xs, y, predictions, wa);
                    }
                }
                assertEquals(optimizer.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT),
                        ((String) ((Map<?, ?>) ((Map<?, ?>) config(file).get("compile_config")).get("optimizer"))
                                .get("class_name")).toLowerCase(java.util.Locale.ROOT));
            }
        }
    }

    @Test
    void whatKerasCannotExpressIsRefusedAndNothingIsWritten(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.keras");
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "leaky_relu").activationAlpha(0.3))
                .backend(cpu)) {
            m.build(4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.save(file));
            assertTrue(e.getMessage().contains("activation_alpha 0.3") && e.getMessage().contains(".safetensors"),
                    e.getMessage());
            assertFalse(Files.exists(file));
        }
        try (Sequential m = new Sequential(new Input(4), new Dense(3, "leaky_relu")).backend(cpu)) {
            m.build(4);
            assertTrue(KerasFileWriter.modelConfig(m).toString().contains("leaky_relu"), "Keras's default alpha");
            m.save(file); // not compiled: no compile_config, no optimizer variables
            try (Sequential back = Sequential.load(file, cpu)) {
                assertEquals(null, back.optimizer());
                Tensor x = Tensor.wrap(new float[] {1, -2, 3, -4}, 1, 4);
                assertArrayEquals(m.predict(x).toArray(), back.predict(x).toArray());
            }
        }
    }

    /**
     * With {@code -Ddendrite.keras.dump=DIR}: the model as {@code DIR/NAME.keras}, and {@code DIR/NAME.json} with x,
     * y and its predictions, for {@code bench/keras/keras_file_writer_check.py}.
     */
    private static void dump(Path file, String name, Tensor x, int[] y, Tensor predictions, List<float[]> after)
            throws IOException {
        String dir = System.getProperty("dendrite.keras.dump");
        if (dir == null) {
            return;
        }
        Path out = Files.createDirectories(Path.of(dir));
        Files.copy(file, out.resolve(name + ".keras"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("x", toList(x.toArray()));
        j.put("sample_shape", java.util.Arrays.stream(x.shape()).skip(1).boxed().toList());
        j.put("y", java.util.Arrays.stream(y).boxed().toList());
        j.put("predictions", toList(predictions.toArray()));
        // null where the model draws at random in training: Keras's draws differ, so only its fit's running is checked
        j.put("weights_after_one_more_epoch", after == null ? null
                : after.stream().map(KerasFileWriteTest::toList).toList());
        Files.writeString(out.resolve(name + ".json"), Json.write(j));
    }

    private static List<Object> toList(float[] v) {
        List<Object> out = new ArrayList<>();
        for (float f : v) {
            out.add((double) f);
        }
        return out;
    }
}
