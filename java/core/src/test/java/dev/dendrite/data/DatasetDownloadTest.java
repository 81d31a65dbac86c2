package dev.dendrite.data;

import static dev.dendrite.data.DownloadFiles.assertMentions;
import static dev.dendrite.data.DownloadFiles.filesIn;
import static dev.dendrite.data.DownloadFiles.sha256;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads of {@link Mnist} and {@link FashionMnist}, served by an HTTP server on 127.0.0.1 that this test starts,
 * with small IDX files of its own making; no other address is ever contacted (every downloader here has its base
 * URL overridden to the loopback server).
 */
class DatasetDownloadTest {
    private static final String[] GZ_FILES = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    };

    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> served = new HashMap<>();
    /** How to damage a file when serving it: "truncate" or "corrupt". */
    private final Map<String, String> damage = new HashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
    private final PrintStream progress = new PrintStream(progressBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void startServer() throws IOException {
        Path source = tmp.resolve("served");
        IdxFiles.writeDataset(source, 40, 20, true);
        for (String f : GZ_FILES) {
            served.put(f, Files.readAllBytes(source.resolve(f)));
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/data/", this::serve);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        String name = ex.getRequestURI().getPath().substring("/data/".length());
        byte[] body = served.get(name);
        try (ex) {
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String how = damage.getOrDefault(name, "");
            // 0: chunked, with no Content-Length, as some servers and proxies send files.
            ex.sendResponseHeaders(200, how.equals("chunked") ? 0 : body.length);
            OutputStream out = ex.getResponseBody();
            if (how.equals("truncate")) {
                // Announce the full length, send half and drop the connection: an interrupted transfer.
                out.write(body, 0, body.length / 2);
                out.flush();
                throw new IOException("simulated broken connection");
            }
            byte[] sent = body.clone();
            if (how.equals("corrupt")) {
                sent[sent.length / 2] ^= 0x01; // same length, one bit wrong
            }
            out.write(sent);
        }
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/data/";
    }


    /** The environment pointing a dataset's downloads at the loopback server, with the served files' sums. */
    private Map<String, String> env(String key) {
        StringBuilder sums = new StringBuilder();
        for (String f : GZ_FILES) {
            sums.append(sums.length() == 0 ? "" : ",").append(f).append('=').append(sha256(served.get(f)));
        }
        return Map.of("DENDRITE_" + key + "_URL", baseUrl(), "DENDRITE_" + key + "_SHA256", sums.toString());
    }

    private static Map<String, String> with(Map<String, String> env, String k, String v) {
        Map<String, String> m = new HashMap<>(env);
        m.put(k, v);
        return m;
    }

    private IdxDownloader mnistDownloader(Map<String, String> env) {
        IdxDownloader d = Mnist.downloader(env, k -> null, progress);
        assertTrue(d.baseUrl().startsWith("http://127.0.0.1:"), "tests only ever contact the loopback server");
        return d;
    }

    private Path home() {
        return tmp.resolve("home");
    }

    private Path mnistDir() {
        return home().resolve(".dendrite/datasets/mnist");
    }



    @Test
    void goodDownloadIsCheckedSavedAndReused() throws IOException {
        Map<String, String> env = env("MNIST");
        TrainTest t = Mnist.load(env, home(), mnistDownloader(env));
        assertEquals(40, t.train().size());
        assertEquals(20, t.test().size());
        assertEquals("MNIST from " + mnistDir() + " (downloaded from " + baseUrl() + "): 40 train, 20 test",
                t.source());
        assertEquals(List.of(GZ_FILES[2], GZ_FILES[3], GZ_FILES[0], GZ_FILES[1]), filesIn(mnistDir()),
                "the four files and nothing else (no temporary files)");
        for (String f : GZ_FILES) {
            assertEquals(sha256(served.get(f)), sha256(Files.readAllBytes(mnistDir().resolve(f))), f);
        }
        String shown = progressBytes.toString(StandardCharsets.UTF_8);
        assertMentions(shown, "Downloading MNIST from " + baseUrl(), "DENDRITE_OFFLINE=1", "100%", " ok",
                GZ_FILES[0], GZ_FILES[3]);
        assertEquals(4, requests.get());

        TrainTest again = Mnist.load(env, home(), mnistDownloader(env));
        assertEquals(40, again.train().size());
        assertEquals(4, requests.get(), "the saved copy is used, nothing is fetched again");
    }

    @Test
    void damagedHomeCopyIsReplacedByTheDownload() throws IOException {
        // A damaged unpacked file makes the home copy unusable; the download must be read, not that file.
        IdxFiles.write(mnistDir().resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 3, 0});
        Map<String, String> env = env("MNIST");
        TrainTest t = Mnist.load(env, home(), mnistDownloader(env));
        assertEquals(40, t.train().size());
        assertMentions(t.source(), "downloaded from " + baseUrl(), "skipped " + mnistDir(), "lacks train-labels-idx1-ubyte");
    }

    @Test
    void unknownLengthIsCheckedByItsSum() throws IOException {
        for (String f : GZ_FILES) {
            damage.put(f, "chunked");
        }
        Map<String, String> env = env("MNIST");
        assertEquals(40, Mnist.load(env, home(), mnistDownloader(env)).train().size());
        assertMentions(progressBytes.toString(StandardCharsets.UTF_8), GZ_FILES[0], " MB", " ok");
    }

    @Test
    void truncatedDownloadLeavesNoFileAndSaysWhatToDo() throws IOException {
        damage.put(GZ_FILES[2], "truncate");
        Map<String, String> env = env("MNIST");
        IOException e = assertThrows(IOException.class, () -> Mnist.load(env, home(), mnistDownloader(env)));
        assertMentions(e.getMessage(), "MNIST was not found", "downloading " + GZ_FILES[2] + " from "
                + baseUrl() + GZ_FILES[2] + " failed", "of " + served.get(GZ_FILES[2]).length + " bytes",
                "Nothing partial was kept", "by hand", mnistDir().toString(), "DENDRITE_DATA", "Mnist.load(Path)");
        assertFalse(filesIn(mnistDir()).contains(GZ_FILES[2]));
        assertTrue(filesIn(mnistDir()).stream().noneMatch(f -> f.contains("tmp")), filesIn(mnistDir()).toString());

        // Once the server is fixed, the next load fetches only what is missing.
        damage.clear();
        int before = requests.get();
        assertEquals(40, Mnist.load(env, home(), mnistDownloader(env)).train().size());
        assertEquals(before + 2, requests.get(), "the two verified files were kept");
    }

    @Test
    void corruptedDownloadIsDiscarded() throws IOException {
        damage.put(GZ_FILES[0], "corrupt");
        Map<String, String> env = env("MNIST");
        IOException e = assertThrows(IOException.class, () -> Mnist.load(env, home(), mnistDownloader(env)));
        assertMentions(e.getMessage(), "downloading " + GZ_FILES[0], "SHA-256", "expected "
                + sha256(served.get(GZ_FILES[0])), "discarded", "Nothing partial was kept", "by hand");
        assertEquals(List.of(), filesIn(mnistDir()), "no file, no temporary file");
    }

    @Test
    void publishedChecksumsRejectOtherFiles() {
        // Without the test's own sums, the published ones apply, and the test's files do not match them.
        Map<String, String> env = Map.of("DENDRITE_MNIST_URL", baseUrl());
        IOException e = assertThrows(IOException.class, () -> Mnist.load(env, home(), mnistDownloader(env)));
        assertMentions(e.getMessage(), "expected 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609");
    }

    @Test
    void serverDownIsReportedAsOffline() throws IOException {
        Map<String, String> env = env("MNIST");
        IdxDownloader d = mnistDownloader(env);
        server.stop(0);
        IOException e = assertThrows(IOException.class, () -> Mnist.load(env, home(), d));
        assertMentions(e.getMessage(), "could not be reached", "offline", baseUrl() + GZ_FILES[0],
                "by hand", mnistDir().toString());
        assertFalse(e.getMessage().contains("?.") || e.getMessage().contains(".."), e.getMessage());
        assertEquals(List.of(), filesIn(mnistDir()));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0); // for @AfterEach
    }

    @Test
    void offlineSettingsPreventAnyRequest() {
        for (Map<String, String> env : List.of(with(env("MNIST"), "DENDRITE_OFFLINE", "1"),
                with(env("MNIST"), "CI", "true"))) {
            IdxDownloader d = mnistDownloader(env);
            assertFalse(d.enabled());
            IOException e = assertThrows(IOException.class, () -> Mnist.load(env, home(), d));
            assertMentions(e.getMessage(), "Downloads are off", "does not download", "by hand", baseUrl());
        }
        assertTrue(mnistDownloader(with(with(env("MNIST"), "CI", "true"), "DENDRITE_OFFLINE", "0")).enabled(),
                "an explicit DENDRITE_OFFLINE=0 allows downloads under CI");
        assertFalse(Mnist.downloader(env("MNIST"), k -> k.equals("dendrite.offline") ? "true" : null, progress)
                .enabled(), "the system property works like the variable");
        assertEquals(0, requests.get());
    }

    @Test
    void badSettingsAreNamed() {
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> mnistDownloader(with(env("MNIST"), "DENDRITE_OFFLINE", "maybe"))).getMessage(),
                "DENDRITE_OFFLINE", "maybe");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> Mnist.downloader(Map.of("DENDRITE_MNIST_URL", "ftp://127.0.0.1/x/"), k -> null, progress))
                .getMessage(), "DENDRITE_MNIST_URL", "ftp://127.0.0.1/x/", "http");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> Mnist.downloader(Map.of("DENDRITE_MNIST_SHA256", "train.gz=abc"), k -> null, progress))
                .getMessage(), "train.gz=abc", "64 hex digits");
    }

    @Test
    void fashionMnistDownloadsBeforeTheSample() throws IOException {
        Map<String, String> env = env("FASHION_MNIST");
        IdxDownloader d = FashionMnist.downloader(env, k -> null, progress);
        assertTrue(d.baseUrl().startsWith("http://127.0.0.1:"));
        Path system = tmp.resolve("no-system-package");
        TrainTest t = FashionMnist.load(env, home(), system, d);
        Path dir = home().resolve(".dendrite/datasets/fashion-mnist");
        assertEquals("Fashion-MNIST from " + dir + " (downloaded from " + baseUrl() + "): 40 train, 20 test",
                t.source());
    }

    @Test
    void fashionMnistFallsBackToTheSampleSayingWhy() throws IOException {
        damage.put(GZ_FILES[1], "corrupt");
        Map<String, String> env = env("FASHION_MNIST");
        IdxDownloader d = FashionMnist.downloader(env, k -> null, progress);
        TrainTest t = FashionMnist.load(env, home(), tmp.resolve("no-system-package"), d);
        assertEquals(3000, t.train().size());
        assertMentions(t.source(), "bundled sample", "downloading " + GZ_FILES[1], "SHA-256", "by hand");
        assertMentions(progressBytes.toString(StandardCharsets.UTF_8), "Using the bundled sample instead");
        assertFalse(filesIn(home().resolve(".dendrite/datasets/fashion-mnist")).contains(GZ_FILES[1]));
    }
}
