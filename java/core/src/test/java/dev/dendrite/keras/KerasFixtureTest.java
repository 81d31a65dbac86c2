package dev.dendrite.keras;

import java.io.IOException;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import dev.dendrite.backend.Backend;

/**
 * A test class that replays a Keras fixture on one backend (a subclass per backend): the fixture and the backend,
 * each made once per class, the backend closed after. The fixture's {@code "cases"} name the arguments of a
 * {@code @MethodSource("cases")} test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KerasFixtureTest {
    /** The backend under test. */
    protected Backend backend;
    /** The fixture, as {@link #loadFixture()} read it. */
    protected Map<String, Object> fixture;
    private final Class<?> anchor;
    private final String name;
    private final String script;

    /**
     * A test of the fixture {@code name}, a resource beside {@code anchor}'s package (the class that declares the
     * test, not its per-backend subclass in another package), written by {@code script}.
     */
    protected KerasFixtureTest(Class<?> anchor, String name, String script) {
        this.anchor = anchor;
        this.name = name;
        this.script = script;
    }

    /** The backend under test, created once per class. */
    protected abstract Backend createBackend();

    /** The class's fixture ({@link KerasFixtures#load}). */
    protected Map<String, Object> loadFixture() throws IOException {
        return KerasFixtures.load(anchor, name, script);
    }

    /** The names of the fixture's cases, read afresh (argument sources may be asked before the fixture is read). */
    protected Stream<String> cases() throws IOException {
        return KerasFixtures.names(loadFixture().get("cases")).stream();
    }

    @BeforeAll
    final void open() throws IOException {
        fixture = loadFixture();
        backend = createBackend();
    }

    @AfterAll
    final void close() {
        if (backend != null) {
            backend.close();
        }
    }
}
