package dev.dendrite.io;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal HDF5 writer, written from the HDF5 File Format Specification (version 3.0), for the
 * {@code model.weights.h5} file that Keras 3 reads ({@code model.load_weights}, and inside a {@code .keras} zip):
 * nested groups of float32 datasets, int32 scalars (the optimizer's step count) and string attributes on groups.
 * HDF5 itself (h5py), Keras and {@link Hdf5File} read what it writes.
 *
 * <h2>What it writes</h2>
 * The structures h5py writes by default, which are also the oldest, so every HDF5 release reads them:
 * <ul>
 * <li>Superblock version 0 (no checksums), 8-byte offsets and lengths, and HDF5's default group node sizes:
 *     symbol table nodes of at most {@value #LEAF_ENTRIES} links, B-tree nodes of at most
 *     {@value #NODE_CHILDREN} children.</li>
 * <li>Old-style groups: a symbol table message naming a version 1 B-tree and a local heap of the link names.
 *     HDF5 finds a name by binary search, so links are sorted as it compares names ({@code strcmp} of the UTF-8
 *     bytes: {@code "10"} before {@code "2"}), and a group of more links than one B-tree node can point at gets
 *     more levels. Nodes are filled about equally, never above HDF5's maximum.</li>
 * <li>Datasets in version 1 object headers: a version 1 dataspace (rank 0 is a scalar), a little-endian IEEE
 *     float32 or signed int32 datatype, the fill value message HDF5 requires, and contiguous storage (layout
 *     version 3), 8-byte aligned. A dataset of no elements has no storage (the undefined address), as HDF5
 *     writes it.</li>
 * <li>String attributes as h5py writes a Python {@code str}, and reads it back as one: variable-length UTF-8
 *     strings kept in one global heap collection (a fixed-length string reads back as {@code numpy.bytes_}).</li>
 * </ul>
 * No timestamps (the same calls give the same bytes), chunking, compression or free space. Limits are those of
 * {@link Hdf5File} or lower, so that whatever is written reads back: names of 1 to {@value #MAX_NAME} UTF-8 bytes,
 * at most {@value #MAX_DEPTH} names in a path, at most {@value #MAX_RANK} dimensions (HDF5's limit).
 */
public final class Hdf5Writer {
    private static final int MAX_NAME = 4096;
    private static final int MAX_DEPTH = 256;
    private static final int MAX_RANK = 32;
    /**
     * A global heap collection numbers its objects with 16 bits (0 is its free space), and a version 1 object header
     * counts its messages with 16 bits (one is the group's symbol table message).
     */
    private static final int MAX_ATTRIBUTES = 65_534;
    /** Group leaf node K and internal node K in the superblock: HDF5's defaults. */
    private static final int LEAF_K = 4;
    private static final int NODE_K = 16;
    private static final int LEAF_ENTRIES = 2 * LEAF_K;
    private static final int NODE_CHILDREN = 2 * NODE_K;
    /** HDF5 reads a node at its full size whatever its entry count, so each is written at that size. */
    private static final int SNOD_SIZE = 8 + LEAF_ENTRIES * 40;
    private static final int TREE_SIZE = 24 + (NODE_CHILDREN + 1) * 8 + NODE_CHILDREN * 8;
    private static final int SUPERBLOCK_SIZE = 96;
    /** HDF5 reads a global heap collection's first 4096 bytes before it knows its size. */
    private static final int MIN_COLLECTION = 4096;
    private static final long UNDEFINED = -1;

    /** Message bodies: class and version, class bits, size, then the class's properties. */
    private static final byte[] FLOAT32 = {0x11, 0x20, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0};
    private static final byte[] INT32 = {0x10, 0x08, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0};
    /** A variable-length string (UTF-8, NUL-terminated) of unsigned bytes: a length, collection and index. */
    private static final byte[] VLEN_UTF8 = {0x19, 0x01, 0x01, 0, 16, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0};
    /** Fill value version 2: allocated late, filled if set, defined as HDF5's default (zeros). */
    private static final byte[] FILL = {2, 2, 2, 1, 0, 0, 0, 0};
    /** Version 1 dataspace of rank 0. */
    private static final byte[] SCALAR = {1, 0, 0, 0, 0, 0, 0, 0};

    private static final int DATASPACE = 0x01;
    private static final int DATATYPE = 0x03;
    private static final int FILL_VALUE = 0x05;
    private static final int LAYOUT = 0x08;
    private static final int ATTRIBUTE = 0x0C;
    private static final int SYMBOL_TABLE = 0x11;

    /** HDF5's order of link names: {@code strcmp} of their UTF-8 bytes. */
    private static final Comparator<String> HDF5_ORDER =
            Comparator.comparing((String s) -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned);

    private static final class Group {
        /** Each a {@link Group} or a {@link Dataset}. */
        final Map<String, Object> children = new TreeMap<>(HDF5_ORDER);
        /** Attribute name to its value's index in the global heap collection (from 1, as in {@code strings}). */
        final Map<String, Integer> attributes = new TreeMap<>(HDF5_ORDER);
    }

    /** Float32 values, or (if {@code floats} is null) one int32. */
    private record Dataset(TensorData floats, int int32) {
    }

    private record Message(int type, int flags, byte[] body) {
    }

    private final Group root = new Group();
    private final List<byte[]> strings = new ArrayList<>();

    /** An empty file: the root group only. */
    public Hdf5Writer() {
    }

    /**
     * Creates the group at {@code path} and its parents, if not there yet (groups holding datasets need not be
     * created first).
     *
     * @throws IllegalArgumentException if the path is malformed or a name on it is a dataset
     */
    public Hdf5Writer group(String path) {
        String[] names = names(path, "group path");
        group(names, names.length);
        return this;
    }

    /**
     * A float32 dataset of {@code t}'s shape and values (NaN and infinities as they are), its parent groups created.
     *
     * @throws IllegalArgumentException if the path is malformed, already used, or passes through a dataset, or the
     *                                  tensor has more than {@value #MAX_RANK} dimensions
     */
    public Hdf5Writer floats(String path, TensorData t) {
        if (t.rank() > MAX_RANK) {
            throw new IllegalArgumentException("dataset '" + path + "' of rank " + t.rank() + "; expected at most "
                    + MAX_RANK + " dimensions (HDF5's limit)");
        }
        return dataset(path, new Dataset(t, 0));
    }

    /**
     * A scalar signed int32 dataset, as Keras stores an optimizer's step count, its parent groups created.
     *
     * @throws IllegalArgumentException as {@link #floats}
     */
    public Hdf5Writer int32(String path, int value) {
        return dataset(path, new Dataset(null, value));
    }

    /**
     * A string attribute on the group at {@code groupPath} ({@code ""}: the root), which is created with its
     * parents if not there yet; Keras names each layer's {@code vars} group so ({@code name="dense_8"}).
     *
     * @throws IllegalArgumentException if the path is malformed or passes through a dataset, the name is empty,
     *                                  too long or set twice on the group, the name or value holds a NUL or an
     *                                  unpaired surrogate, or the file has {@value #MAX_ATTRIBUTES} already
     */
    public Hdf5Writer attribute(String groupPath, String name, String value) {
        String[] names = groupPath.isEmpty() ? new String[0] : names(groupPath, "group path");
        String where = "attribute '" + name + "' of group '" + groupPath + "'";
        int length = text(name, where).length;
        if (length == 0 || length > MAX_NAME) {
            throw new IllegalArgumentException(where + ": a name of " + length + " UTF-8 bytes; expected 1 to "
                    + MAX_NAME);
        }
        byte[] bytes = text(value, where + "'s value");
        if (strings.size() == MAX_ATTRIBUTES) {
            throw new IllegalArgumentException(where + ": expected at most " + MAX_ATTRIBUTES
                    + " attributes in a file");
        }
        // checked before the group is created, so that a refused call adds nothing
        Group g = group(names, names.length);
        if (g.attributes.containsKey(name)) {
            throw new IllegalArgumentException(where + " set twice; expected one value per name");
        }
        strings.add(bytes);
        g.attributes.put(name, strings.size());
        return this;
    }

    /** The whole file. The same calls give the same bytes. */
    public byte[] toBytes() {
        Out out = new Out();
        out.zeros(SUPERBLOCK_SIZE); // written last, when the root group's addresses are known
        long collection = strings.isEmpty() ? UNDEFINED : globalHeap(out);
        long[] rootGroup = writeGroup(out, root, collection);
        Out sb = new Out();
        sb.bytes(Hdf5File.SIGNATURE);
        // versions of the superblock, free-space storage, root entry, (reserved), shared header messages; sizes of
        // offsets and lengths, (reserved); node sizes; no consistency flags
        sb.u8(0).u8(0).u8(0).u8(0).u8(0).u8(8).u8(8).u8(0).u16(LEAF_K).u16(NODE_K).u32(0);
        // base address, no free-space info, end of file, no driver info
        sb.u64(0).u64(UNDEFINED).u64(out.pos()).u64(UNDEFINED);
        entry(sb, 0, rootGroup);
        out.set(0, sb.toArray());
        return out.toArray();
    }

    // ------------------------------------------------------------------------------------------------ paths

    private Hdf5Writer dataset(String path, Dataset d) {
        String[] names = names(path, "dataset path");
        Object old = group(names, names.length - 1).children.putIfAbsent(names[names.length - 1], d);
        if (old != null) {
            throw new IllegalArgumentException("dataset path '" + path + "' is already a "
                    + (old instanceof Group ? "group" : "dataset") + "; expected a new name");
        }
        return this;
    }

    /** The group named by the first {@code count} of {@code names}, created with its parents if absent. */
    private Group group(String[] names, int count) {
        Group g = root;
        for (int i = 0; i < count; i++) {
            if (!(g.children.computeIfAbsent(names[i], k -> new Group()) instanceof Group sub)) {
                throw new IllegalArgumentException("'" + String.join("/", Arrays.copyOf(names, i + 1))
                        + "' is a dataset; expected a group there (in path '" + String.join("/", names) + "')");
            }
            g = sub;
        }
        return g;
    }

    private static String[] names(String path, String what) {
        String[] names = path.split("/", -1);
        if (names.length > MAX_DEPTH) {
            throw new IllegalArgumentException(what + " '" + path + "' of " + names.length + " names; expected at most "
                    + MAX_DEPTH);
        }
        for (String n : names) {
            int length = text(n, what + " '" + path + "'").length;
            if (length == 0 || length > MAX_NAME || n.equals(".") || n.equals("..")) {
                throw new IllegalArgumentException(what + " '" + path + "': name '" + n + "'; expected names of 1"
                        + " to " + MAX_NAME + " UTF-8 bytes, other than '.' and '..', joined by single '/', none"
                        + " leading or trailing");
            }
        }
        return names;
    }

    /** UTF-8 bytes of a name or value, which HDF5 ends at a NUL. */
    private static byte[] text(String s, String what) {
        if (s.indexOf('\0') >= 0 || !StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
            throw new IllegalArgumentException(what + " holds a NUL or an unpaired surrogate; expected text"
                    + " without NUL that UTF-8 encodes");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** The global heap collection of every attribute value, numbered from 1 in the order they were set. */
    private long globalHeap(Out out) {
        long used = 16;
        for (byte[] s : strings) {
            used += 16 + align8(s.length);
        }
        long size = Math.max(MIN_COLLECTION, used);
        long at = out.pos();
        out.ascii("GCOL").u8(1).zeros(3).u64(size);
        for (int i = 0; i < strings.size(); i++) {
            byte[] s = strings.get(i);
            // index, reference count (0, as HDF5 writes for attribute values), reserved, size
            out.u16(i + 1).u16(0).u32(0).u64(s.length).bytes(s).align8();
        }
        if (size - used >= 16) {
            out.u16(0).u16(0).u32(0).u64(size - used); // the free space, its size counting this header
        }
        out.zeros(at + size - out.pos());
        return at;
    }

    /**
     * Writes the group's members, then its local heap, symbol table nodes, B-tree and object header, and returns
     * the addresses of the header, B-tree and heap.
     */
    private long[] writeGroup(Out out, Group g, long collection) {
        int n = g.children.size();
        long[][] members = new long[n][];
        byte[][] names = new byte[n][];
        int i = 0;
        for (Map.Entry<String, Object> e : g.children.entrySet()) {
            names[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            members[i++] = e.getValue() instanceof Group sub ? writeGroup(out, sub, collection)
                    : new long[] {writeDataset(out, (Dataset) e.getValue())};
        }
        // the local heap: the empty string at offset 0 (the B-tree's lowest key), then the names
        long segment = 8;
        for (byte[] name : names) {
            segment += align8(name.length + 1);
        }
        long heap = out.pos();
        // no free block: HDF5 writes offset 1 for that, and refuses the specification's undefined address ("bad
        // heap free list")
        out.ascii("HEAP").u32(0).u64(segment).u64(1).u64(heap + 32).zeros(8);
        long[] nameAt = new long[n];
        for (i = 0; i < n; i++) {
            nameAt[i] = out.pos() - heap - 32;
            out.cString(names[i]);
        }
        int[] leaves = bounds(n, LEAF_ENTRIES, 0);
        long[] nodes = new long[leaves.length - 1];
        long[] lastNames = new long[nodes.length];
        for (int j = 0; j < nodes.length; j++) {
            nodes[j] = out.pos();
            lastNames[j] = nameAt[leaves[j + 1] - 1];
            out.ascii("SNOD").u8(1).u8(0).u16(leaves[j + 1] - leaves[j]);
            for (int k = leaves[j]; k < leaves[j + 1]; k++) {
                entry(out, nameAt[k], members[k]);
            }
            out.zeros(nodes[j] + SNOD_SIZE - out.pos());
        }
        long btree = btree(out, nodes, lastNames);
        List<Message> messages = new ArrayList<>();
        messages.add(new Message(SYMBOL_TABLE, 0, new Out().u64(btree).u64(heap).toArray()));
        for (Map.Entry<String, Integer> a : g.attributes.entrySet()) {
            byte[] name = a.getKey().getBytes(StandardCharsets.UTF_8);
            Out m = new Out().u8(1).u8(0).u16(name.length + 1).u16(VLEN_UTF8.length).u16(SCALAR.length);
            m.cString(name).bytes(VLEN_UTF8).align8().bytes(SCALAR);
            m.u32(strings.get(a.getValue() - 1).length).u64(collection).u32(a.getValue()); // length, heap ID
            messages.add(new Message(ATTRIBUTE, 0, m.toArray()));
        }
        return new long[] {objectHeader(out, messages), btree, heap};
    }

    /**
     * Writes the B-tree over {@code children} (symbol table nodes, each with the heap offset of its greatest name)
     * level by level and returns its root. A key is the greatest name to its left, the first the empty string, as
     * HDF5 looks for a name in the child whose keys are below it and at least it.
     */
    private static long btree(Out out, long[] children, long[] keys) {
        for (int level = 0; ; level++) {
            int[] bounds = bounds(children.length, NODE_CHILDREN, 1); // an empty group has one empty node
            int count = bounds.length - 1;
            long first = out.pos();
            long[] nodes = new long[count];
            long[] nodeKeys = new long[count];
            for (int j = 0; j < count; j++) {
                nodes[j] = first + (long) j * TREE_SIZE;
                out.ascii("TREE").u8(0).u8(level).u16(bounds[j + 1] - bounds[j]);
                // siblings, then the keys and children alternating
                out.u64(j > 0 ? nodes[j] - TREE_SIZE : UNDEFINED);
                out.u64(j < count - 1 ? nodes[j] + TREE_SIZE : UNDEFINED);
                out.u64(j > 0 ? keys[bounds[j] - 1] : 0);
                for (int k = bounds[j]; k < bounds[j + 1]; k++) {
                    out.u64(children[k]).u64(keys[k]);
                }
                out.zeros(nodes[j] + TREE_SIZE - out.pos());
                nodeKeys[j] = bounds[j + 1] > 0 ? keys[bounds[j + 1] - 1] : 0;
            }
            if (count == 1) {
                return first;
            }
            children = nodes;
            keys = nodeKeys;
        }
    }

    /** The data, then the object header of a dataset; returns the header's address. */
    private static long writeDataset(Out out, Dataset d) {
        int[] shape = d.floats == null ? new int[0] : d.floats.shape();
        long size = d.floats == null ? 4 : 4L * d.floats.size();
        long data = size == 0 ? UNDEFINED : out.pos();
        if (d.floats == null) {
            out.u32(d.int32);
        } else {
            for (float v : d.floats.valuesNoCopy()) {
                out.u32(Float.floatToRawIntBits(v));
            }
        }
        out.align8();
        Out space = new Out().u8(1).u8(shape.length).u8(0).zeros(5); // no maximum dimensions: as the dimensions
        for (int dim : shape) {
            space.u64(dim);
        }
        return objectHeader(out, List.of(new Message(DATASPACE, 0, space.toArray()),
                new Message(DATATYPE, 1, d.floats == null ? INT32 : FLOAT32),
                new Message(FILL_VALUE, 1, FILL),
                new Message(LAYOUT, 0, new Out().u8(3).u8(1).u64(data).u64(size).toArray())));
    }

    /** A version 1 object header; flags 1 mark a message constant. */
    private static long objectHeader(Out out, List<Message> messages) {
        long at = out.pos();
        long size = 0;
        for (Message m : messages) {
            size += 8 + align8(m.body.length);
        }
        // version, (reserved), message count, reference count, size of the messages, padding to 8 bytes
        out.u8(1).u8(0).u16(messages.size()).u32(1).u32(size).u32(0);
        for (Message m : messages) {
            out.u16(m.type).u16(align8(m.body.length)).u8(m.flags).zeros(3).bytes(m.body).align8();
        }
        return at;
    }

    /**
     * A symbol table entry: name, object header and, for a group, its B-tree and heap (cache type 1), which HDF5
     * may take from here instead of the group's header.
     */
    private static void entry(Out out, long name, long[] object) {
        boolean group = object.length > 1;
        out.u64(name).u64(object[0]).u32(group ? 1 : 0).u32(0).u64(group ? object[1] : 0).u64(group ? object[2] : 0);
    }

    /**
     * Splits {@code n} items into the fewest runs, at least {@code minRuns}, of at most {@code max} items, as near
     * equal as can be: where each run starts, then {@code n}.
     */
    private static int[] bounds(int n, int max, int minRuns) {
        int runs = Math.max(minRuns, (n + max - 1) / max);
        int[] b = new int[runs + 1];
        for (int j = 1; j <= runs; j++) {
            b[j] = (int) ((long) j * n / runs);
        }
        return b;
    }

    private static int align8(long n) {
        return (int) ((n + 7) & ~7L);
    }

    /** A growing little-endian byte array. */
    private static final class Out {
        private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
        private byte[] b = new byte[256];
        private int n;

        long pos() {
            return n;
        }

        private void ensure(long more) {
            if (more > b.length - n) {
                if (n + more > MAX_ARRAY) {
                    throw new IllegalStateException("an HDF5 file of more than " + MAX_ARRAY + " bytes; expected"
                            + " one that fits a byte array");
                }
                b = Arrays.copyOf(b, (int) Math.min(MAX_ARRAY, Math.max(n + more, 2L * b.length)));
            }
        }

        private Out u(long v, int bytes) {
            ensure(bytes);
            for (int i = 0; i < bytes; i++) {
                b[n++] = (byte) (v >>> (8 * i));
            }
            return this;
        }

        Out u8(int v) {
            return u(v, 1);
        }

        Out u16(int v) {
            return u(v, 2);
        }

        Out u32(long v) {
            return u(v, 4);
        }

        Out u64(long v) {
            return u(v, 8);
        }

        Out ascii(String s) {
            return bytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        Out bytes(byte[] src) {
            ensure(src.length);
            System.arraycopy(src, 0, b, n, src.length);
            n += src.length;
            return this;
        }

        /** Skips bytes, which are zero: nothing is written past the end, and the array grows zeroed. */
        Out zeros(long count) {
            ensure(count);
            n += (int) count;
            return this;
        }

        Out align8() {
            return zeros(-n & 7);
        }

        /** NUL-terminated, padded to 8 bytes. */
        Out cString(byte[] s) {
            return bytes(s).u8(0).align8();
        }

        void set(int at, byte[] src) {
            System.arraycopy(src, 0, b, at, src.length);
        }

        byte[] toArray() {
            return Arrays.copyOf(b, n);
        }
    }
}
