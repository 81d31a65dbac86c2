package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** Test helper shared by the download tests: checksums of served bytes, what a folder holds, message checks. */
final class DownloadFiles {
    private DownloadFiles() {
    }

    /** The SHA-256 of {@code b} in lower-case hex, as the downloaders pin it. */
    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Files in {@code dir}, temporary ones included (empty if the folder does not exist). */
    static List<String> filesIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void assertMentions(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "lacks '" + part + "': " + text);
        }
    }
}
