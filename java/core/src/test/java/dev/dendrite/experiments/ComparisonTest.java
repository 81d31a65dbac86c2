package dev.dendrite.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.backend.cpu.CpuBackend;
import dev.dendrite.constraints.MaxNorm;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.data.TrainTest;
import dev.dendrite.io.Json;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Layer;
import dev.dendrite.model.Sequential;

/** Comparisons on the bundled 3000/1000 sample, small nets and few epochs, on the CPU backend. */
class ComparisonTest {
    private static TrainTest data;

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadSample();
    }

    private static Comparison comparison() {
        return new Comparison(data).validation(500).seed(7).backend(CpuBackend::new)
                .verbose(0, new PrintStream(PrintStream.nullOutputStream()));
    }

    private static RunConfig small() {
        return new RunConfig().with("layers", "32").with("epochs", "3").with("batch_size", "64");
    }

    @Test
    void eachRunReportsItsBestEpochAndSavesTheModelThatGaveTheTestFigures(@TempDir Path dir) throws IOException {
        ComparisonResult r = comparison().saveModels(dir)
                .add("relu", small())
                .add("sigmoid sgd", small().with("activation", "sigmoid").with("optimizer", "sgd"))
                .add("zeros", small().with("initializer", "zeros"))
                .run();
        assertEquals(List.of("relu", "sigmoid sgd", "zeros"), r.runs().stream().map(RunResult::name).toList());
        for (RunResult run : r.runs()) {
            List<Double> val = run.history().get("val_accuracy");
            assertEquals(3, val.size());
            double max = val.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertEquals(max, run.bestValAccuracy(), 0.0);
            assertEquals(val.indexOf(max) + 1, run.bestEpoch(), "first epoch reaching the best");
            assertEquals(run.history().last("loss"), run.finalLoss(), 0.0);
            // The saved model is the best epoch's: reloaded, it gives the reported test figures and predictions.
            try (Sequential m = Sequential.load(run.model(), new CpuBackend())) {
                Preprocessing prep = Preprocessing.fromMap(castMap(Json.parse(m.metadata().get("preprocessing"))));
                Map<String, Double> test = m.evaluate(prep.apply(data.test().images()), data.test().labels());
                assertEquals(run.testAccuracy(), test.get("accuracy"), 1e-12, run.name());
                assertArrayEquals(run.predictions(), m.predictClasses(prep.apply(data.test().images())), run.name());
            }
            assertEquals(32 * 784 + 32 + 10 * 32 + 10, run.parameters());
        }
        // The course's first lesson: all-zero weights stay symmetric and learn far less than Glorot's.
        RunResult relu = r.runs().get(0);
        RunResult zeros = r.runs().get(2);
        assertTrue(zeros.bestValAccuracy() < relu.bestValAccuracy() - 0.2,
                "zeros " + zeros.bestValAccuracy() + " vs glorot " + relu.bestValAccuracy());
        assertEquals(relu, r.best());
        String table = r.table();
        assertTrue(table.lines().count() == 5 && table.contains("sigmoid sgd") && table.contains("best val_acc"), table);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> castMap(Object o) {
        return (Map<String, ?>) o;
    }

    @Test
    void concurrentRunsGiveTheSameResultsAsOneAfterAnother() throws IOException {
        RunConfig dropout = small().with("dropout", "0.2").with("batch_norm", "true");
        ComparisonResult serial = comparison().add("a", dropout).add("b", dropout.with("optimizer", "rmsprop"))
                .add("c", dropout.with("lr", "0.01")).run();
        ComparisonResult parallel = comparison().parallelism(3).add("a", dropout)
                .add("b", dropout.with("optimizer", "rmsprop")).add("c", dropout.with("lr", "0.01")).run();
        for (int i = 0; i < 3; i++) {
            RunResult s = serial.runs().get(i);
            RunResult p = parallel.runs().get(i);
            assertEquals(s.name(), p.name());
            assertEquals(s.history().history().get("loss"), p.history().history().get("loss"), s.name());
            assertEquals(s.history().history().get("val_accuracy"), p.history().history().get("val_accuracy"));
            assertEquals(s.testAccuracy(), p.testAccuracy(), 0.0);
            assertArrayEquals(s.predictions(), p.predictions());
        }
        // ...and the runs do differ, so the equality above is not vacuous.
        assertNotEquals(serial.runs().get(0).history().get("loss"), serial.runs().get(1).history().get("loss"));
        assertEquals(3, parallel.setup().get("parallelism"));
    }

    @Test
    void writesCsvJsonChartsAndASelfContainedReport(@TempDir Path dir) throws IOException {
        ComparisonResult r = comparison().add("adam", small().with("epochs", "2"))
                .add("adagrad", small().with("epochs", "2").with("optimizer", "adagrad")).run();
        List<Path> files = r.writeTo(dir);
        for (String name : new String[] {"results.csv", "histories.csv", "histories.json", "curves.png", "curves.svg",
            "val_accuracy.png", "learning_rate.svg", "confusion.png", "samples.png", "report.html"}) {
            assertTrue(files.contains(dir.resolve(name)) && Files.size(dir.resolve(name)) > 0, name);
        }
        List<String> hist = Files.readAllLines(dir.resolve("histories.csv"));
        assertTrue(hist.get(0).startsWith("run,epoch,loss,accuracy,val_loss,val_accuracy,learning_rate"), hist.get(0));
        assertEquals(1 + 2 + 2, hist.size(), "header + 2 epochs of 2 runs");
        assertTrue(hist.get(3).startsWith("adagrad,1,"), hist.get(3));
        List<String> results = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(3, results.size());
        assertTrue(results.get(2).startsWith("adagrad," + r.runs().get(1).bestValAccuracy() + ","), results.get(2));

        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("histories.json")));
        List<?> runs = (List<?>) json.get("runs");
        Map<?, ?> second = (Map<?, ?>) runs.get(1);
        assertEquals("adagrad", second.get("name"));
        assertEquals("adagrad", ((Map<?, ?>) second.get("config")).get("optimizer"));
        assertEquals(List.of("layers", "activation", "initializer", "optimizer", "lr"),
                List.copyOf(((Map<?, ?>) second.get("config")).keySet()).subList(0, 5), "settings in their order");
        assertEquals(r.runs().get(1).history().get("val_loss"), ((Map<?, ?>) second.get("history")).get("val_loss"));

        String html = Files.readString(dir.resolve("report.html"));
        assertEquals(5, html.split("<svg ", -1).length - 1, "five inline charts");
        assertTrue(html.contains("<td>adagrad</td>") && html.contains("class=\"best\""));
        // Nothing is fetched from elsewhere: no scripts, no links, no external images or styles.
        String lower = html.toLowerCase(java.util.Locale.ROOT);
        for (String forbidden : new String[] {"<script", "<link", "src=", "url(", "@import", "href=\"http"}) {
            assertTrue(!lower.contains(forbidden), forbidden);
        }
        assertEquals(lower.split("http://", -1).length - 1, lower.split("xmlns=\"http://www.w3.org/2000/svg\"", -1).length - 1,
                "the only URLs are SVG namespace names");
    }

    @Test
    void badSettingsAreNamedBeforeAnythingTrains() {
        RunConfig c = new RunConfig();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.with("activaton", "relu"));
        assertTrue(e.getMessage().contains("activaton") && e.getMessage().contains("activation"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("activation", "reluu"));
        assertTrue(e.getMessage().contains("reluu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("optimizer", "adabelief"));
        assertTrue(e.getMessage().contains("adabelief"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("epochs", "ten"));
        assertTrue(e.getMessage().contains("ten"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("dropout", "1.5"));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("early_stopping_monitor", "val_acc"));
        assertTrue(e.getMessage().contains("val_acc'"), e.getMessage());
        assertEquals("3 (val_accuracy)", c.with("early_stopping", "3").with("early_stopping_monitor", "val_accuracy")
                .toMap().get("early_stopping"));
        assertThrows(IllegalArgumentException.class, () -> comparison().add("a b", c).add("a/b", c));
        assertThrows(IllegalStateException.class, () -> comparison().run());
        // A run that fails fails the comparison with its own exception, also when runs go concurrently.
        Experiment broken = new Experiment("broken", () -> {
            throw new IllegalArgumentException("boom");
        }, c::optimizer, 1, 32, List::of, Map.of());
        e = assertThrows(IllegalArgumentException.class,
                () -> comparison().parallelism(2).add("fine", small().with("epochs", "1")).add(broken).run());
        assertEquals("boom", e.getMessage());
        assertEquals(List.of(256, 128), c.with("layers", "256x128").toMap().get("layers"));
        assertEquals(0.05, c.with("optimizer", "sgd").with("lr", "0.05").optimizer().learningRate(), 0.0);
        assertEquals(0.01, c.with("optimizer", "sgd").toMap().get("lr"));
    }

    @Test
    void maxNormConstrainsEveryHiddenKernelAndNotTheOutput() {
        RunConfig c = new RunConfig().with("layers", "16,8").with("max-norm", "3");
        assertEquals(3.0, c.toMap().get("max_norm"));
        assertFalse(new RunConfig().toMap().containsKey("max_norm"), "left out of reports where unset");
        List<Dense> dense = new ArrayList<>();
        for (Layer l : c.model(new int[] {4}, 3).layers()) {
            if (l instanceof Dense d) {
                dense.add(d);
            }
        }
        assertEquals(3, dense.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(3.0, ((MaxNorm) dense.get(i).kernelConstraint()).maxValue(), "hidden layer " + i);
        }
        assertNull(dense.get(2).kernelConstraint(), "the output layer");
        assertNull(c.with("max_norm", "none").model(new int[] {4}, 3).layers().stream()
                .filter(l -> l instanceof Dense).map(l -> ((Dense) l).kernelConstraint()).filter(k -> k != null)
                .findFirst().orElse(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.with("max_norm", "-1"));
        assertTrue(e.getMessage().contains("max_norm -1"), e.getMessage());
    }
}
