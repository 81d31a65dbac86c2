package dev.dendrite.io;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Proves the files are real safetensors by reading them with an independent reader: a few lines of Python using
 * only struct, json and numpy (not the safetensors package, so the test needs nothing beyond numpy), and the
 * other way round, reading a file that NumPy wrote. Where the {@code safetensors} Python package happens to be
 * installed, the reference implementation reads our file too. Each test is skipped, with the reason, where its
 * Python modules are absent.
 */
class NumpyInteropTest {
    @TempDir
    Path dir;

    private static String unavailable;
    private static String noReferencePackage;

    /**
     * Reads argv[1] as safetensors (checking padding and contiguity) and prints its tensors as raw bits; writes
     * argv[2] as safetensors from NumPy arrays (unpadded header, json.dumps' spacing and \\u escapes).
     */
    private static final String SCRIPT = """
            import sys, struct, json
            import numpy as np
            src, dst = sys.argv[1], sys.argv[2]
            DT = {"F32": "<f4", "I32": "<i4", "U8": "u1"}
            raw = open(src, "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            assert n % 8 == 0 and raw[8 + n - 1:8 + n] in (b" ", b"}"), n
            header = json.loads(raw[8:8 + n].decode("utf-8"))
            meta = header.pop("__metadata__", {})
            buf = raw[8 + n:]
            out = {"metadata": meta, "names": list(header), "tensors": {}}
            end = 0
            for name, info in header.items():
                b, e = info["data_offsets"]
                assert b == end, (name, b, end)
                arr = np.frombuffer(buf[b:e], dtype=DT[info["dtype"]]).reshape(info["shape"])
                end = e
                bits = arr.view("<u4") if info["dtype"] == "F32" else arr
                out["tensors"][name] = {"dtype": info["dtype"], "shape": list(arr.shape),
                                        "values": [int(x) for x in bits.ravel()]}
            assert end == len(buf), (end, len(buf))
            a = ((np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 3).astype("<f4")
            c = np.array([-7, 2**31 - 1], dtype="<i4")
            hdr = {"py/c": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]},
                   "py/a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [8, 32]},
                   "__metadata__": {"from": "numpy \\u00e9"}}
            hb = json.dumps(hdr).encode("utf-8")
            with open(dst, "wb") as fh:
                fh.write(struct.pack("<Q", len(hb)) + hb + c.tobytes() + a.tobytes())
            out["written_a_bits"] = [int(x) for x in a.view("<u4").ravel()]
            print(json.dumps(out))
            """;

    /** Loads argv[1] with the reference implementation and prints metadata and F32 bits. */
    private static final String REFERENCE_SCRIPT = """
            import sys, json
            from safetensors import safe_open
            from safetensors.numpy import load_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], "np") as f:
                meta = f.metadata()
            print(json.dumps({"metadata": meta, "tensors": {k: {"shape": list(v.shape),
                  "values": [int(x) for x in v.view("<u4").ravel()]} for k, v in tensors.items()}}))
            """;

    @BeforeAll
    static void probePython() {
        noReferencePackage = probe("import safetensors.numpy");
        unavailable = probe("import numpy");
    }

    /** Null if python3 runs {@code code}, else why not. */
    private static String probe(String code) {
        try {
            Process p = new ProcessBuilder("python3", "-c", code).redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "python3 -c '" + code + "' did not finish in 60 s";
            }
            if (p.exitValue() != 0) {
                String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .strip().split("\n");
                return "python3 cannot " + code + " (" + lines[lines.length - 1] + ")"; // the traceback's last line
            }
            return null;
        } catch (IOException e) {
            return "python3 not found: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing python3";
        }
    }

    /** Runs {@code script} with {@code args}, returning its stdout parsed as JSON; fails the test if it fails. */
    private static Map<?, ?> runPython(String script, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", "-c", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        // The output is small and stderr is empty unless the script fails, so reading stdout to the end first
        // cannot deadlock on a full stderr pipe.
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), () -> "python3 failed:\n" + stderr);
        return (Map<?, ?>) Json.parse(stdout.strip());
    }

    private static LinkedHashMap<String, TensorData> sampleWeights() {
        float[] kernel = {0.1f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1e-40f};
        LinkedHashMap<String, TensorData> w = new LinkedHashMap<>();
        w.put("dense/kernel", new TensorData(new int[] {3, 2}, kernel));
        w.put("dense/bias", new TensorData(new int[] {2}, new float[] {1.5f, -2}));
        w.put("scalar/x", new TensorData(new int[] {}, new float[] {7}));
        return w;
    }

    private static final String CONFIG = "{\"name\":\"caf\u00e9 \u2603\",\"units\":[3,2]}";

    /** The metadata and tensors {@code out} reports equal what was written, bit for bit. */
    private static void assertSameModel(Map<?, ?> out, LinkedHashMap<String, TensorData> w) {
        assertEquals(Map.of("format", "dendrite-model", "format_version", "1", "dendrite_config", CONFIG),
                out.get("metadata"));
        Map<?, ?> tensors = (Map<?, ?>) out.get("tensors");
        assertEquals(w.keySet(), tensors.keySet());
        for (Map.Entry<String, TensorData> e : w.entrySet()) {
            Map<?, ?> t = (Map<?, ?>) tensors.get(e.getKey());
            if (t.containsKey("dtype")) {
                assertEquals("F32", t.get("dtype"), e.getKey());
            }
            int[] shape = e.getValue().shape();
            List<?> pyShape = (List<?>) t.get("shape");
            assertEquals(shape.length, pyShape.size(), e.getKey());
            for (int i = 0; i < shape.length; i++) {
                assertEquals(shape[i], ((Double) pyShape.get(i)).intValue(), e.getKey());
            }
            List<?> bits = (List<?>) t.get("values");
            assertEquals(e.getValue().size(), bits.size(), e.getKey());
            for (int i = 0; i < e.getValue().size(); i++) {
                int expected = Float.floatToRawIntBits(e.getValue().get(i));
                assertEquals(Integer.toUnsignedLong(expected), ((Double) bits.get(i)).longValue(),
                        e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void referenceSafetensorsPackageReadsOurFiles() throws Exception {
        assumeTrue(noReferencePackage == null, () -> "not checked against the reference reader: "
                + noReferencePackage);
        Path ours = dir.resolve("model.safetensors");
        ModelFile.write(ours, CONFIG, sampleWeights());
        assertSameModel(runPython(REFERENCE_SCRIPT, ours.toString()), sampleWeights());
    }

    @Test
    void numpyReadsOurFilesAndWeReadNumpys() throws Exception {
        assumeTrue(unavailable == null, () -> "interoperability not checked: " + unavailable);

        Path ours = dir.resolve("model.safetensors");
        Path theirs = dir.resolve("numpy.safetensors");
        LinkedHashMap<String, TensorData> w = sampleWeights();
        ModelFile.write(ours, CONFIG, w);

        Map<?, ?> out = runPython(SCRIPT, ours.toString(), theirs.toString());
        assertEquals(List.of("dense/kernel", "dense/bias", "scalar/x"), out.get("names"), "header order");
        assertSameModel(out, w);

        SafetensorsFile back = Safetensors.read(theirs);
        assertEquals(List.of("py/c", "py/a"), back.names());
        assertEquals(Map.of("from", "numpy \u00e9"), back.metadata());
        assertEquals(List.of(-7, Integer.MAX_VALUE),
                List.of(back.stored().get("py/c").toInts()[0], back.stored().get("py/c").toInts()[1]));
        TensorData a = back.tensor("py/a");
        assertEquals(List.of(2, 3), List.of(a.dim(0), a.dim(1)));
        List<?> aBits = (List<?>) out.get("written_a_bits");
        for (int i = 0; i < 6; i++) {
            assertEquals(((Double) aBits.get(i)).longValue(), Integer.toUnsignedLong(Float.floatToRawIntBits(a.get(i))));
            assertEquals((i - 2.5f) / 3, a.get(i), 1e-7f);
        }
    }
}
