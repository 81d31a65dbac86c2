package dev.dendrite.keras;

import java.io.IOException;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import dev.dendrite.backend.Backend;

/**
 * A test class that replays a Keras fixture on one backend (a subclass per backend): the fixture and the backend,
 * each made once per class, the backend closed after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KerasFixtureTest {
    /** The backend under test. */
    protected Backend backend;
    /** The fixture, as {@link #loadFixture()} read it. */
    protected Map<String, Object> fixture;

    /** The backend under test, created once per class. */
    protected abstract Backend createBackend();

    /** The class's fixture ({@link KerasFixtures#load}). */
    protected abstract Map<String, Object> loadFixture() throws IOException;

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
