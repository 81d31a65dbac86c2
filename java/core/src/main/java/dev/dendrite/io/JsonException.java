package dev.dendrite.io;

/**
 * Malformed JSON text given to {@link Json#parse(String)}. It is unchecked (an {@link IllegalArgumentException})
 * because the text is an argument the caller supplied; code that reads JSON from a file should catch it and
 * rethrow as an {@link java.io.IOException} naming the file, as {@link Safetensors} does.
 *
 * <p>The message says what was expected, where, and what was found, e.g.
 * {@code expected ':' at offset 17, found 'x'}.
 */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int offset;

    /**
     * @param message the full message, already naming the offset
     * @param offset  index into the parsed text (in UTF-16 code units) where the problem was found
     */
    public JsonException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    /** Index into the parsed text (in UTF-16 code units, i.e. {@code String.charAt} positions) of the problem. */
    public int offset() {
        return offset;
    }
}
