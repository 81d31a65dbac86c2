package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The strict tar reader behind the npm source: what it reads, and each kind of entry it refuses. */
class UstarReaderTest {
    private static UstarReader reader(byte[] tar) {
        return new UstarReader(new ByteArrayInputStream(tar), "the archive", 1 << 20, 8);
    }

    private static String refusal(byte[] tar) {
        return assertThrows(IOException.class, () -> {
            UstarReader r = reader(tar);
            while (r.next() != null) {
                r.content().readAllBytes();
            }
        }).getMessage();
    }

    private static void assertMentions(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "lacks '" + part + "': " + text);
        }
    }

    @Test
    void readsRegularFilesWhateverIsReadOfEach() throws IOException {
        byte[] big = new byte[1300];
        Arrays.fill(big, (byte) 7);
        String longName = "package/" + "d".repeat(60) + "/" + "e".repeat(60) + "/file.bin";
        UstarReader r = reader(new TarFiles().file("package/a.txt", "hello".getBytes(StandardCharsets.UTF_8))
                .file("package/skipped", big).file(longName, big).file("package/empty", new byte[0]).bytes());
        UstarReader.Entry a = r.next();
        assertEquals(new UstarReader.Entry("package/a.txt", 5), a);
        assertEquals("hello", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(new UstarReader.Entry("package/skipped", 1300), r.next()); // content left unread
        assertEquals(new UstarReader.Entry(longName, 1300), r.next(), "prefix and name joined");
        assertArrayEquals(big, r.content().readAllBytes());
        assertEquals(new UstarReader.Entry("package/empty", 0), r.next());
        assertEquals(-1, r.content().read());
        assertNull(r.next());
        assertNull(r.next());
    }

    @Test
    void refusesEscapingAndAbsoluteNames() {
        for (String name : new String[] {"../evil", "package/../../evil", "/etc/evil", "package/..", "a\\..\\b",
            "C:/evil"}) {
            assertMentions(refusal(new TarFiles().file(name, new byte[] {1}).bytes()), name, "leaves its folder",
                    "refused");
        }
    }

    @Test
    void refusesAnythingButRegularFiles() {
        // '2' symbolic link, '1' hard link, '5' folder, 'x' pax header, 'L' GNU long name.
        for (char type : new char[] {'2', '1', '5', 'x', 'L'}) {
            assertMentions(refusal(new TarFiles().entry("package/link", type, new byte[0]).bytes()),
                    "package/link", "not a regular file", "type '" + type + "'");
        }
    }

    @Test
    void refusesDamagedHeadersAndOtherFormats() {
        byte[] header = TarFiles.header("package/a", '0', 1);
        header[5] ^= 1;
        assertMentions(refusal(new TarFiles().raw(header).raw(new byte[512]).bytes()), "damaged header",
                "checksum");
        byte[] gnu = TarFiles.header("package/a", '0', 0);
        System.arraycopy("ustar  \0".getBytes(StandardCharsets.ISO_8859_1), 0, gnu, 257, 8); // GNU tar's magic
        long sum = 0;
        Arrays.fill(gnu, 148, 156, (byte) ' ');
        for (byte b : gnu) {
            sum += b & 0xff;
        }
        System.arraycopy(String.format("%06o\0 ", sum).getBytes(StandardCharsets.ISO_8859_1), 0, gnu, 148, 8);
        assertMentions(refusal(new TarFiles().raw(gnu).bytes()), "not in the POSIX ustar format");
    }

    @Test
    void refusesTruncationAndExcess() {
        byte[] whole = new TarFiles().file("package/a", new byte[2000]).bytes();
        assertMentions(refusal(Arrays.copyOf(whole, 1024)), "ends inside an entry (truncated)");
        assertMentions(refusal(Arrays.copyOf(whole, 300)), "inside a header", "truncated");
        assertMentions(refusal(Arrays.copyOf(whole, 512 + 2048)), "without the end-of-archive marker");
        assertMentions(refusal(new TarFiles().file("package/big", new byte[(1 << 20) + 1]).bytes()),
                "package/big", (1 << 20) + 1 + " bytes", "at most " + (1 << 20));
        TarFiles many = new TarFiles();
        for (int i = 0; i < 9; i++) {
            many.file("package/f" + i, new byte[0]);
        }
        assertMentions(refusal(many.bytes()), "more than 8 entries");
    }
}
