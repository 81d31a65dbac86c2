package dev.dendrite.io;

import dev.dendrite.backend.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of any dtype {@link Safetensors} supports ({@link DType#F32}, {@link DType#I32}, {@link DType#U8}),
 * held as its little-endian bytes exactly as they sit in a .safetensors file. Immutable: the factories copy their
 * input and the accessors return copies.
 *
 * <p>Model weights are F32 and usually travel as {@link TensorData}; this type exists for the other dtypes
 * (integer step counters, uint8 image datasets) and for reading files whose dtypes are not known in advance.
 */
public final class StoredTensor {
    private final DType dtype;
    private final int[] shape;
    private final byte[] data;

    /** Trusted: {@code shape} and {@code data} are owned by the new instance and already checked. */
    private StoredTensor(DType dtype, int[] shape, byte[] data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    /** An F32 tensor with the values of {@code t}. */
    public static StoredTensor f32(TensorData t) {
        float[] v = t.valuesNoCopy();
        ByteBuffer b = ByteBuffer.allocate(checkedBytes(DType.F32, v.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new StoredTensor(DType.F32, t.shape(), b.array());
    }

    /**
     * An I32 tensor.
     *
     * @throws IllegalArgumentException if a dimension is negative or {@code product(shape) != values.length}
     */
    public static StoredTensor i32(int[] shape, int[] values) {
        int[] s = checkShape(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(checkedBytes(DType.I32, values.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return new StoredTensor(DType.I32, s, b.array());
    }

    /**
     * A U8 tensor; each byte is read as unsigned (0..255) by other tools.
     *
     * @throws IllegalArgumentException if a dimension is negative or {@code product(shape) != values.length}
     */
    public static StoredTensor u8(int[] shape, byte[] values) {
        return new StoredTensor(DType.U8, checkShape(shape, values.length), values.clone());
    }

    /** For {@link Safetensors#read}: wraps bytes already read from a file whose size matches shape and dtype. */
    static StoredTensor trusted(DType dtype, int[] shape, byte[] data) {
        return new StoredTensor(dtype, shape, data);
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the dimensions. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements, {@code product(shape)}. */
    public int size() {
        return data.length / dtype.bytes();
    }

    /** Size of the data in bytes. */
    public int byteSize() {
        return data.length;
    }

    /** A copy of the little-endian bytes, as stored in the file. */
    public byte[] littleEndianBytes() {
        return data.clone();
    }

    /** The bytes without a copy, for this package's writers only: callers must not modify the array. */
    byte[] bytesNoCopy() {
        return data;
    }

    /**
     * The values of an F32 tensor.
     *
     * @throws IllegalStateException if the dtype is not F32
     */
    public TensorData toTensorData() {
        requireDtype(DType.F32);
        float[] v = new float[size()];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return new TensorData(shape, v);
    }

    /**
     * The values of an I32 tensor, row-major.
     *
     * @throws IllegalStateException if the dtype is not I32
     */
    public int[] toInts() {
        requireDtype(DType.I32);
        int[] v = new int[size()];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
        return v;
    }

    /**
     * The values of a U8 tensor, row-major (as Java bytes: mask with {@code 0xFF} for 0..255).
     *
     * @throws IllegalStateException if the dtype is not U8
     */
    public byte[] toBytes() {
        requireDtype(DType.U8);
        return data.clone();
    }

    private void requireDtype(DType expected) {
        if (dtype != expected) {
            throw new IllegalStateException("tensor has dtype " + dtype + "; expected " + expected);
        }
    }

    private static int[] checkShape(int[] shape, int length) {
        int[] s = shape.clone();
        long n = TensorData.elementCount(s);
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " holds " + n + " values but "
                    + length + " were given");
        }
        return s;
    }

    /** Byte size of {@code count} elements, refused when it would not fit in one Java array. */
    static int checkedBytes(DType dtype, long count) {
        long bytes = count * dtype.bytes();
        if (bytes > Safetensors.MAX_TENSOR_BYTES) {
            throw new IllegalArgumentException(count + " " + dtype + " values take " + bytes
                    + " bytes; expected at most " + Safetensors.MAX_TENSOR_BYTES + " per tensor");
        }
        return (int) bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "StoredTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
