package dev.dendrite.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Test helper: writes ustar archives header field by header field (POSIX.1-1988 layout), so that tests can also
 * write the entries a strict reader must refuse (links, escaping names, damaged headers).
 */
final class TarFiles {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Appends a regular file. */
    TarFiles file(String name, byte[] content) {
        return entry(name, '0', content);
    }

    /** Appends an entry of any type flag, with {@code content} as its data. */
    TarFiles entry(String name, char type, byte[] content) {
        out.writeBytes(header(name, type, content.length));
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        return this;
    }

    /** Appends raw bytes (a hand-damaged header). */
    TarFiles raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** The archive with its end-of-archive marker (two zero blocks). */
    byte[] bytes() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(out.toByteArray());
        all.writeBytes(new byte[1024]);
        return all.toByteArray();
    }

    /** The archive, gzip-compressed. */
    byte[] tgz() {
        return IdxFiles.gzip(bytes());
    }

    /** A ustar header; names over 100 characters are split into prefix and name at a slash. */
    static byte[] header(String name, char type, long size) {
        byte[] h = new byte[512];
        String prefix = "";
        if (name.length() > 100) {
            int cut = name.lastIndexOf('/', 155);
            prefix = name.substring(0, cut);
            name = name.substring(cut + 1);
        }
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0001750");
        put(h, 116, "0001750");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 1_441_000_000L));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        put(h, 345, prefix);
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
