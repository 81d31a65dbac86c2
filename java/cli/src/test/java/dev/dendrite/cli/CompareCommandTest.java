package dev.dendrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.experiments.RunConfig;
import picocli.CommandLine;

class CompareCommandTest {

    private static CompareCommand parse(String... args) {
        CompareCommand c = new CompareCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void varyGivesEveryCombinationNamedByItsValues() {
        Map<String, RunConfig> runs = parse("--vary", "activation=sigmoid,relu,selu,leaky_relu", "--vary",
                "optimizer=sgd,adam", "--epochs", "20").plan();
        assertEquals(8, runs.size());
        assertEquals(List.of("sigmoid, sgd", "sigmoid, adam", "relu, sgd", "relu, adam", "selu, sgd", "selu, adam",
                "leaky_relu, sgd", "leaky_relu, adam"), List.copyOf(runs.keySet()));
        Map<String, Object> m = runs.get("selu, sgd").toMap();
        assertEquals("selu", m.get("activation"));
        assertEquals("sgd", m.get("optimizer"));
        assertEquals(20, m.get("epochs"));
        // Numbers are named with their key, so a legend says what 0.1 is.
        assertEquals(List.of("lr=0.1", "lr=0.01"), List.copyOf(parse("--vary", "lr=0.1,0.01").plan().keySet()));
        // none, true and false say nothing without their setting's name.
        assertEquals(List.of("max_norm=none", "max_norm=3"),
                List.copyOf(parse("--vary", "max_norm=none,3").plan().keySet()));
        assertEquals(List.of("batch_norm=false", "batch_norm=true"),
                List.copyOf(parse("--vary", "batch_norm=false,true").plan().keySet()));
    }

    @Test
    void namedConfigsAreCrossedWithTheGridAndShareTheBaseSettings() {
        Map<String, RunConfig> runs = parse("--config", "zeros:initializer=zeros", "--config",
                "glorot:initializer=glorot_uniform;dropout=0.2", "--vary", "batch_size=32,64", "--set", "l2=0.001",
                "--layers", "64,32").plan();
        assertEquals(List.of("zeros, batch_size=32", "zeros, batch_size=64", "glorot, batch_size=32",
                "glorot, batch_size=64"), List.copyOf(runs.keySet()));
        Map<String, Object> g = runs.get("glorot, batch_size=64").toMap();
        assertEquals(0.2, g.get("dropout"));
        assertEquals(0.001, g.get("l2"));
        assertEquals(64, g.get("batch_size"));
        assertEquals(List.of(64, 32), g.get("layers"));
        assertEquals("zeros", runs.get("zeros, batch_size=32").toMap().get("initializer"));
        assertEquals(List.of("baseline"), List.copyOf(parse().plan().keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--vary", "optimiser=sgd").plan());
        assertTrue(e.getMessage().contains("optimiser"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("--vary", "optimizer").plan());
        assertTrue(e.getMessage().contains("KEY=VALUE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("--config", "initializer=zeros").plan());
        assertTrue(e.getMessage().contains("no name"), e.getMessage());
    }

    @Test
    void compareOnTheSamplePrintsTheTableAndWritesEverything(@TempDir Path dir) throws IOException {
        CliRun.Result r = CliRun.run("compare", "--sample", "--backend", "cpu", "--vary", "activation=relu,tanh",
                "--epochs", "2", "--layers", "16", "--validation", "500", "-o", dir.toString(), "--tensorboard",
                dir.resolve("tb").toString());
        int code = r.code();
        String text = r.out();
        assertEquals(0, code, text);
        assertTrue(text.contains("[2/2 tanh] epoch 2/2"), text);
        assertTrue(text.matches("(?s).*\\nrelu +0\\.\\d{4} +[12] +0\\.\\d{4} .*\\ntanh +0\\.\\d{4} .*"), text);
        assertTrue(Files.exists(dir.resolve("report.html")) && Files.exists(dir.resolve("models/tanh.safetensors")));
        assertTrue(Files.exists(dir.resolve("curves.png")) && Files.exists(dir.resolve("histories.json")));
        for (String run : new String[] {"relu", "tanh"}) { // one TensorBoard run folder per configuration
            for (String part : new String[] {"train", "validation"}) {
                try (Stream<Path> files = Files.list(dir.resolve("tb").resolve(run).resolve(part))) {
                    assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents."))
                            .count(), run + "/" + part);
                }
            }
        }
    }

    @Test
    void badFlagsAndAnUnwritableOutputAreNamedBeforeAnyDataIsRead(@TempDir Path dir) throws Exception {
        for (String[] c : new String[][] {{"--epochs", "0", "--epochs 0; expected 1 or more"},
            {"--batch-size", "0", "--batch-size 0; expected 1 or more"},
            {"--parallel", "0", "--parallel 0; expected 1 or more"},
            {"--verbose", "5", "--verbose 5; expected 0 (silent) or 1"},
            {"--vary", "optimiser=sgd,adam", "unknown setting 'optimiser'; expected one of"}}) {
            CliRun.Result r = CliRun.run("compare", "--sample", c[0], c[1], "-o", dir.resolve("out").toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.out().contains(c[2]), r.toString());
            assertFalse(r.out().contains("Data:"), "rejected before the data is read: " + r);
        }
        CliRun.Result r = CliRun.run("compare", "--sample", "--backend", "gpu", "-o", dir.resolve("out").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("--backend: unknown backend 'gpu'"), r.toString());
        assertFalse(r.out().contains("Data:"), r.toString());

        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        r = CliRun.run("compare", "--sample", "--backend", "cpu", "-o", file.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("--output-dir " + file + ": "), r.toString());
        assertTrue(r.out().contains("is not a folder"), r.toString());
        assertFalse(r.out().contains("Data:"), "nothing was trained: " + r);
        assertEquals("not a folder", Files.readString(file));
        assertFalse(Files.exists(dir.resolve("out")), "a rejected run writes nothing");
    }
}
