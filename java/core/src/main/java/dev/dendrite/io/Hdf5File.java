package dev.dendrite.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A minimal read-only HDF5 reader, written from the HDF5 File Format Specification (version 3.0), for the
 * {@code model.weights.h5} file that Keras 3 writes inside a {@code .keras} zip, other small files of plain
 * numeric datasets, and the attributes of Keras's legacy HDF5 model files ({@code model.save("m.h5")}: the model's
 * configuration JSON, layer and weight names).
 *
 * <h2>What it reads</h2>
 * <ul>
 * <li>Superblock versions 0 and 1 (what h5py writes by default) and 2 and 3 ({@code libver="latest"}), found at
 *     offset 0 or 512, 1024, 2048, ... (after a user block); sizes of offsets and lengths of 4 or 8 bytes.</li>
 * <li>Object headers of version 1 and 2 with their continuation blocks. Checksums of version 2 structures are
 *     not verified: every offset is bounds-checked instead, so damage gives an exception or wrong values, never
 *     a read outside the file.</li>
 * <li>Old-style groups (symbol table, version 1 B-tree, symbol table nodes and local heap) and new-style compact
 *     groups (link messages). Only hard links are followed; a soft or external link is an error, as is dense
 *     link storage (a fractal heap, which HDF5 uses for groups of more than 8 links in new-style groups).</li>
 * <li>Datasets with a fixed-point (1, 2, 4 or 8 bytes, signed or unsigned) or IEEE floating-point (4 or 8 bytes)
 *     datatype of either byte order, a scalar, simple or null dataspace, and compact or contiguous storage.
 *     Values are converted to float32 as a C cast would (round to nearest). A null dataspace reads as shape
 *     {@code [0]}.</li>
 * <li>Attributes ({@link #readAttributes}) of groups and datasets, in attribute messages of versions 1 to 3:
 *     strings (fixed-length of any padding, or variable-length, their bytes in a global heap collection; ASCII
 *     or UTF-8, both decoded as UTF-8, as Keras decodes h5py's byte strings) and the numeric datatypes above.
 *     Attributes of other datatypes (compounds, references, enums, variable-length sequences, numeric layouts
 *     not listed above) and those with a shared datatype or dataspace are skipped, so that a file keeps
 *     reading.</li>
 * </ul>
 *
 * <h2>What it refuses</h2>
 * Chunked storage (HDF5 stores every compressed or resizable dataset chunked), filter pipelines, external
 * storage, datasets never written (their values are only a fill value, which a weights file never holds), other
 * datatype classes (strings, compounds, enums such as h5py's booleans, ...) and shared (committed) datatypes for
 * datasets, and dense attribute storage (an attribute info message naming a fractal heap, which HDF5 uses for
 * more than 8 attributes or large ones in new-style object headers): {@link #readAttributes} refuses it rather
 * than return some attributes silently. {@link #readDatasets} skips attributes, whatever they hold. Every
 * refusal and every malformed structure is an {@link IOException} naming the file, the offset and what was
 * expected there.
 *
 * <h2>Hostile input</h2>
 * Nothing in the file is trusted: offsets and lengths are checked against the array before use, the element
 * count of a dataset against the bytes it has, B-tree nodes, continuation blocks and groups on the current path
 * are remembered so cycles end in an error (a group linking to an ancestor is not followed), and at most
 * {@value #MAX_OBJECTS} objects are visited, so a file of links that fan out cannot make reading take forever.
 * Each attribute value counts as one such object, and the strings of all attributes together hold at most
 * {@value #MAX_STRING_BYTES} bytes, so that heap objects referenced many times cannot fill memory.
 */
public final class Hdf5File {
    /** Objects (headers, B-tree nodes, symbol nodes, header blocks) visited before reading gives up. */
    static final int MAX_OBJECTS = 1_000_000;
    /** Deepest group nesting followed: bounds recursion. */
    private static final int MAX_DEPTH = 512;
    /** Total characters of the paths built: bounds time and memory for a file of many links with long names. */
    private static final long MAX_PATH_CHARS = 1L << 26;
    /** Longest link name accepted, so that a path (at most {@link #MAX_DEPTH} names) stays small. */
    private static final int MAX_NAME = 4096;
    /** Bytes of attribute strings decoded in all: a Keras model's configuration JSON is well under a megabyte. */
    static final int MAX_STRING_BYTES = 1 << 26;

    /** HDF5's format signature, at the start of the superblock. */
    static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final long UNDEFINED = -1;
    private static final String[] CLASS_NAMES = {"fixed-point", "floating-point", "time", "string", "bitfield",
        "opaque", "compound", "reference", "enumerated", "variable-length", "array", "complex"};

    private final byte[] b;
    private final String source;
    private int offsetSize;
    private int lengthSize;
    private long base;
    private long visited;
    private long pathChars;
    private long elements;
    private long stringBytes;
    /** Whether the walk reads attributes (and leaves datasets' values unread) or datasets (and skips attributes). */
    private final boolean wantAttributes;
    private final Map<Long, TensorData> datasets = new HashMap<>();
    private final Map<String, TensorData> out = new TreeMap<>();
    /** By object header, so that an object reached by several paths is read once. */
    private final Map<Long, Map<String, Object>> attributesAt = new HashMap<>();
    private final Map<String, Map<String, Object>> attributesOut = new TreeMap<>();
    /** Each global heap collection's objects, index to {position, size}, by the collection's position. */
    private final Map<Long, Map<Integer, long[]>> collections = new HashMap<>();

    private Hdf5File(byte[] bytes, String source, boolean wantAttributes) {
        this.b = bytes;
        this.source = source;
        this.wantAttributes = wantAttributes;
    }

    /**
     * Whether {@code head}, a file's first bytes, starts with HDF5's signature: a file written without a user block,
     * as h5py and Keras write them (the reader also finds a superblock after one).
     */
    public static boolean startsWithSignature(byte[] head) {
        return head.length >= SIGNATURE.length
                && Arrays.equals(head, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length);
    }

    /**
     * Every dataset in the file, by its full path without a leading slash (e.g. {@code "layers/dense/vars/0"}), in
     * ascending path order, each as float32 values row-major with its shape (a scalar: shape {@code []} and one
     * value). Floating-point datasets of 4 or 8 bytes (little- or big-endian) and fixed-point integers of 1, 2, 4
     * or 8 bytes (signed or unsigned) are converted to float. A dataset reached by several paths (hard links) is
     * listed under each.
     *
     * @param bytes  the whole file
     * @param source what to call the file in messages (its path, or {@code "m.keras!model.weights.h5"})
     * @return a sorted map from path to tensor
     * @throws IOException with a message naming {@code source}, the offset and what was expected, for anything
     *                     that is not a well-formed HDF5 file of the supported kind, or that this reader does not
     *                     support (saying which, e.g. a chunked dataset, dense link storage, a datatype class)
     */
    public static Map<String, TensorData> readDatasets(byte[] bytes, String source) throws IOException {
        Hdf5File f = new Hdf5File(bytes, source, false);
        f.walk();
        return f.out;
    }

    /**
     * Every attribute of every group and dataset, by the object's path ({@code ""} for the root group, else as in
     * {@link #readDatasets}, e.g. {@code "model_weights/dense"}) then attribute name, both in ascending order.
     * Every group and dataset is listed, one without attributes with an empty map. A value is a {@code String}
     * (a scalar string), a {@code List<String>} (a string array of any rank, flattened row-major) or a
     * {@code double[]} (numbers of any rank, flattened; a scalar gives one value). Fixed-length strings lose their
     * padding (trailing NULs or spaces; a NUL-terminated string ends at its first NUL). Attributes of other
     * datatypes are skipped (see the class comment). Datasets' values are not read, so a file of chunked
     * datasets gives its attributes too. The maps are unmodifiable.
     *
     * @param bytes  the whole file
     * @param source what to call the file in messages
     * @return a sorted map from object path to its attributes by name
     * @throws IOException with a message naming {@code source}, the offset and what was expected, for anything
     *                     that is not a well-formed HDF5 file of the supported kind, or dense attribute storage
     */
    public static Map<String, Map<String, Object>> readAttributes(byte[] bytes, String source) throws IOException {
        Hdf5File f = new Hdf5File(bytes, source, true);
        f.walk();
        return Collections.unmodifiableMap(f.attributesOut);
    }

    private void walk() throws IOException {
        long root = superblock();
        object(root, "", new HashSet<>(), 0);
    }

    // ------------------------------------------------------------------------------------------------ errors

    private IOException error(long offset, String what) {
        return new IOException(source + ": at offset " + offset + ": " + what);
    }

    private void count(long offset) throws IOException {
        count(offset, 1);
    }

    /** Counts {@code n} more things read, so that no file, however its links fan out, is read for long. */
    private void count(long offset, int n) throws IOException {
        visited += n;
        if (visited > MAX_OBJECTS) {
            throw error(offset, "at most " + MAX_OBJECTS + " objects to visit (a file of fanned-out links?)");
        }
    }

    // ------------------------------------------------------------------------------------------------ bytes

    private void check(long pos, long n, String what) throws IOException {
        if (pos < 0 || n < 0 || pos > b.length || n > b.length - pos) {
            throw error(pos, what + " (" + n + " bytes) past the end of the " + b.length + "-byte file");
        }
    }

    /** Unsigned little-endian integer of {@code n <= 8} bytes; values past 2^63 come back negative. */
    private long uint(long pos, int n) throws IOException {
        check(pos, n, "an integer");
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[(int) pos + i] & 0xFF);
        }
        return v;
    }

    private int u8(long pos) throws IOException {
        return (int) uint(pos, 1);
    }

    private int u16(long pos) throws IOException {
        return (int) uint(pos, 2);
    }

    /** A length field, which must fit a non-negative long. */
    private long length(long pos) throws IOException {
        long v = uint(pos, lengthSize);
        if (v < 0) {
            throw error(pos, "a length below 2^63, found " + Long.toUnsignedString(v));
        }
        return v;
    }

    /** An address as a position in the array, or {@link #UNDEFINED} for the all-ones "undefined address". */
    private long address(long pos) throws IOException {
        long v = uint(pos, offsetSize);
        if (offsetSize < 8 ? v == (1L << (8 * offsetSize)) - 1 : v == -1) {
            return UNDEFINED;
        }
        long p = base + v;
        if (v < 0 || p < 0 || p >= b.length) {
            throw error(pos, "an address inside the " + b.length + "-byte file, found " + Long.toUnsignedString(v)
                    + " (base " + base + ")");
        }
        return p;
    }

    private long definedAddress(long pos, String what) throws IOException {
        long p = address(pos);
        if (p == UNDEFINED) {
            throw error(pos, "the address of " + what + ", found the undefined address");
        }
        return p;
    }

    private void signature(long pos, String sig) throws IOException {
        check(pos, 4, "signature \"" + sig + "\"");
        for (int i = 0; i < 4; i++) {
            if (b[(int) pos + i] != sig.charAt(i)) {
                throw error(pos, "signature \"" + sig + "\"");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ superblock

    /** Reads the superblock and returns the position of the root group's object header. */
    private long superblock() throws IOException {
        long at = -1;
        for (long p = 0; p + SIGNATURE.length <= b.length; p = p == 0 ? 512 : p * 2) {
            boolean match = true;
            for (int i = 0; i < SIGNATURE.length && match; i++) {
                match = b[(int) p + i] == SIGNATURE[i];
            }
            if (match) {
                at = p;
                break;
            }
        }
        if (at < 0) {
            throw error(0, "the HDF5 signature \\x89HDF\\r\\n\\x1a\\n at offset 0, 512, 1024, ... (not an HDF5 file)");
        }
        int version = u8(at + 8);
        if (version == 0 || version == 1) {
            sizes(at + 13, at + 14);
            long p = at + 24 + (version == 1 ? 4 : 0);
            base = baseAddress(p);
            p += 4L * offsetSize; // base, free-space info, end of file, driver info
            // the root group's symbol table entry: link name offset, then its object header address
            return definedAddress(p + offsetSize, "the root group's object header");
        }
        if (version == 2 || version == 3) {
            sizes(at + 9, at + 10);
            base = baseAddress(at + 12);
            return definedAddress(at + 12 + 3L * offsetSize, "the root group's object header");
        }
        throw error(at + 8, "superblock version 0, 1, 2 or 3, found superblock version " + version);
    }

    private void sizes(long offsets, long lengths) throws IOException {
        offsetSize = u8(offsets);
        lengthSize = u8(lengths);
        if (offsetSize != 4 && offsetSize != 8) {
            throw error(offsets, "size of offsets 4 or 8, found " + offsetSize);
        }
        if (lengthSize != 4 && lengthSize != 8) {
            throw error(lengths, "size of lengths 4 or 8, found " + lengthSize);
        }
    }

    private long baseAddress(long pos) throws IOException {
        long v = uint(pos, offsetSize);
        if (v < 0 || v >= b.length) {
            throw error(pos, "a base address inside the file, found " + Long.toUnsignedString(v));
        }
        return v;
    }

    // ------------------------------------------------------------------------------------------------ headers

    /** One header message: its type, flags, and where its body lies. */
    private record Message(int type, int flags, long pos, int size) {
    }

    private static final int NIL = 0x00;
    private static final int DATASPACE = 0x01;
    private static final int LINK_INFO = 0x02;
    private static final int DATATYPE = 0x03;
    private static final int LINK = 0x06;
    private static final int EXTERNAL = 0x07;
    private static final int LAYOUT = 0x08;
    private static final int FILTERS = 0x0B;
    private static final int ATTRIBUTE = 0x0C;
    private static final int CONTINUATION = 0x10;
    private static final int SYMBOL_TABLE = 0x11;
    private static final int ATTRIBUTE_INFO = 0x15;

    /** The messages of the object header at {@code pos}, continuation blocks included. */
    private List<Message> header(long pos) throws IOException {
        count(pos);
        List<Message> messages = new ArrayList<>();
        List<long[]> blocks = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        check(pos, 4, "an object header");
        boolean v2 = b[(int) pos] == 'O' && b[(int) pos + 1] == 'H' && b[(int) pos + 2] == 'D'
                && b[(int) pos + 3] == 'R';
        int headerFlags = 0;
        if (v2) {
            int version = u8(pos + 4);
            if (version != 2) {
                throw error(pos + 4, "object header version 2 after \"OHDR\", found " + version);
            }
            headerFlags = u8(pos + 5);
            long p = pos + 6 + ((headerFlags & 0x20) != 0 ? 16 : 0) + ((headerFlags & 0x10) != 0 ? 4 : 0);
            int sizeBytes = 1 << (headerFlags & 3);
            long size = uint(p, sizeBytes);
            p += sizeBytes;
            // the chunk's messages, then its 4-byte checksum
            blocks.add(new long[] {p, size});
            check(p, size + 4, "object header messages");
        } else {
            int version = u8(pos);
            if (version != 1) {
                throw error(pos, "an object header (version 1, or \"OHDR\"), found version " + version);
            }
            long size = uint(pos + 8, 4);
            blocks.add(new long[] {pos + 16, size});
        }
        seen.add(pos);
        for (int k = 0; k < blocks.size(); k++) {
            long start = blocks.get(k)[0];
            long end = start + blocks.get(k)[1];
            check(start, end - start, "an object header block");
            int prefix = v2 ? 4 + ((headerFlags & 0x04) != 0 ? 2 : 0) : 8;
            long p = start;
            while (end - p >= prefix) {
                int type = v2 ? u8(p) : u16(p);
                int size = u16(p + (v2 ? 1 : 2));
                int flags = u8(p + (v2 ? 3 : 4));
                long body = p + prefix;
                if (size > end - body) {
                    throw error(p, "a header message of " + size + " bytes within its block (" + (end - body)
                            + " bytes left)");
                }
                count(p);
                if (type == CONTINUATION) {
                    long at = definedAddress(body, "an object header continuation block");
                    long len = length(body + offsetSize);
                    if (!seen.add(at)) {
                        throw error(body, "a new continuation block, found block " + at + " again (a cycle)");
                    }
                    count(at);
                    if (v2) {
                        signature(at, "OCHK");
                        if (len < 8) {
                            throw error(body + offsetSize, "a continuation block of at least 8 bytes, found " + len);
                        }
                        blocks.add(new long[] {at + 4, len - 8});
                    } else {
                        blocks.add(new long[] {at, len});
                    }
                } else if (type != NIL) {
                    messages.add(new Message(type, flags, body, size));
                }
                p = body + size;
                if (!v2) {
                    // version 1 messages are padded to multiples of 8 bytes
                    p = start + ((p - start + 7) & ~7L);
                }
            }
        }
        return messages;
    }

    private static Message find(List<Message> messages, int type) {
        for (Message m : messages) {
            if (m.type == type) {
                return m;
            }
        }
        return null;
    }

    private void notShared(Message m, String what) throws IOException {
        if ((m.flags & 0x02) != 0) {
            throw error(m.pos, "a " + what + " message stored in the object header, found a shared one"
                    + " (committed datatypes and shared messages are not supported)");
        }
    }

    // ------------------------------------------------------------------------------------------------ objects

    private void object(long pos, String path, Set<Long> ancestors, int depth) throws IOException {
        List<Message> messages = header(pos);
        Message symbols = find(messages, SYMBOL_TABLE);
        Message linkInfo = find(messages, LINK_INFO);
        boolean links = find(messages, LINK) != null;
        if (symbols != null || linkInfo != null || links) {
            if (depth >= MAX_DEPTH) {
                throw error(pos, "groups nested at most " + MAX_DEPTH + " deep at '" + path + "'");
            }
            Map<String, Long> members = new TreeMap<>();
            if (symbols != null) {
                symbolTable(symbols, members);
            } else {
                if (linkInfo != null) {
                    compactOnly(linkInfo, "link", 8, "in group '" + path + "'");
                }
                for (Message m : messages) {
                    if (m.type == LINK) {
                        link(m, path, members);
                    }
                }
            }
            if (wantAttributes) {
                attributes(pos, messages, path.isEmpty() ? "" : path.substring(0, path.length() - 1));
            }
            ancestors.add(pos);
            for (Map.Entry<String, Long> e : members.entrySet()) {
                if (!ancestors.contains(e.getValue())) {
                    String child = path + e.getKey() + "/";
                    pathChars += child.length();
                    if (pathChars > MAX_PATH_CHARS) {
                        throw error(pos, "paths of at most " + MAX_PATH_CHARS + " characters in all");
                    }
                    object(e.getValue(), child, ancestors, depth + 1);
                }
            }
            ancestors.remove(pos);
        } else if (find(messages, LAYOUT) != null) {
            if (path.isEmpty()) {
                throw error(pos, "a group as the root object, found a dataset");
            }
            String name = path.substring(0, path.length() - 1);
            if (wantAttributes) {
                attributes(pos, messages, name);
                return;
            }
            TensorData t = datasets.get(pos);
            if (t == null) {
                t = dataset(messages, name);
                datasets.put(pos, t);
            }
            out.put(name, t);
        }
        // anything else (a committed datatype, an object of another kind) holds no dataset
    }

    private void member(Map<String, Long> members, String name, long objectAddress, long at, String group)
            throws IOException {
        count(at);
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.equals(".") || name.length() > MAX_NAME) {
            throw error(at, "a link name of 1 to " + MAX_NAME + " characters without '/', found \"" + name
                    + "\" in group '" + group + "'");
        }
        if (members.put(name, objectAddress) != null) {
            throw error(at, "a new link name, found \"" + name + "\" twice in group '" + group + "'");
        }
    }

    // ------------------------------------------------------------------------------------------------ old groups

    private void symbolTable(Message m, Map<String, Long> members) throws IOException {
        check(m.pos, 2L * offsetSize, "a symbol table message");
        long tree = definedAddress(m.pos, "a group's B-tree");
        long heap = definedAddress(m.pos + offsetSize, "a group's local heap");
        signature(heap, "HEAP");
        long segmentSize = length(heap + 8);
        long segment = definedAddress(heap + 8 + 2L * lengthSize, "a local heap's data segment");
        check(segment, segmentSize, "a local heap's data segment");
        btree(tree, -1, segment, segmentSize, members, new HashSet<>());
    }

    private void btree(long node, int expectedLevel, long heap, long heapSize, Map<String, Long> members,
            Set<Long> seen) throws IOException {
        if (!seen.add(node)) {
            throw error(node, "a new B-tree node, found node " + node + " again (a cycle or a shared node)");
        }
        count(node);
        signature(node, "TREE");
        int type = u8(node + 4);
        int level = u8(node + 5);
        int entries = u16(node + 6);
        if (type != 0) {
            throw error(node + 4, "a group B-tree node (type 0), found type " + type);
        }
        if (expectedLevel >= 0 && level != expectedLevel) {
            throw error(node + 5, "B-tree level " + expectedLevel + ", found " + level);
        }
        // keys (lengths) and children (addresses) alternate, starting and ending with a key
        long p = node + 8 + 2L * offsetSize + lengthSize;
        check(p, (long) entries * (offsetSize + lengthSize), "B-tree entries");
        for (int i = 0; i < entries; i++) {
            long child = definedAddress(p, "a B-tree child");
            if (level > 0) {
                btree(child, level - 1, heap, heapSize, members, seen);
            } else {
                symbolNode(child, heap, heapSize, members, seen);
            }
            p += offsetSize + lengthSize;
        }
    }

    private void symbolNode(long node, long heap, long heapSize, Map<String, Long> members, Set<Long> seen)
            throws IOException {
        if (!seen.add(node)) {
            throw error(node, "a new symbol table node, found node " + node + " again (a cycle or a shared node)");
        }
        count(node);
        signature(node, "SNOD");
        int version = u8(node + 4);
        if (version != 1) {
            throw error(node + 4, "symbol table node version 1, found " + version);
        }
        int n = u16(node + 6);
        int entrySize = 2 * offsetSize + 24;
        long p = node + 8;
        check(p, (long) n * entrySize, "symbol table entries");
        count(node, n);
        for (int i = 0; i < n; i++, p += entrySize) {
            long nameOffset = uint(p, offsetSize);
            String name = heapString(heap, heapSize, nameOffset, p);
            int cache = (int) uint(p + 2L * offsetSize, 4);
            if (cache == 2) {
                throw error(p, "a hard link, found soft link \"" + name + "\" (soft links are not supported)");
            }
            long object = definedAddress(p + offsetSize, "the object of \"" + name + "\"");
            member(members, name, object, p, "symbol table node " + node);
        }
    }

    private String heapString(long heap, long heapSize, long offset, long at) throws IOException {
        if (offset < 0 || offset >= heapSize) {
            throw error(at, "a name offset inside the " + heapSize + "-byte local heap, found " + offset);
        }
        long start = heap + offset;
        long end = start;
        long limit = Math.min(heap + heapSize, start + MAX_NAME + 1);
        while (end < limit && b[(int) end] != 0) {
            end++;
        }
        if (end == limit) {
            throw error(start, "a NUL-terminated name of at most " + MAX_NAME + " bytes inside the local heap");
        }
        return new String(b, (int) start, (int) (end - start), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ new groups

    /**
     * Refuses dense storage: a link info or attribute info message (version 0, {@code kind} "link" or "attribute")
     * whose fractal heap address is defined. {@code optional}: the bytes of the field that bit 0 of its flags adds
     * (the link info's maximum creation index, 8; the attribute info's, 2); {@code where}: the object, for
     * messages.
     */
    private void compactOnly(Message m, String kind, int optional, String where) throws IOException {
        int version = u8(m.pos);
        if (version != 0) {
            throw error(m.pos, kind + " info message version 0, found " + version);
        }
        int flags = u8(m.pos + 1);
        long p = m.pos + 2 + ((flags & 1) != 0 ? optional : 0);
        if (offsetSize > m.pos + m.size - p) {
            throw error(m.pos, "a fractal heap address within the " + m.size + "-byte " + kind + " info message");
        }
        if (address(p) != UNDEFINED) {
            throw error(p, "compact " + kind + " storage " + where + ", found dense " + kind + " storage"
                    + " (fractal heap), which is not supported");
        }
    }

    private void link(Message m, String path, Map<String, Long> members) throws IOException {
        long end = m.pos + m.size;
        int version = u8(m.pos);
        if (version != 1) {
            throw error(m.pos, "link message version 1, found " + version);
        }
        int flags = u8(m.pos + 1);
        long p = m.pos + 2;
        int linkType = 0;
        if ((flags & 0x08) != 0) {
            linkType = u8(p++);
        }
        p += ((flags & 0x04) != 0 ? 8 : 0) + ((flags & 0x10) != 0 ? 1 : 0);
        int lengthBytes = 1 << (flags & 3);
        long nameLength = uint(p, lengthBytes);
        p += lengthBytes;
        if (nameLength < 0 || nameLength > end - p) {
            throw error(p - lengthBytes, "a link name within the " + m.size + "-byte link message, found length "
                    + Long.toUnsignedString(nameLength));
        }
        String name = new String(b, (int) p, (int) nameLength, StandardCharsets.UTF_8);
        p += nameLength;
        if (linkType != 0) {
            String kind = linkType == 1 ? "soft link" : linkType == 64 ? "external link" : "link of type " + linkType;
            throw error(m.pos, "a hard link, found " + kind + " '" + path + name
                    + "' (only hard links are supported)");
        }
        if (offsetSize > end - p) {
            throw error(p, "a hard link's address within its link message");
        }
        member(members, name, definedAddress(p, "the object of link '" + path + name + "'"), m.pos, path);
    }

    // ------------------------------------------------------------------------------------------------ attributes

    private static String objectName(String path) {
        return path.isEmpty() ? "the root group" : "'" + path + "'";
    }

    /** Reads the attributes of the object whose header is at {@code pos} (once) and lists them under its path. */
    private void attributes(long pos, List<Message> messages, String path) throws IOException {
        Map<String, Object> values = attributesAt.get(pos);
        if (values == null) {
            values = new TreeMap<>();
            for (Message m : messages) {
                if (m.type == ATTRIBUTE_INFO) {
                    compactOnly(m, "attribute", 2, "on " + objectName(path));
                } else if (m.type == ATTRIBUTE && (m.flags & 0x02) == 0) {
                    // a shared attribute message (flag 0x02) holds only a reference to it: skipped as unsupported
                    attribute(m, path, values);
                }
            }
            values = Collections.unmodifiableMap(values);
            attributesAt.put(pos, values);
        }
        attributesOut.put(path, values);
    }

    private void attribute(Message m, String path, Map<String, Object> values) throws IOException {
        long end = m.pos + m.size;
        int version = u8(m.pos);
        if (version < 1 || version > 3) {
            throw error(m.pos, "attribute message version 1, 2 or 3, found " + version);
        }
        int flags = version == 1 ? 0 : u8(m.pos + 1);
        int nameSize = u16(m.pos + 2);
        int typeSize = u16(m.pos + 4);
        int spaceSize = u16(m.pos + 6);
        // version 3 adds the name's character set; version 1 pads name, datatype and dataspace to 8 bytes each
        long namePos = m.pos + (version == 3 ? 9 : 8);
        int pad = version == 1 ? 7 : 0;
        long typePos = namePos + ((nameSize + pad) & ~pad);
        long spacePos = typePos + ((typeSize + pad) & ~pad);
        long data = spacePos + ((spaceSize + pad) & ~pad);
        if (nameSize == 0 || typeSize < 8 || data > end) {
            throw error(m.pos, "an attribute name (1 or more bytes), datatype (8 or more) and dataspace within the "
                    + m.size + "-byte attribute message, found " + nameSize + ", " + typeSize + " and " + spaceSize
                    + " bytes");
        }
        int nameLength = 0;
        while (nameLength < nameSize && b[(int) namePos + nameLength] != 0) {
            nameLength++;
        }
        String name = new String(b, (int) namePos, nameLength, StandardCharsets.UTF_8);
        String what = "attribute '" + name + "' of " + objectName(path);
        if ((flags & 0x03) != 0) {
            return; // a shared datatype or dataspace: not supported, skipped
        }
        count(m.pos);
        int[] shape = dataspace(new Message(DATASPACE, 0, spacePos, spaceSize), what);
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > MAX_OBJECTS) {
                throw error(spacePos, "at most " + MAX_OBJECTS + " values in " + what);
            }
        }
        count(spacePos, (int) n);
        int cls = u8(typePos) & 0x0F;
        int bits = (int) uint(typePos + 1, 3);
        long size = uint(typePos + 4, 4);
        if (n * size > end - data) {
            throw error(data, n + " values of " + size + " bytes for " + what + " within its attribute message, found "
                    + (end - data) + " bytes");
        }
        Object value;
        if (cls == 3) {
            value = fixedStrings(data, (int) n, (int) size, bits, what);
        } else if (cls == 9 && (bits & 0x0F) == 1) {
            if (size != 8 + offsetSize) {
                throw error(typePos, "variable-length strings of " + (8 + offsetSize) + " bytes (length, collection"
                        + " and index) for " + what + ", found " + size);
            }
            value = variableStrings(data, (int) n, bits >> 4, what);
        } else {
            Datatype dt = datatype(new Message(DATATYPE, 0, typePos, typeSize), what, true);
            if (dt == null) {
                return; // a compound, reference, enum, sequence, or numeric layout not supported: skipped
            }
            double[] numbers = new double[(int) n];
            for (int i = 0; i < numbers.length; i++) {
                numbers[i] = dt.toDouble(b, (int) data + i * dt.size);
            }
            value = numbers;
        }
        if (value == null) {
            return; // strings of a padding or character set not defined by the specification: skipped
        }
        if (value instanceof List<?> strings && shape.length == 0) {
            value = strings.get(0);
        }
        if (values.put(name, value) != null) {
            throw error(m.pos, "a new attribute name, found \"" + name + "\" twice on " + objectName(path));
        }
    }

    /** Fixed-length strings, or null if their padding or character set is undefined. */
    private List<String> fixedStrings(long data, int n, int size, int bits, String what) throws IOException {
        int padding = bits & 0x0F;
        int charset = (bits >> 4) & 0x0F;
        if (padding > 2 || charset > 1) {
            return null;
        }
        String[] strings = new String[n];
        for (int i = 0; i < n; i++) {
            strings[i] = text(data + (long) i * size, size, padding, what);
        }
        return List.of(strings);
    }

    /** Variable-length strings, or null if their padding or character set is undefined. */
    private List<String> variableStrings(long data, int n, int bits, String what) throws IOException {
        int padding = bits & 0x0F;
        int charset = (bits >> 4) & 0x0F;
        if (padding > 2 || charset > 1) {
            return null;
        }
        String[] strings = new String[n];
        int element = 8 + offsetSize;
        for (int i = 0; i < n; i++) {
            long e = data + (long) i * element;
            long length = uint(e, 4);
            if (length == 0) {
                // HDF5 may store no heap object for an empty string
                strings[i] = "";
                continue;
            }
            long collection = definedAddress(e + 4, "the global heap collection of " + what);
            long[] object = heapObject(collection, uint(e + 4 + offsetSize, 4), e, what);
            if (length > object[1]) {
                throw error(e, "a string of at most its heap object's " + object[1] + " bytes for " + what
                        + ", found " + length);
            }
            strings[i] = text(object[0], length, padding, what);
        }
        return List.of(strings);
    }

    /** A string's bytes without their padding (0: up to the first NUL; 1: trailing NULs; 2: trailing spaces). */
    private String text(long pos, long length, int padding, String what) throws IOException {
        if (length > MAX_STRING_BYTES - stringBytes) {
            throw error(pos, "attribute strings of at most " + MAX_STRING_BYTES + " bytes in all, found more at "
                    + what);
        }
        stringBytes += length;
        check(pos, length, "the string of " + what);
        int start = (int) pos;
        int stop = start + (int) length;
        if (padding == 0) {
            for (int i = start; i < stop; i++) {
                if (b[i] == 0) {
                    stop = i;
                    break;
                }
            }
        } else {
            byte filler = padding == 1 ? 0 : (byte) ' ';
            while (stop > start && b[stop - 1] == filler) {
                stop--;
            }
        }
        return new String(b, start, stop - start, StandardCharsets.UTF_8);
    }

    /** Object {@code index} of the global heap collection at {@code collection}: its data's position and size. */
    private long[] heapObject(long collection, long index, long at, String what) throws IOException {
        Map<Integer, long[]> objects = collections.get(collection);
        if (objects == null) {
            objects = collection(collection);
            collections.put(collection, objects);
        }
        long[] object = index > 0 && index <= 0xFFFF ? objects.get((int) index) : null;
        if (object == null) {
            throw error(at, "object " + index + " of the global heap collection at " + collection + " for " + what
                    + ", found none");
        }
        return object;
    }

    private Map<Integer, long[]> collection(long pos) throws IOException {
        count(pos);
        signature(pos, "GCOL");
        int version = u8(pos + 4);
        if (version != 1) {
            throw error(pos + 4, "global heap collection version 1, found " + version);
        }
        long size = length(pos + 8);
        check(pos, size, "a global heap collection");
        long end = pos + size;
        Map<Integer, long[]> objects = new HashMap<>();
        // HDF5 aligns the collection's header to 8 bytes, and each object's data size, but not its header
        int header = 8 + lengthSize;
        long p = pos + ((header + 7) & ~7);
        while (end - p >= header) {
            int index = u16(p);
            if (index == 0) {
                break; // the free space, which HDF5 keeps at the end of the collection
            }
            count(p);
            long objectSize = length(p + 8);
            long data = p + header;
            if (objectSize > end - data) {
                throw error(p + 8, "a global heap object within its collection, found " + objectSize + " bytes with "
                        + (end - data) + " left");
            }
            if (objects.put(index, new long[] {data, objectSize}) != null) {
                throw error(p, "a new object index in the global heap collection at " + pos + ", found " + index
                        + " again");
            }
            p = data + ((objectSize + 7) & ~7L);
        }
        return objects;
    }

    // ------------------------------------------------------------------------------------------------ datasets

    private TensorData dataset(List<Message> messages, String name) throws IOException {
        Message layout = find(messages, LAYOUT);
        Message space = find(messages, DATASPACE);
        Message type = find(messages, DATATYPE);
        if (space == null || type == null) {
            throw error(layout.pos, "a dataspace and a datatype message for dataset '" + name + "'");
        }
        notShared(space, "dataspace");
        notShared(type, "datatype");
        notShared(layout, "layout");
        int[] shape = dataspace(space, "dataset '" + name + "'");
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw error(space.pos, "at most " + Integer.MAX_VALUE + " elements in dataset '" + name + "'");
            }
        }
        Datatype dt = datatype(type, "dataset '" + name + "'", false);
        long[] data = layout(layout, name);
        Message filters = find(messages, FILTERS);
        if (filters != null) {
            throw error(filters.pos, "no filter pipeline, found one on dataset '" + name
                    + "' (compressed datasets are not supported)");
        }
        if (find(messages, EXTERNAL) != null) {
            throw error(find(messages, EXTERNAL).pos, "data inside the file, found external storage for dataset '"
                    + name + "'");
        }
        long bytes = n * dt.size;
        if (data == null) {
            if (n == 0) {
                return new TensorData(shape, new float[0]);
            }
            throw error(layout.pos, "data for dataset '" + name + "', found none: it was never written"
                    + " (only its fill value exists, which is not supported)");
        }
        if (data[1] < bytes) {
            throw error(layout.pos, "at least " + bytes + " bytes of data for dataset '" + name + "' "
                    + Arrays.toString(shape) + ", found " + data[1]);
        }
        check(data[0], bytes, "the data of dataset '" + name + "'");
        // datasets do not share bytes, so together they hold no more elements than the file has bytes; more
        // means crafted headers pointing at the same data, which would otherwise fill memory
        elements += n;
        if (elements > b.length) {
            throw error(layout.pos, "datasets holding at most as many elements as the file has bytes, found more"
                    + " at dataset '" + name + "' (datasets overlapping?)");
        }
        float[] values = new float[(int) n];
        int at = (int) data[0];
        for (int i = 0; i < values.length; i++, at += dt.size) {
            values[i] = dt.convert(b, at);
        }
        return new TensorData(shape, values);
    }

    /** The shape; {@code what} names the dataset or attribute in messages. */
    private int[] dataspace(Message m, String what) throws IOException {
        check(m.pos, m.size, "a dataspace message");
        int version = u8(m.pos);
        int rank = u8(m.pos + 1);
        long p;
        if (version == 1) {
            p = m.pos + 8;
        } else if (version == 2) {
            int kind = u8(m.pos + 3);
            if (kind == 2) {
                return new int[] {0};
            }
            if (kind > 2) {
                throw error(m.pos + 3, "dataspace type 0, 1 or 2 (scalar, simple, null), found " + kind);
            }
            p = m.pos + 4;
        } else {
            throw error(m.pos, "dataspace message version 1 or 2, found " + version);
        }
        if ((long) rank * lengthSize > m.pos + m.size - p) {
            throw error(m.pos + 1, rank + " dimensions within the " + m.size + "-byte dataspace message");
        }
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            long d = length(p + (long) i * lengthSize);
            if (d > Integer.MAX_VALUE) {
                throw error(p + (long) i * lengthSize, "a dimension below 2^31 in " + what + ", found " + d);
            }
            shape[i] = (int) d;
        }
        return shape;
    }

    /** How to turn one stored element into a float or a double. */
    private record Datatype(int size, boolean isFloat, boolean bigEndian, boolean signed) {
        private long bits(byte[] bytes, int at) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                int k = bigEndian ? i : size - 1 - i;
                v = (v << 8) | (bytes[at + k] & 0xFF);
            }
            return v;
        }

        double toDouble(byte[] bytes, int at) {
            long v = bits(bytes, at);
            if (isFloat) {
                return size == 4 ? Float.intBitsToFloat((int) v) : Double.longBitsToDouble(v);
            }
            if (size < 8) {
                int shift = 64 - 8 * size;
                return signed ? (double) ((v << shift) >> shift) : (double) v;
            }
            if (signed || v >= 0) {
                return v;
            }
            // past 2^63 unsigned: as in convert
            return (double) ((v >>> 1) | (v & 1)) * 2;
        }

        float convert(byte[] bytes, int at) {
            long v = bits(bytes, at);
            if (isFloat) {
                return size == 4 ? Float.intBitsToFloat((int) v) : (float) Double.longBitsToDouble(v);
            }
            if (size < 8) {
                int shift = 64 - 8 * size;
                return signed ? (float) ((v << shift) >> shift) : (float) v;
            }
            if (signed || v >= 0) {
                return (float) v;
            }
            // an unsigned value past 2^63: halve it keeping the lowest bit as a sticky bit, so the rounding to
            // float is the same as for the full value
            return (float) ((v >>> 1) | (v & 1)) * 2f;
        }
    }

    /**
     * The numeric datatype of message {@code m}; {@code what} names the dataset or attribute. A datatype of another
     * class or layout is an error, or if {@code orNull} (an attribute, which is then skipped) null.
     */
    private Datatype datatype(Message m, String what, boolean orNull) throws IOException {
        check(m.pos, Math.max(m.size, 8), "a datatype message");
        int classAndVersion = u8(m.pos);
        int cls = classAndVersion & 0x0F;
        int bits = (int) uint(m.pos + 1, 3);
        long size = uint(m.pos + 4, 4);
        if (cls != 0 && cls != 1) {
            if (orNull) {
                return null;
            }
            String found = cls < CLASS_NAMES.length ? CLASS_NAMES[cls] : "class " + cls;
            throw error(m.pos, "a fixed-point or floating-point datatype for " + what + ", found the "
                    + found + " datatype class (not supported)");
        }
        if (cls == 0) {
            long offset = m.size >= 12 ? uint(m.pos + 8, 2) : -1;
            long precision = m.size >= 12 ? uint(m.pos + 10, 2) : -1;
            if ((size != 1 && size != 2 && size != 4 && size != 8) || offset != 0 || precision != 8 * size) {
                if (orNull) {
                    return null;
                }
                throw error(m.pos, "a fixed-point datatype of 1, 2, 4 or 8 whole bytes for " + what
                        + ", found size " + size + ", bit offset " + offset + ", precision " + precision);
            }
            return new Datatype((int) size, false, (bits & 1) != 0, (bits & 0x08) != 0);
        }
        // IEEE single and double only: byte order bit 0 (bit 6 set would be VAX order), and their field layout
        if (m.size < 20 || (size != 4 && size != 8) || (bits & 0x40) != 0) {
            if (orNull) {
                return null;
            }
            throw error(m.pos, "an IEEE floating-point datatype of 4 or 8 bytes for " + what
                    + ", found size " + size);
        }
        int precision = u16(m.pos + 10);
        int exponentLocation = u8(m.pos + 12);
        int exponentSize = u8(m.pos + 13);
        int mantissaLocation = u8(m.pos + 14);
        int mantissaSize = u8(m.pos + 15);
        boolean ieee = size == 4
                ? precision == 32 && exponentLocation == 23 && exponentSize == 8 && mantissaLocation == 0
                        && mantissaSize == 23
                : precision == 64 && exponentLocation == 52 && exponentSize == 11 && mantissaLocation == 0
                        && mantissaSize == 52;
        if (!ieee || uint(m.pos + 8, 2) != 0) {
            if (orNull) {
                return null;
            }
            throw error(m.pos, "an IEEE floating-point layout for " + what + ", found precision "
                    + precision + ", exponent " + exponentSize + " bits at " + exponentLocation + ", mantissa "
                    + mantissaSize + " bits at " + mantissaLocation);
        }
        return new Datatype((int) size, true, (bits & 1) != 0, true);
    }

    /** The data's position and byte count, or null if never written. */
    private long[] layout(Message m, String name) throws IOException {
        check(m.pos, m.size, "a data layout message");
        int version = u8(m.pos);
        int cls;
        long p;
        if (version == 3 || version == 4) {
            cls = u8(m.pos + 1);
            p = m.pos + 2;
        } else if (version == 1 || version == 2) {
            cls = u8(m.pos + 2);
            if (cls == 1) {
                // the address comes first, then the dimensions; the size follows from dataspace and datatype,
                // so leave the byte count to be checked against the file
                long at = address(m.pos + 8);
                return at == UNDEFINED ? null : new long[] {at, b.length - at};
            }
            if (cls == 0) {
                int rank = u8(m.pos + 1);
                long q = m.pos + 8 + 4L * rank;
                long size = uint(q, 4);
                check(q + 4, size, "compact data");
                return new long[] {q + 4, size};
            }
            p = -1;
        } else {
            throw error(m.pos, "data layout message version 1 to 4, found " + version);
        }
        if (cls == 0 && p >= 0) {
            long size = u16(p);
            if (size > m.pos + m.size - p - 2) {
                throw error(p, "compact data of " + size + " bytes within the " + m.size + "-byte layout message");
            }
            return new long[] {p + 2, size};
        }
        if (cls == 1 && p >= 0) {
            long at = address(p);
            long size = length(p + offsetSize);
            return at == UNDEFINED ? null : new long[] {at, size};
        }
        if (cls == 2) {
            throw error(m.pos, "contiguous or compact storage, found chunked dataset '" + name
                    + "' (compressed or resizable datasets are not supported)");
        }
        throw error(m.pos, "contiguous or compact storage for dataset '" + name + "', found layout class " + cls
                + (cls == 3 ? " (virtual)" : ""));
    }
}
