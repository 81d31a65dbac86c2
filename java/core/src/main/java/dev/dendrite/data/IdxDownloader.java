package dev.dendrite.data;

import dev.dendrite.io.AtomicFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Downloads the four gzip IDX files of {@link Mnist} or {@link FashionMnist} into a folder, as
 * {@code keras.datasets} does: each file is streamed into a temporary file beside its target, checked against
 * its published SHA-256 and only then renamed into place ({@link AtomicFiles}), so an interrupted, truncated or
 * corrupted download never leaves a file that a later load would read. A progress bar goes to the given stream
 * (standard error in {@code load()}).
 *
 * <p><b>Settings</b>, each a system property or else an environment variable ({@code KEY} is {@code MNIST} or
 * {@code FASHION_MNIST}, {@code key} is {@code mnist} or {@code fashion-mnist}):
 * <ul>
 *   <li>{@code dendrite.offline} / {@code DENDRITE_OFFLINE}: {@code true} (or {@code 1}, {@code yes}) turns
 *       downloads off, {@code false} (or {@code 0}, {@code no}) turns them on. Unset, downloads are on except
 *       where the environment variable {@code CI} is set (CI machines must not fetch data behind anyone's back).
 *       The test suite sets {@code dendrite.offline=true}.</li>
 *   <li>{@code dendrite.datasets.<key>.url} / {@code DENDRITE_<KEY>_URL}: the base URL the file names are
 *       appended to, for a mirror (or a test's loopback server).</li>
 *   <li>{@code dendrite.datasets.<key>.sha256} / {@code DENDRITE_<KEY>_SHA256}: {@code name=hex,name=hex,...}
 *       replacing the published checksum of the files named, for a mirror that serves other files.</li>
 * </ul>
 */
final class IdxDownloader {
    static final String OFFLINE_PROPERTY = "dendrite.offline";
    static final String OFFLINE_ENV = "DENDRITE_OFFLINE";

    private static final int CONNECT_TIMEOUT_MS = 15_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final int BAR_WIDTH = 30;

    private final String name;
    private final String baseUrl;
    private final Map<String, String> sha256;
    private final String offReason;
    private final PrintStream progress;
    /** The second source tried when the first fails, or null. */
    private final IdxTarball fallback;

    private IdxDownloader(String name, String baseUrl, Map<String, String> sha256, String offReason,
            PrintStream progress, IdxTarball fallback) {
        this.name = name;
        this.baseUrl = baseUrl;
        this.sha256 = sha256;
        this.offReason = offReason;
        this.progress = progress;
        this.fallback = fallback;
    }

    /** Where the four files came from and where they now are (in {@link IdxDatasetFinder#FILES} order). */
    record Downloaded(Path[] paths, String from) {
    }

    /**
     * The downloader the settings describe.
     *
     * @param name the dataset's name in messages, e.g. {@code "MNIST"}
     * @param key the settings' key, e.g. {@code "fashion-mnist"}
     * @param defaultBaseUrl where the standard files are published
     * @param published the published SHA-256 of each of the four {@code .gz} files
     * @param fallback the pinned archive to try when the default source fails, or null; not used when the settings
     *        name a mirror (a mirror named by hand is used alone, so that an air-gapped site or a test never
     *        reaches out to a host nobody named)
     * @param env the environment variables
     * @param property the system properties
     * @param progress where the progress bar and notices go
     * @throws IllegalArgumentException if a setting has a value it cannot mean
     */
    static IdxDownloader configure(String name, String key, String defaultBaseUrl, Map<String, String> published,
            IdxTarball fallback, Map<String, String> env, Function<String, String> property, PrintStream progress) {
        String envKey = "DENDRITE_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
        String urlProperty = "dendrite.datasets." + key + ".url";
        String shaProperty = "dendrite.datasets." + key + ".sha256";
        String url = setting(property, urlProperty, env, envKey + "_URL");
        String base = url == null ? defaultBaseUrl : url.endsWith("/") ? url : url + "/";
        String scheme = URI.create(base).getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException((url == null ? "base URL " : urlProperty + " / " + envKey + "_URL ")
                    + base + "; expected an http:// or https:// URL");
        }
        Map<String, String> sums = new LinkedHashMap<>(published);
        String shaText = setting(property, shaProperty, env, envKey + "_SHA256");
        if (shaText != null) {
            for (String entry : shaText.split(",")) {
                String[] kv = entry.trim().split("=", 2);
                String hex = kv.length == 2 ? kv[1].trim().toLowerCase(Locale.ROOT) : "";
                if (!sums.containsKey(kv[0].trim()) || !hex.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException(shaProperty + " / " + envKey + "_SHA256 entry '" + entry
                            + "'; expected <file>=<64 hex digits> with <file> one of " + published.keySet());
                }
                sums.put(kv[0].trim(), hex);
            }
        }
        return new IdxDownloader(name, base, Map.copyOf(sums), offReason(env, property), progress,
                url == null ? fallback : null);
    }

    /** This downloader with {@code tarball} as its second source (tests point it at their loopback server). */
    IdxDownloader withFallback(IdxTarball tarball) {
        return new IdxDownloader(name, baseUrl, sha256, offReason, progress, tarball);
    }

    /** The second source, or null. */
    IdxTarball fallback() {
        return fallback;
    }

    /** Null where downloads are allowed, else why not. */
    private static String offReason(Map<String, String> env, Function<String, String> property) {
        String value = setting(property, OFFLINE_PROPERTY, env, OFFLINE_ENV);
        if (value != null) {
            switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> {
                    return OFFLINE_PROPERTY + " / " + OFFLINE_ENV + " is " + value.trim();
                }
                case "false", "0", "no" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException(OFFLINE_PROPERTY + " / " + OFFLINE_ENV + " is '"
                        + value + "'; expected true, false, 1, 0, yes or no");
            }
        }
        String ci = env.get("CI");
        if (ci != null && !ci.isBlank() && !ci.trim().equalsIgnoreCase("false")) {
            return "running under CI (CI=" + ci.trim() + "; set " + OFFLINE_ENV + "=0 to allow downloads)";
        }
        return null;
    }

    private static String setting(Function<String, String> property, String propertyName, Map<String, String> env,
            String envName) {
        String p = property.apply(propertyName);
        if (p != null && !p.isBlank()) {
            return p.trim();
        }
        String e = env.get(envName);
        return e == null || e.isBlank() ? null : e.trim();
    }

    /** Prints a line for the user where the progress bar goes. */
    void notice(String line) {
        progress.println(line);
    }

    /** Whether downloads are allowed. */
    boolean enabled() {
        return offReason == null;
    }

    /** Why downloads are off, or null if they are on. */
    String offReason() {
        return offReason;
    }

    /** Where the files come from. */
    String baseUrl() {
        return baseUrl;
    }

    /**
     * Downloads into {@code dir} each of the four files it does not already hold with the expected checksum; if
     * that fails and there is a second source, unpacks the four files from its archive instead.
     *
     * @return where the four files are and where they came from
     * @throws IOException saying which file failed, from where, why (for each source tried), and how to install the
     *         files by hand; no partial or unverified file is left in {@code dir}
     */
    Downloaded download(Path dir, String byHand) throws IOException {
        if (!enabled()) {
            throw new IllegalStateException("downloads are off: " + offReason);
        }
        String first;
        try {
            return new Downloaded(downloadFiles(dir), baseUrl);
        } catch (IOException e) {
            progress.println();
            if (fallback == null) {
                throw new IOException(name + ": " + e.getMessage() + " Nothing partial was kept in " + dir + ". "
                        + byHand, e);
            }
            first = e.getMessage();
            progress.println(name + ": " + first + " Trying the same files from the " + fallback.label() + " ("
                    + fallback.url() + ") instead.");
        }
        try {
            byte[] archive = fetchArchive();
            progress.println("Unpacking " + String.join(", ", IdxDatasetFinder.FILES) + " into " + dir);
            return new Downloaded(fallback.extract(archive, dir), fallback.url());
        } catch (IOException e) {
            progress.println();
            String second = e.getMessage().startsWith(fallback.label()) ? e.getMessage()
                    : "downloading the " + fallback.label() + " from " + fallback.url() + " failed: "
                            + asSentence(reason(e));
            throw new IOException(name + ": both sources failed. First, " + first + " Then " + asSentence(second)
                    + " Nothing partial was kept in " + dir + ". " + byHand + "; or fetch " + fallback.url() + " (the "
                    + fallback.label() + ") and put the four files of its " + fallback.folder() + " folder into "
                    + dir, e);
        }
    }

    /** Downloads the four {@code .gz} files from the base URL. */
    private Path[] downloadFiles(Path dir) throws IOException {
        boolean announced = false;
        Path[] paths = new Path[IdxDatasetFinder.FILES.length];
        for (int i = 0; i < paths.length; i++) {
            String file = IdxDatasetFinder.FILES[i] + ".gz";
            String expected = sha256.get(file);
            Path target = dir.resolve(file);
            paths[i] = target;
            if (Files.isRegularFile(target) && expected.equals(sha256Of(target))) {
                continue;
            }
            if (!announced) {
                progress.println("Downloading " + name + " from " + baseUrl + " into " + dir + " (set "
                        + OFFLINE_ENV + "=1 to stop this)");
                announced = true;
            }
            String url = baseUrl + file;
            try {
                fetch(url, target, expected, file);
            } catch (IOException e) {
                throw new IOException("downloading " + file + " from " + url + " failed: " + asSentence(reason(e)),
                        e);
            }
        }
        return paths;
    }

    /** Downloads the fallback archive into memory and checks it against its pinned SHA-256. */
    private byte[] fetchArchive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        transfer(fallback.url(), fallback.fileName(), new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (bytes.size() + (long) len > IdxTarball.MAX_ARCHIVE_BYTES) {
                    throw new java.io.UncheckedIOException(new IOException("the archive is larger than "
                            + IdxTarball.MAX_ARCHIVE_BYTES + " bytes; expected about 12 MB"));
                }
                bytes.write(b, off, len);
            }
        }, fallback.sha256());
        return bytes.toByteArray();
    }

    /** Ends a clause with a full stop unless it already ends a sentence ("offline?", "...file."). */
    static String asSentence(String clause) {
        String c = clause == null ? "" : clause.strip();
        return c.endsWith(".") || c.endsWith("?") || c.endsWith("!") ? c : c + ".";
    }

    /** What a person can do about a failed download. */
    private static String reason(IOException e) {
        if (e instanceof ConnectException || e instanceof UnknownHostException || e instanceof NoRouteToHostException) {
            return "the server could not be reached (" + e.getMessage() + "); is this machine offline?";
        }
        if (e instanceof SocketTimeoutException) {
            return "the server stopped answering (" + e.getMessage() + ")";
        }
        return e.getMessage();
    }

    private void fetch(String url, Path target, String expected, String file) throws IOException {
        AtomicFiles.write(target, out -> transfer(url, file, out, expected));
    }

    /**
     * Streams {@code url} into {@code out} with a progress bar labelled {@code file}, which ends in "ok" only once
     * the bytes matched {@code expected}.
     *
     * @throws IOException if the server cannot be reached, answers other than 200, the transfer breaks off or ends
     *         short of its announced length, or the bytes do not have the SHA-256 {@code expected}
     */
    private void transfer(String url, String file, OutputStream out, String expected) throws IOException {
        URL u = URI.create(url).toURL();
        HttpURLConnection c = (HttpURLConnection) u.openConnection();
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        try {
            int code = c.getResponseCode();
            if (code != HttpURLConnection.HTTP_OK) {
                throw new IOException("the server answered HTTP " + code + " " + c.getResponseMessage());
            }
            long length = c.getContentLengthLong();
            MessageDigest digest = sha256();
            long received = 0;
            Bar bar = new Bar(file, length);
            byte[] buf = new byte[1 << 16];
            try (InputStream in = c.getInputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    digest.update(buf, 0, n);
                    received += n;
                    bar.show(received);
                }
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            } catch (IOException e) {
                throw new IOException("the transfer broke off after " + received + " of "
                        + (length >= 0 ? length + " bytes" : "an unknown number of bytes") + " (" + e + ")", e);
            }
            if (length >= 0 && received != length) {
                throw new IOException("the transfer ended after " + received + " of " + length + " bytes");
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(expected)) {
                throw new IOException("the received file has SHA-256 " + actual + ", expected " + expected
                        + " (a corrupted transfer or a different file); it was discarded");
            }
            bar.done(received);
        } finally {
            c.disconnect();
        }
    }

    private static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** A one-line progress bar, redrawn with a carriage return only when its text changes. */
    private final class Bar {
        private final String file;
        private final long length;
        private String last = "";

        Bar(String file, long length) {
            this.file = file;
            this.length = length;
        }

        void show(long received) {
            String text;
            if (length > 0) {
                int filled = (int) (BAR_WIDTH * Math.min(received, length) / length);
                text = String.format(Locale.ROOT, "  %-28s [%s%s] %3d%% %6.1f / %.1f MB", file, "=".repeat(filled),
                        " ".repeat(BAR_WIDTH - filled), 100 * Math.min(received, length) / length, received / 1e6,
                        length / 1e6);
            } else {
                text = String.format(Locale.ROOT, "  %-28s %6.1f MB", file, received / 1e6);
            }
            if (!text.equals(last)) {
                progress.print("\r" + text);
                progress.flush();
                last = text;
            }
        }

        void done(long received) {
            show(received);
            progress.println(" ok");
        }
    }
}
