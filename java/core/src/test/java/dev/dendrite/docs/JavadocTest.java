package dev.dendrite.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.tools.DocumentationTool;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's Javadoc builds, with the options the build gives {@code maven-javadoc-plugin} (the Vector API
 * module, doclint without "missing"): a broken {@code @link} or bad HTML in a doc comment fails here, in the
 * tests, rather than later in {@code mvn verify} or {@code mvn javadoc:javadoc}.
 */
class JavadocTest {
    @Test
    void theLibrarysJavadocBuildsWithoutErrors(@TempDir Path out) throws Exception {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        assumeTrue(javadoc != null, "this JVM is a JRE without the javadoc tool");
        Path sources = Path.of(System.getProperty("user.dir"), "src", "main", "java");
        assumeTrue(Files.isDirectory(sources), "the main sources are not at " + sources);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<String> args = List.of("-quiet", "--release", "17", "--add-modules", "jdk.incubator.vector",
                "-Xdoclint:all,-missing", "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                "-sourcepath", sources.toString(), "-subpackages", "dev.dendrite");
        PrintWriter w = new PrintWriter(log, true, StandardCharsets.UTF_8);
        Boolean ok = javadoc.getTask(w, null, null, null, args, null).call();
        w.flush();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(Boolean.TRUE, ok, text);
        assertFalse(text.contains("error:"), text);
        assertFalse(text.lines().anyMatch(l -> l.contains("warning:") && !l.contains("incubating")), text);
    }
}
