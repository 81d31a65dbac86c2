package dev.dendrite.io;

import dev.dendrite.backend.DType;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format, so that
 * Dendrite weights open directly in NumPy, PyTorch and other tools. The layout:
 * <ol>
 * <li>8 bytes: {@code N}, the header size, an unsigned little-endian 64-bit integer;</li>
 * <li>{@code N} bytes: the header, a UTF-8 JSON object
 *     {@code {"__metadata__": {"k": "v", ...}, "<name>": {"dtype": "F32", "shape": [2, 3],
 *     "data_offsets": [begin, end]}, ...}}, padded at the end with spaces;</li>
 * <li>the data buffer: every tensor's elements, row-major and little-endian, at {@code [begin, end)} relative to
 *     the start of the buffer. Tensors cover the buffer exactly: no holes, no overlaps, nothing after the last.</li>
 * </ol>
 *
 * <p>Written files put {@code __metadata__} first (omitted when empty), then the tensors in the map's iteration
 * order with ascending, contiguous offsets, and pad the header so the data buffer starts at a multiple of 8
 * bytes. Supported dtypes: {@code F32}, {@code I32} and {@code U8}.
 *
 * <p>Reading validates everything before returning anything; each problem is an {@link IOException} whose message
 * names the file, the tensor where there is one, and what was expected. Limits: the header at most
 * {@link ReadLimits#maxSafetensorsHeaderBytes()} bytes (by default {@value #MAX_HEADER_BYTES}, as in the
 * reference implementation) and holding no more JSON values than its data section can justify (counted before
 * it is parsed; see {@code checkValueCount}), a tensor at most {@value #MAX_TENSOR_BYTES} bytes (one Java array), and every
 * tensor inside the file: nothing is allocated for a tensor before its offsets are checked against the file's
 * size, so a small file cannot make the reader allocate more than it holds.
 */
public final class Safetensors {
    /** Largest header accepted or written; the reference implementation uses the same bound. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Largest tensor data accepted or written, in bytes: the largest Java array the JVM reliably allocates. */
    public static final int MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;
    /** Header key of the free-form string-to-string map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Largest integer a double (hence a parsed JSON number) holds exactly. */
    private static final long MAX_EXACT_DOUBLE = 1L << 53;
    private static final int CHUNK_BYTES = 1 << 16;
    /** Tensors a header may declare beyond one per data byte: empty tensors need no data. */
    static final int EMPTY_TENSORS_ALLOWED = 1024;
    /** Most dimensions a tensor may have: NumPy's limit (NPY_MAXDIMS, since NumPy 2.0). */
    static final int MAX_RANK = 64;
    /** JSON values (names included) of one tensor entry at most: name, object, 3 keys, dtype, shape, offsets. */
    static final int VALUES_PER_ENTRY = 10 + MAX_RANK;
    /** Most {@code __metadata__} pairs; Dendrite writes three, the reference implementation no more than a few. */
    static final int MAX_METADATA_PAIRS = 65_536;

    private Safetensors() {
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Atomically writes F32 {@code tensors} (in iteration order: pass a {@link LinkedHashMap}) and
     * {@code metadata} to {@code file}. On failure the previous file, if any, is unchanged.
     *
     * @param metadata string pairs stored under {@code __metadata__}; {@code null} or empty for none
     * @throws IllegalArgumentException before touching the file, if a name is null or {@code __metadata__}, a
     *                                  tensor or metadata entry is null, a string cannot be encoded (unpaired
     *                                  surrogate), or the header or a tensor exceeds the limits
     * @throws IOException              if writing fails
     */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        List<Source> sources = new ArrayList<>(tensors.size());
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            TensorData t = requireTensor(e.getKey(), e.getValue());
            sources.add(new Source(e.getKey(), DType.F32, t.shape(), t.valuesNoCopy(), null));
        }
        write(file, sources, metadata);
    }

    /**
     * Like {@link #write(Path, Map, Map)} for tensors of any supported dtype. Tensors are laid out in iteration
     * order with no padding between them (the format allows none), so a tensor after a U8 tensor of odd size is
     * not aligned to its element size; readers that copy (NumPy, {@code safetensors.numpy.load_file}) do not mind,
     * but zero-copy readers may. Put wider dtypes first to keep every tensor aligned.
     *
     * @throws IllegalArgumentException as for {@link #write(Path, Map, Map)}
     * @throws IOException              if writing fails
     */
    public static void writeStored(Path file, Map<String, StoredTensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<Source> sources = new ArrayList<>(tensors.size());
        for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
            StoredTensor t = requireTensor(e.getKey(), e.getValue());
            sources.add(new Source(e.getKey(), t.dtype(), t.shape(), null, t.bytesNoCopy()));
        }
        write(file, sources, metadata);
    }

    /** A tensor to write: F32 from {@code floats}, or any dtype from little-endian {@code bytes}. */
    private record Source(String name, DType dtype, int[] shape, float[] floats, byte[] bytes) {
        long byteSize() {
            return bytes != null ? bytes.length : (long) floats.length * DType.F32.bytes();
        }
    }

    private static <T> T requireTensor(String name, T tensor) {
        if (name == null) {
            throw new IllegalArgumentException("tensor name is null; expected a string");
        }
        if (name.equals(METADATA_KEY)) {
            throw new IllegalArgumentException("tensor name \"" + METADATA_KEY
                    + "\" is reserved for the metadata; expected another name");
        }
        if (tensor == null) {
            throw new IllegalArgumentException("tensor '" + name + "' is null; expected its data");
        }
        return tensor;
    }

    private static void write(Path file, List<Source> sources, Map<String, String> metadata) throws IOException {
        byte[] header = header(sources, metadata);
        long dataBytes = 0;
        for (Source s : sources) {
            dataBytes += s.byteSize();
        }
        long expectedTotal = 8 + header.length + dataBytes;
        AtomicFiles.write(file, out -> {
            CountingStream counted = new CountingStream(out);
            byte[] len = new byte[8];
            ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            counted.write(len);
            counted.write(header);
            for (Source s : sources) {
                if (s.bytes != null) {
                    counted.write(s.bytes);
                } else {
                    writeFloats(counted, s.floats);
                }
            }
            // The offsets in the header were computed from the sizes; a mismatch would be a corrupt file.
            if (counted.count != expectedTotal) {
                throw new IllegalStateException("wrote " + counted.count + " bytes to " + file + "; expected "
                        + expectedTotal);
            }
        });
    }

    /** The header bytes, space-padded to a multiple of 8 so the data buffer starts 8-byte aligned. */
    private static byte[] header(List<Source> sources, Map<String, String> metadata) {
        Map<String, Object> h = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata entry " + e.getKey() + "=" + e.getValue()
                            + " has a null; expected string keys and values");
                }
            }
            h.put(METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Source s : sources) {
            long size = s.byteSize();
            if (size > MAX_TENSOR_BYTES) {
                throw new IllegalArgumentException("tensor '" + s.name + "' has " + size + " bytes; expected at most "
                        + MAX_TENSOR_BYTES);
            }
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", s.dtype.name());
            info.put("shape", s.shape);
            info.put("data_offsets", List.of(offset, offset + size));
            h.put(s.name, info);
            offset += size;
        }
        byte[] json = Json.write(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header would take " + padded + " bytes; expected at most "
                    + MAX_HEADER_BYTES + " (too many tensors or too much metadata)");
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeFloats(OutputStream out, float[] v) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = CHUNK_BYTES / Float.BYTES;
        for (int i = 0; i < v.length; i += perChunk) {
            int n = Math.min(perChunk, v.length - i);
            buf.clear();
            buf.asFloatBuffer().put(v, i, n);
            out.write(buf.array(), 0, n * Float.BYTES);
        }
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads and fully validates {@code file}.
     *
     * @return the metadata and every tensor, in header order
     * @throws IOException if the file cannot be read or is not a valid safetensors file of supported dtypes; the
     *                     message names the file, the tensor, and what is wrong
     */
    public static SafetensorsFile read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw bad(file, "file is " + fileSize + " bytes; expected at least 8 (the header size)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file, "the header size");
            long n = lenBuf.getLong(0); // unsigned: a negative long means >= 2^63
            long available = fileSize - 8;
            if (n < 0 || n > available) {
                throw bad(file, "header size " + Long.toUnsignedString(n) + " exceeds the " + available
                        + " bytes after it; expected at most that (truncated file, or not safetensors)");
            }
            long maxHeader = Math.min(ReadLimits.maxSafetensorsHeaderBytes(), MAX_TENSOR_BYTES);
            if (n > maxHeader) {
                throw bad(file, "header size " + n + " is absurd; expected at most " + maxHeader + " ("
                        + ReadLimits.howToRaise(ReadLimits.MAX_SAFETENSORS_HEADER_BYTES) + ")");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, file, "the header");
            long dataStart = 8 + n;
            long dataSize = fileSize - dataStart;
            checkValueCount(file, headerBuf.array(), dataSize);
            Map<String, Object> header = parseHeader(file, headerBuf);

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Object> e : header.entrySet()) {
                if (e.getKey().equals(METADATA_KEY)) {
                    metadata = metadata(file, e.getValue());
                } else {
                    entries.add(entry(file, e.getKey(), e.getValue(), dataSize));
                }
            }
            checkLayout(file, entries, dataSize);

            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            for (Entry en : entries) {
                ByteBuffer data = ByteBuffer.allocate((int) (en.end - en.begin));
                readFully(ch, data, dataStart + en.begin, file, "tensor '" + en.name + "'");
                tensors.put(en.name, StoredTensor.trusted(en.dtype, en.shape, data.array()));
            }
            return new SafetensorsFile(file, metadata, tensors);
        }
    }

    /** A validated header entry. */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    }

    /**
     * Bounds the memory the parsed header may take before it is built: a parsed JSON value costs tens of bytes of
     * heap however short its text ({@code 0,} is two bytes, a {@code Double} and a list slot about 24), so a
     * crafted header of the allowed size could otherwise take gigabytes. One pass over the bytes, allocating
     * nothing, counts the top-level members (tensor entries, or more) and every JSON value and member name; a
     * header may hold at most {@value #EMPTY_TENSORS_ALLOWED} more tensor entries than its data section has
     * bytes (every non-empty tensor needs at least one), and at most {@value #VALUES_PER_ENTRY} values per entry
     * (dtype, a shape of up to {@value #MAX_RANK} dimensions, data_offsets) plus two per {@code __metadata__}
     * pair, up to {@value #MAX_METADATA_PAIRS} pairs. Valid headers always pass; JSON errors are left to the
     * parser, which names them. Headers within these bounds (every valid one we know of) pass.
     */
    private static void checkValueCount(Path file, byte[] h, long dataSize) throws IOException {
        long topLevelNames = 0;
        long values = 0;
        int depth = 0;
        boolean inString = false;
        byte prev = ' ';
        for (int i = 0; i < h.length; i++) {
            byte c = h[i];
            if (inString) {
                if (c == '\\') {
                    i++; // the escaped character cannot end the string
                } else if (c == '"') {
                    inString = false;
                }
                prev = c;
                continue;
            }
            switch (c) {
                case '"' -> {
                    inString = true;
                    values++;
                    if (depth == 1) {
                        topLevelNames++;
                    }
                }
                case '{', '[' -> {
                    if (++depth > Json.MAX_DEPTH) {
                        return; // the parser rejects it at this depth, naming the nesting, before building more
                    }
                    values++;
                }
                case '}', ']' -> depth--;
                default -> {
                    boolean number = (c >= '0' && c <= '9') || c == '-';
                    boolean inNumber = (prev >= '0' && prev <= '9') || prev == '-' || prev == '+' || prev == '.'
                            || prev == 'e' || prev == 'E';
                    boolean letter = c >= 'a' && c <= 'z';
                    if ((number && !inNumber) || (letter && !(prev >= 'a' && prev <= 'z'))) {
                        values++;
                    }
                }
            }
            prev = c;
        }
        long entries = Math.min(topLevelNames, dataSize + EMPTY_TENSORS_ALLOWED + 1);
        if (topLevelNames > entries) {
            throw bad(file, "header has " + topLevelNames + " top-level entries, but the " + dataSize
                    + "-byte data section holds at most " + dataSize + " non-empty tensors; expected at most "
                    + (entries - 1) + " tensors (" + EMPTY_TENSORS_ALLOWED + " may be empty) and " + METADATA_KEY);
        }
        long maxValues = 16 + VALUES_PER_ENTRY * entries + 2L * MAX_METADATA_PAIRS;
        if (values > maxValues) {
            throw bad(file, "header holds " + values + " JSON values for " + topLevelNames + " top-level entries;"
                    + " expected at most " + maxValues + " (" + VALUES_PER_ENTRY + " per tensor: dtype, a shape of up"
                    + " to " + MAX_RANK + " dimensions and data_offsets; 2 per " + METADATA_KEY + " pair, up to "
                    + MAX_METADATA_PAIRS + " pairs)");
        }
    }

    private static Map<String, Object> parseHeader(Path file, ByteBuffer headerBuf) throws IOException {
        String text;
        try {
            // Strict decoding: the JDK's default replaces bad bytes with U+FFFD, silently changing names.
            // Checked through a small buffer, then decoded once: decode() would hold a char copy of the whole
            // header (twice its bytes) besides the String.
            CharsetDecoder check = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer in = headerBuf.duplicate().flip();
            CharBuffer out = CharBuffer.allocate(CHUNK_BYTES);
            CoderResult r;
            do {
                r = check.decode(in, out.clear(), true);
                if (r.isError()) {
                    r.throwException();
                }
            } while (r.isOverflow());
            while (check.flush(out.clear()).isOverflow()) {
                out.clear();
            }
            text = new String(headerBuf.array(), 0, headerBuf.position(), StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw bad(file, "header is not valid UTF-8 (" + e.getMessage() + "); expected UTF-8 JSON");
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (JsonException e) {
            // The offset is in characters of the header, which starts at byte 8 of the file.
            throw bad(file, "header (at byte 8) is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map)) {
            throw bad(file, "header is " + describe(parsed) + "; expected a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) parsed;
        return map;
    }

    private static Map<String, String> metadata(Path file, Object value) throws IOException {
        if (!(value instanceof Map<?, ?> m)) {
            throw bad(file, METADATA_KEY + " is " + describe(value) + "; expected an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw bad(file, METADATA_KEY + " value of \"" + e.getKey() + "\" is " + describe(e.getValue())
                        + "; expected a string");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static Entry entry(Path file, String name, Object value, long dataSize) throws IOException {
        if (!(value instanceof Map<?, ?> info)) {
            throw bad(file, name, "entry is " + describe(value)
                    + "; expected an object with dtype, shape and data_offsets");
        }
        for (Object key : info.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw bad(file, name, "unexpected key \"" + key + "\"; expected only dtype, shape and data_offsets");
            }
        }
        DType dtype = dtype(file, name, info.get("dtype"));
        int[] shape = shape(file, name, info.get("shape"));

        Object offsets = info.get("data_offsets");
        if (!(offsets instanceof List<?> list) || list.size() != 2) {
            throw bad(file, name, "data_offsets is " + describe(offsets) + "; expected [begin, end]");
        }
        long begin = nonNegativeInteger(file, name, "data_offsets[0]", list.get(0), MAX_EXACT_DOUBLE);
        long end = nonNegativeInteger(file, name, "data_offsets[1]", list.get(1), MAX_EXACT_DOUBLE);
        if (end < begin) {
            throw bad(file, name, "data_offsets [" + begin + ", " + end + "] end before they begin; expected "
                    + "begin <= end");
        }
        if (end > dataSize) {
            throw bad(file, name, "data_offsets [" + begin + ", " + end + "] reach past the " + dataSize
                    + "-byte data buffer; expected end <= " + dataSize + " (truncated file?)");
        }

        long count = 1;
        for (int d : shape) {
            count *= d; // d < 2^31 and count <= MAX_TENSOR_BYTES before: no long overflow
            if (count * dtype.bytes() > MAX_TENSOR_BYTES) {
                throw bad(file, name, "shape " + Arrays.toString(shape) + " of " + dtype
                        + " needs more than " + MAX_TENSOR_BYTES + " bytes; expected a tensor that fits a Java array");
            }
        }
        long need = count * dtype.bytes();
        if (end - begin != need) {
            throw bad(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes; expected " + need + " (shape " + Arrays.toString(shape) + " of " + dtype + ")");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static DType dtype(Path file, String name, Object v) throws IOException {
        if (!(v instanceof String s)) {
            throw bad(file, name, "dtype is " + describe(v) + "; expected a string such as \"F32\"");
        }
        return switch (s) {
            case "F32" -> DType.F32;
            case "I32" -> DType.I32;
            case "U8" -> DType.U8;
            default -> throw bad(file, name, "dtype \"" + s + "\" is not supported; expected F32, I32 or U8");
        };
    }

    private static int[] shape(Path file, String name, Object v) throws IOException {
        if (!(v instanceof List<?> list)) {
            throw bad(file, name, "shape is " + describe(v) + "; expected an array of dimensions");
        }
        int[] shape = new int[list.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (int) nonNegativeInteger(file, name, "shape[" + i + "]", list.get(i), Integer.MAX_VALUE);
        }
        return shape;
    }

    private static long nonNegativeInteger(Path file, String name, String what, Object v, long max)
            throws IOException {
        if (v instanceof Double d && d >= 0 && d <= max && d == Math.rint(d)) {
            return d.longValue();
        }
        throw bad(file, name, what + " is " + describe(v) + "; expected an integer from 0 to " + max);
    }

    /** Tensors must tile the data buffer exactly: sorted by offset, each begins where the previous ends. */
    private static void checkLayout(Path file, List<Entry> entries, long dataSize) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw bad(file, e.name, "data_offsets [" + e.begin + ", " + e.end + "] overlap tensor '" + prev.name
                        + "' at [" + prev.begin + ", " + prev.end + "]; expected it to begin at " + expected);
            }
            if (e.begin > expected) {
                throw bad(file, e.name, "data_offsets [" + e.begin + ", " + e.end + "] leave a hole of "
                        + (e.begin - expected) + " bytes before it; expected it to begin at " + expected
                        + " (tensors must cover the data buffer without gaps)");
            }
            expected = e.end;
            prev = e;
        }
        if (expected != dataSize) {
            throw bad(file, "data buffer has " + dataSize + " bytes but the tensors cover " + expected
                    + "; expected exactly that many (" + (dataSize - expected) + " stray bytes at the end)");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file, String what)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                // Only if the file shrank after we measured it: sizes were validated against ch.size().
                throw new EOFException(file + ": unexpected end of file at byte " + pos + " while reading " + what);
            }
            pos += r;
        }
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List<?> l) {
            return "an array of " + l.size() + (l.size() == 1 ? " element" : " elements");
        }
        String json = Json.write(v);
        return (v instanceof String ? "the string " : v instanceof Boolean ? "" : "the number ")
                + (json.length() > 60 ? json.substring(0, 60) + "..." : json);
    }

    private static IOException bad(Path file, String what) {
        return new IOException(file + ": " + what);
    }

    private static IOException bad(Path file, String tensor, String what) {
        return new IOException(file + ": tensor '" + tensor + "': " + what);
    }
}
