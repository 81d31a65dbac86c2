package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.cli.CliRun.Result;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/**
 * The mistakes a newcomer makes in the first hour, made on the real commands (in process through picocli, and in
 * a child JVM where the JVM's own flags matter): each must end with a clear message and the right exit status.
 */
class CliNewcomerTest {
    @TempDir
    static Path shared;
    /** A model trained by the CLI's own train command (records its preprocessing). */
    private static Path cliModel;

    private static Result run(String... args) {
        return CliRun.run(args);
    }

    @BeforeAll
    static void trainWithTheCli() {
        cliModel = shared.resolve("cli.safetensors");
        Result r = run("train", "--sample", "--epochs", "1", "--layers", "16", "--backend", "cpu", "--verbose", "0",
                "-o", cliModel.toString());
        assertEquals(0, r.code(), r.toString());
    }

    // ------------------------------------------------------------ 4: flag values

    @Test
    void badFlagValuesAreRefusedNamingTheFlagWithAHintInsteadOfTheUsage() {
        String[][] cases = {
            {"--dropout", "-0.1"}, {"--dropout", "1"}, {"--l2", "-1"}, {"--max-norm", "-3"}, {"--validation", "-1"},
            {"--momentum", "0.9"}, {"--nesterov"}, {"--optimizer", "sgd", "--nesterov"},
            {"--optimizer", "sgd", "--momentum", "1.5"}, {"--batch-size", "0"}, {"--layers", "64,0"},
            {"--epochs", "-1"}, {"--verbose", "3"}, {"--lr", "0"}, {"--early-stopping", "-2"},
            {"--validation", "0", "--early-stopping", "3"}, {"--epochs", "ten"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("train", "--sample", "-o", shared.resolve("no.st").toString()));
            args.addAll(List.of(c));
            Result r = run(args.toArray(new String[0]));
            String flag = c[c.length - 1].startsWith("--") ? c[c.length - 1] : c[c.length - 2];
            assertEquals(2, r.code(), String.join(" ", c) + " -> " + r);
            assertTrue(r.out().startsWith("error: "), r.toString());
            assertTrue(r.out().contains(flag), "names " + flag + ": " + r);
            assertTrue(r.out().contains("Try 'dendrite train --help' for more information."), r.toString());
            assertFalse(r.out().contains("Usage:"), "no usage text after a one-line error: " + r);
            assertFalse(r.out().contains("batchSize") || r.out().contains("Labels."), "no Java names: " + r);
            assertTrue(r.out().lines().count() <= 3, r.toString());
        }
        assertFalse(Files.exists(shared.resolve("no.st")));
        // A misspelt option gets a suggestion.
        Result typo = run("train", "--epoch", "3");
        assertEquals(2, typo.code());
        assertTrue(typo.out().contains("--epochs") && !typo.out().contains("Usage:"), typo.toString());
    }

    @Test
    void contradictoryAndUnwritableChoicesAreRefusedBeforeTraining(@TempDir Path dir) {
        Result both = run("train", "--sample", "--data", dir.toString(), "-o", dir.resolve("m.st").toString());
        assertEquals(1, both.code(), both.toString());
        assertTrue(both.out().contains("--sample and --data " + dir + " both choose the data"), both.toString());

        Result history = run("train", "--sample", "--history", dir.toString(), "-o", dir.resolve("m.st").toString());
        assertEquals(2, history.code(), history.toString());
        assertTrue(history.out().contains("--history " + dir + ": " + dir.toAbsolutePath() + " is a folder"),
                history.toString());
        Result noFolder = run("train", "--sample", "--history", dir.resolve("no/such/h.csv").toString());
        assertEquals(2, noFolder.code(), noFolder.toString());
        assertTrue(noFolder.out().contains("the folder " + dir.resolve("no/such").toAbsolutePath()
                + " does not exist"), noFolder.toString());
        assertFalse(history.out().contains("Epoch") || noFolder.out().contains("Data:"), "refused before training");
    }

    @Test
    void aMissingPictureIsNamedByItsWholePath() {
        Result r = run("predict", "-m", cliModel.toString(), "-i", "no-such-picture.png", "--backend", "cpu");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains(Path.of("no-such-picture.png").toAbsolutePath().toString()), r.toString());
    }

    @Test
    void anUnavailableBackendPointsToInfoNotToAStackTrace() {
        Result r = run("evaluate", "-m", cliModel.toString(), "--sample", "--backend", "cuda");
        org.junit.jupiter.api.Assumptions.assumeTrue(r.code() != 0, "this machine has CUDA");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("error: --backend cuda: ") && r.out().contains("'dendrite info' lists"),
                r.toString());
        assertFalse(r.out().contains("stack trace"), r.toString());
    }

    @Test
    void unknownNamesNameTheirFlag() {
        Result r = run("train", "--sample", "--optimizer", "adabelief");
        assertEquals(Main.EXIT_USAGE, r.code(), "a bad flag value is a usage error, as --epochs -1 is: " + r);
        assertTrue(r.out().contains("--optimizer: unknown optimizer 'adabelief'"), r.toString());
        assertTrue(r.out().contains("Try 'dendrite train --help'"), r.toString());
        assertFalse(r.out().contains("Data:"), "checked before any data is read: " + r);
    }

    // ------------------------------------------------------------ 2: model-file errors

    @Test
    void modelFileErrorsShowTheWholePathWhatIsWrongAndWhatToDo(@TempDir Path dir) throws IOException {
        Result folder = run("evaluate", "--sample", "-m", dir.toString());
        assertEquals(1, folder.code(), folder.toString());
        assertTrue(folder.out().contains(dir.toAbsolutePath() + " is a folder, not a model file"), folder.toString());
        assertTrue(folder.out().contains("--model expects a .safetensors file"), folder.toString());

        Result missing = run("predict", "-m", "no-such-model.safetensors", "-i", "x.png");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.out().contains(Path.of("no-such-model.safetensors").toAbsolutePath().toString()),
                missing.toString());
        assertTrue(missing.out().contains("dendrite train"), missing.toString());

        Path truncated = dir.resolve("cut.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(cliModel), 100));
        Result cut = run("evaluate", "--sample", "-m", truncated.toString());
        assertEquals(1, cut.code(), cut.toString());
        assertTrue(cut.out().contains("cannot load the model file " + truncated.toAbsolutePath() + ": "), cut.toString());
        assertTrue(cut.out().contains("--model expects"), cut.toString());
        assertFalse(cut.out().contains("Exception"), cut.toString());
    }

    // ------------------------------------------------------------ 1: unknown preprocessing

    @Test
    void aModelThatDoesNotRecordItsPreprocessingIsFlagged(@TempDir Path dir) throws IOException {
        // The README's Java example: scaled pixels, saved without saying so.
        Path javaModel = dir.resolve("fashion.safetensors");
        TrainTest data = FashionMnist.loadSample();
        Dataset train = data.train();
        Preprocessing scale = Preprocessing.fit("scale", train.images());
        try (Backend cpu = new CpuBackend();
             Sequential model = new Sequential(new Input(28, 28), new Flatten(), new Dense(16, "relu"),
                     new Dense(10, "softmax")).backend(cpu)) {
            model.compile("adam", "categorical_crossentropy", "accuracy");
            model.fit(scale.apply(train.images()), dev.dendrite.data.Labels.oneHot(train.labels(), 10),
                    new FitOptions().epochs(1).verbose(0));
            model.save(javaModel);
        }
        Result unknown = run("evaluate", "--sample", "-m", javaModel.toString(), "--backend", "cpu");
        assertEquals(0, unknown.code(), unknown.toString());
        assertTrue(unknown.out().contains("warning: " + javaModel.toAbsolutePath()
                + " does not record how its inputs were preprocessed"), unknown.toString());
        assertTrue(unknown.out().contains("--preprocess scale"), unknown.toString());

        // Told how: no warning, and the one-hot loss the model was compiled with is evaluated (no Labels.oneHot).
        Result told = run("evaluate", "--sample", "-m", javaModel.toString(), "--preprocess", "scale",
                "--backend", "cpu");
        assertEquals(0, told.code(), told.toString());
        assertFalse(told.out().contains("warning"), told.toString());
        double loss = Double.parseDouble(told.out().replaceAll("(?s).*test loss: ([0-9.]+).*", "$1"));
        assertTrue(loss < 3, "scaled as trained, the loss is a trained model's: " + told);

        Path picture = dir.resolve("bar.png");
        writePicture(picture, 90, 120, true);
        Result predict = run("predict", "-m", javaModel.toString(), "-i", picture.toString(), "--backend", "cpu");
        assertEquals(0, predict.code(), predict.toString());
        assertTrue(predict.out().contains("does not record how its inputs were preprocessed"), predict.toString());

        Result wrongKind = run("predict", "-m", javaModel.toString(), "-i", picture.toString(), "--preprocess",
                "standardize", "--backend", "cpu");
        assertEquals(1, wrongKind.code(), wrongKind.toString());
        assertTrue(wrongKind.out().contains("--preprocess standardize needs the training data's statistics"),
                wrongKind.toString());
    }

    @Test
    void aModelTrainedByTheCliRecordsItsPreprocessingAndNeedsNoWarning() throws IOException {
        try (Backend cpu = new CpuBackend(); Sequential m = Sequential.load(cliModel, cpu)) {
            assertTrue(m.metadata().get(ModelContext.PREPROCESSING).contains("scale"), m.metadata().toString());
        }
        Result r = run("evaluate", "--sample", "-m", cliModel.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.out().contains("warning"), r.toString());
        Result both = run("evaluate", "--sample", "-m", cliModel.toString(), "--backend", "cpu", "--preprocess", "none");
        assertTrue(both.out().contains("records that its inputs were preprocessed with 'scale'; --preprocess none "
                + "is ignored"), both.toString());
    }

    @Test
    void evaluateUsesTheDatasetTheModelWasTrainedOnAndWarnsWhenToldOtherwise(@TempDir Path dir) throws IOException {
        // The bundled sample's IDX files, read as MNIST: only the dataset names differ.
        Path idx = dir.resolve("idx");
        Files.createDirectories(idx);
        for (String f : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            try (var in = FashionMnist.class.getResourceAsStream("fashion-mnist-sample/" + f)) {
                Files.copy(in, idx.resolve(f));
            }
        }
        Path mnistModel = dir.resolve("mnist.safetensors");
        try (Backend cpu = new CpuBackend(); Sequential m = Sequential.load(cliModel, cpu)) {
            m.metadata().put("dataset", "mnist");
            m.save(mnistModel);
        }
        Result r = run("evaluate", "-m", mnistModel.toString(), "--data", idx.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Data: MNIST"), r.toString());
        assertFalse(r.out().contains("warning"), r.toString());
        Result other = run("evaluate", "-m", mnistModel.toString(), "--data", idx.toString(), "--dataset",
                "fashion-mnist", "--backend", "cpu");
        assertEquals(0, other.code(), other.toString());
        assertTrue(other.out().contains("was trained on mnist; evaluating it on fashion-mnist as --dataset says"),
                other.toString());
    }

    // ------------------------------------------------------------ 9: pictures with nothing to classify

    @Test
    void blankTinyAndNearlyUniformPicturesAreRefusedUnlessForced(@TempDir Path dir) throws IOException {
        Path blank = dir.resolve("blank.png");
        BufferedImage white = new BufferedImage(100, 100, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = white.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 100, 100);
        g.dispose();
        ImageIO.write(white, "png", blank.toFile());
        Path tiny = dir.resolve("tiny.png");
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", tiny.toFile());
        Path noise = dir.resolve("wall.png");
        BufferedImage wall = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int v = 128 + rnd.nextInt(-3, 4);
                wall.setRGB(x, y, new Color(v, v, v).getRGB());
            }
        }
        ImageIO.write(wall, "png", noise.toFile());
        Path object = dir.resolve("object.png");
        writePicture(object, 90, 120, true);

        Result r = run("predict", "-m", cliModel.toString(), "-i", blank.toString(), tiny.toString(),
                noise.toString(), object.toString(), "--backend", "cpu");
        assertEquals(1, r.code(), "some pictures were refused: " + r);
        assertTrue(r.out().contains(blank.toAbsolutePath() + " was not classified: it is blank"), r.toString());
        assertTrue(r.out().contains(tiny.toAbsolutePath() + " was not classified: it is only 1x1 pixels"),
                r.toString());
        assertTrue(r.out().contains(noise.toAbsolutePath() + " was not classified: it is nearly uniform"),
                r.toString());
        assertTrue(r.out().contains("Use --force"), r.toString());
        assertTrue(r.out().matches("(?s).*object\\.png: [A-Za-z/ -]+ \\(\\d+\\.\\d%\\).*"), "the real one is: " + r);
        assertFalse(r.out().matches("(?s).*blank\\.png: [A-Za-z/ -]+ \\(.*"), r.toString());

        Result forced = run("predict", "-m", cliModel.toString(), "-i", blank.toString(), "--force",
                "--backend", "cpu");
        assertEquals(0, forced.code(), forced.toString());
        assertTrue(forced.out().contains("warning: " + blank + ": it is blank"), forced.toString());
        assertTrue(forced.out().matches("(?s).*blank\\.png: [A-Za-z/ -]+ \\(\\d+\\.\\d%\\).*"), forced.toString());
    }

    // ------------------------------------------------------------ 8: the JVM's flags (child JVMs)

    @Test
    void infoSaysWhichCpuGemmRunsAndHowToGetTheFastOne() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Result without = child(List.of(java, "-cp", cp, Main.class.getName(), "info"));
        assertEquals(0, without.code(), without.toString());
        assertTrue(without.out().contains("CPU GEMM: plain Java (start Java with --add-modules jdk.incubator.vector"),
                without.toString());
        Result with = child(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", cp, Main.class.getName(),
                "info"));
        assertTrue(with.out().contains("CPU GEMM: Vector API kernel"), with.toString());
    }

    @Test
    void infoSaysAMissingMnistWouldBeDownloadedByTrainNotThatDownloadsAreOff(@TempDir Path home) throws Exception {
        assumeTrue(System.getenv("DENDRITE_DATA") == null, "DENDRITE_DATA is set, so info looks there first");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Result r = child(List.of(java, "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "info"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\n  MNIST was not found (looked at "), r.toString());
        assertTrue(r.out().contains("`dendrite train --dataset mnist`) downloads it into "
                + home.resolve(".dendrite/datasets/mnist")), r.toString());
        assertFalse(r.out().contains("not asked for"), r.toString());
        assertFalse(r.out().contains("not found - MNIST was not found"), r.toString());
    }

    @Test
    void theCliJarRunsWithoutTheRestrictedMethodWarningOnJava22AndLater() throws Exception {
        Path jar = Path.of(System.getProperty("user.dir"), "target", "dendrite-cli.jar");
        assumeTrue(Files.isRegularFile(jar), "the CLI jar is built by 'mvn package', after the tests: " + jar);
        // The manifest entry under test comes from pom.xml: a jar packaged before the pom's last change is stale.
        Path pom = Path.of(System.getProperty("user.dir"), "pom.xml");
        assumeTrue(Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(pom)) > 0,
                "the CLI jar " + jar + " is older than " + pom + ": rebuild it with 'mvn package' to test it");
        Path jdk = newestJdk();
        assumeTrue(jdk != null, "no JDK 22 or later in /usr/lib/jvm or java.home to run the jar with");
        Result r = child(List.of(jdk.resolve("bin/java").toString(), "-jar", jar.toString(), "info"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Backends"), r.toString());
        assertFalse(r.out().contains("restricted method"), r.toString());
    }

    private static Path newestJdk() throws IOException {
        if (Runtime.version().feature() >= 22) {
            return Path.of(System.getProperty("java.home"));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return null;
        }
        try (Stream<Path> s = Files.list(jvms)) {
            return s.filter(p -> p.getFileName().toString().matches(".*-(2[2-9]|[3-9]\\d)(-.*|\\.\\d.*)?"))
                    .filter(p -> Files.isExecutable(p.resolve("bin/java"))).findFirst().orElse(null);
        }
    }

    private static Result child(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
        return new Result(p.exitValue(), new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * What a newcomer types first: the model and the pictures without -m/-i. Both are taken; the slips around
     * them (a model file where a picture goes, two different model files, no picture at all) each get a sentence
     * that says what to type instead.
     */
    @Test
    void modelAndPicturesWithoutFlags(@TempDir Path dir) throws IOException {
        Result evaluate = run("evaluate", cliModel.toString(), "--sample", "--backend", "cpu");
        assertEquals(0, evaluate.code(), evaluate.toString());
        assertTrue(evaluate.out().contains("test accuracy"), evaluate.toString());

        Result twoModels = run("evaluate", "-m", cliModel.toString(), "other.safetensors", "--sample");
        assertEquals(2, twoModels.code(), twoModels.toString());
        assertTrue(twoModels.out().contains("two model files given"), twoModels.toString());

        Path picture = dir.resolve("bar.png");
        writePicture(picture, 90, 120, true);
        Result predict = run("predict", "-m", cliModel.toString(), picture.toString(), "--backend", "cpu");
        assertEquals(0, predict.code(), predict.toString());
        assertTrue(predict.out().contains("bar.png: "), predict.toString());

        Result modelAsPicture = run("predict", cliModel.toString(), picture.toString());
        assertEquals(2, modelAsPicture.code(), modelAsPicture.toString());
        assertTrue(modelAsPicture.out().contains("is a model file, not a picture; give the model with -m"),
                modelAsPicture.toString());

        Result none = run("predict", "-m", cliModel.toString());
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.out().contains("no picture given"), none.toString());
    }

    /** A dark bar on a white page (light background: predict inverts it), the shape of a pair of trousers. */
    private static void writePicture(Path file, int w, int h, boolean lightBackground) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(lightBackground ? Color.WHITE : Color.BLACK);
        g.fillRect(0, 0, w, h);
        g.setColor(lightBackground ? new Color(20, 20, 60) : Color.WHITE);
        g.fillRect(w / 3, h / 12, w / 3, h * 5 / 6);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
