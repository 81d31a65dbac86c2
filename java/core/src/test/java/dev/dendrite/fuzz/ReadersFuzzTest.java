package dev.dendrite.fuzz;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.data.IdxReader;
import dev.dendrite.data.ImageLoader;
import dev.dendrite.io.Hdf5File;
import dev.dendrite.io.Json;
import dev.dendrite.io.JsonException;
import dev.dendrite.io.ModelFile;
import dev.dendrite.io.ReadLimits;
import dev.dendrite.io.Safetensors;
import dev.dendrite.model.Sequential;

/**
 * Coverage-guided fuzzing (Jazzer) of every reader of untrusted bytes. The only acceptable outcome of any input
 * is a result or the reader's documented exception ({@link IOException}, for JSON {@link JsonException}); any other
 * exception or error (an {@link OutOfMemoryError}, a {@link StackOverflowError}, an unchecked exception from deep
 * inside) is a finding, and so is an input that runs past Jazzer's time limit.
 *
 * <p>The normal test run replays the kept inputs under {@code src/test/resources/dev/dendrite/fuzz/ReadersFuzzTestInputs/<method>/}
 * (seeds and every crashing input found so far). To fuzz one reader:
 * {@code JAZZER_FUZZ=1 mvn -pl java/core test -Dtest='ReadersFuzzTest#safetensors'} (see RELIABILITY.md).
 */
class ReadersFuzzTest {
    private static Path dir;
    private static Backend cpu;
    /** The tensors of the seed model, for {@link #modelConfig}. */
    private static java.util.LinkedHashMap<String, dev.dendrite.io.TensorData> seedWeights;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("dendrite-fuzz");
        cpu = new CpuBackend(1);
        // Smaller bounds than the defaults keep each execution short; the bounds themselves are tested elsewhere.
        System.setProperty(ReadLimits.MAX_IMAGE_PIXELS, "4000000");
        System.setProperty(ReadLimits.MAX_IDX_BYTES, "16000000");
        try (var in = ReadersFuzzTest.class.getResourceAsStream("ReadersFuzzTestInputs/modelFile/seed-model")) {
            seedWeights = ModelFile.readWeights(Files.write(dir.resolve("seed.dmodel"), in.readAllBytes()));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        System.clearProperty(ReadLimits.MAX_IMAGE_PIXELS);
        System.clearProperty(ReadLimits.MAX_IDX_BYTES);
        cpu.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static Path file(String name, byte[] data) {
        try {
            return Files.write(dir.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void idx(byte[] data) {
        try {
            IdxReader.read(new ByteArrayInputStream(data), "fuzz.idx");
        } catch (IOException expected) {
            // rejected with a message: fine
        }
        try {
            IdxReader.readImages(file("fuzz-idx", data));
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3m")
    void safetensors(byte[] data) {
        try {
            Safetensors.read(file("fuzz.safetensors", data));
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3m")
    void modelFile(byte[] data) {
        try (Sequential m = Sequential.load(file("fuzz.dmodel", data), cpu)) {
            m.getWeights();
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    /**
     * The configuration JSON of a model file, fuzzed on its own with valid tensors beside it, so that the fuzzer
     * reaches the layer, optimizer and loss parsing instead of spending its time on the safetensors framing.
     */
    @FuzzTest(maxDuration = "3m")
    void modelConfig(byte[] data) {
        Path f = dir.resolve("fuzz-config.dmodel");
        try {
            ModelFile.write(f, new String(data, java.nio.charset.StandardCharsets.UTF_8), seedWeights);
        } catch (IllegalArgumentException | IOException notAJsonObject) {
            return; // the writer refuses it: nothing to load
        }
        try (Sequential m = Sequential.load(f, cpu)) {
            m.getWeights();
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3m")
    void hdf5(byte[] data) {
        try {
            Hdf5File.readDatasets(data, "fuzz.h5");
        } catch (IOException expected) {
            // rejected with a message: fine
        }
        try {
            Hdf5File.readAttributes(data, "fuzz.h5");
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    /**
     * A Keras model file read by Sequential.load: a Keras 3 .keras zip (its config.json, metadata.json and HDF5
     * weights) or a legacy .h5 model file (its attributes' JSON and its weights), as the first bytes say.
     */
    @FuzzTest(maxDuration = "3m")
    void kerasFile(byte[] data) {
        try (Sequential m = Sequential.load(file("fuzz.keras", data), cpu)) {
            m.getWeights();
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3m")
    void image(byte[] data) {
        try {
            ImageLoader.load(file("fuzz.img", data));
        } catch (IOException expected) {
            // rejected with a message: fine
        }
    }

    @FuzzTest(maxDuration = "3m")
    void json(byte[] data) {
        try {
            Json.parse(new String(data, java.nio.charset.StandardCharsets.UTF_8));
        } catch (JsonException expected) {
            // rejected with a message: fine
        }
    }
}
