package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.DataSource;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Tensor;

/**
 * A dataset uploaded to a backend once, so that every batch is gathered on the device: image bytes stay
 * bytes (a quarter of the memory) and their preprocessing is applied by the gather.
 */
final class DeviceData implements AutoCloseable {
    private final List<Buffer> buffers = new ArrayList<>();
    private final int rows;
    private Slice x;
    private Slice scale;
    private Slice shift;
    private Slice y;
    private int yWidth;
    /** Keras's sample_weight: one F32 weight per row, or null. */
    private Slice w;

    private DeviceData(int rows) {
        this.rows = rows;
    }

    /**
     * Uploads inputs and, when given, sparse labels or dense targets (at most one of them).
     */
    static DeviceData upload(Backend backend, Inputs inputs, int[] labels, Tensor targets) {
        return upload(backend, inputs, labels, targets, null);
    }

    /** {@link #upload(Backend, Inputs, int[], Tensor)} with a weight per sample ({@code sampleWeight}, or null). */
    static DeviceData upload(Backend backend, Inputs inputs, int[] labels, Tensor targets, float[] sampleWeight) {
        DeviceData d = new DeviceData(inputs.rows());
        try {
            int width = inputs.sampleSize();
            if (inputs instanceof ByteTensor) {
                ByteTensor b = (ByteTensor) inputs;
                d.x = d.alloc(backend, DType.U8, b.rows() * width);
                backend.upload(b.array(), b.arrayOffset(), d.x);
                float[] sc = b.scale();
                if (sc != null) {
                    d.scale = d.alloc(backend, DType.F32, width);
                    d.shift = d.alloc(backend, DType.F32, width);
                    backend.upload(sc, 0, d.scale);
                    backend.upload(b.shift(), 0, d.shift);
                }
            } else {
                Tensor t = inputs.toTensor();
                d.x = d.alloc(backend, DType.F32, t.rows() * width);
                backend.upload(t.array(), t.arrayOffset(), d.x);
            }
            if (labels != null) {
                d.y = d.alloc(backend, DType.I32, labels.length);
                backend.upload(labels, 0, d.y);
                d.yWidth = 1;
            } else if (targets != null) {
                d.yWidth = targets.sampleSize();
                d.y = d.alloc(backend, DType.F32, targets.rows() * d.yWidth);
                backend.upload(targets.array(), targets.arrayOffset(), d.y);
            }
            if (sampleWeight != null) {
                d.w = d.alloc(backend, DType.F32, sampleWeight.length);
                backend.upload(sampleWeight, 0, d.w);
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * Room for {@code rows} samples of the kind of {@code like} (uint8 with its transform, uploaded here once, or
     * float32) and for its labels or targets and sample weights, filled batch by batch with {@link #load}: how a
     * data source's batches reach the device.
     */
    static DeviceData staging(Backend backend, int rows, DataSource.Batch like) {
        DeviceData d = new DeviceData(rows);
        try {
            int width = like.x().sampleSize();
            if (like.x() instanceof ByteTensor) {
                ByteTensor b = (ByteTensor) like.x();
                d.x = d.alloc(backend, DType.U8, rows * width);
                if (b.scale() != null) {
                    d.scale = d.alloc(backend, DType.F32, width);
                    d.shift = d.alloc(backend, DType.F32, width);
                    backend.upload(b.scale(), 0, d.scale);
                    backend.upload(b.shift(), 0, d.shift);
                }
            } else {
                d.x = d.alloc(backend, DType.F32, rows * width);
            }
            if (like.labels() != null) {
                d.y = d.alloc(backend, DType.I32, rows);
                d.yWidth = 1;
            } else if (like.targets() != null) {
                d.yWidth = like.targets().sampleSize();
                d.y = d.alloc(backend, DType.F32, rows * d.yWidth);
            }
            if (like.sampleWeight() != null) {
                d.w = d.alloc(backend, DType.F32, rows);
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * Uploads {@code batch} into rows {@code [start, start + batch.size())} of data made by {@link #staging} for a
     * batch of the same kind (uint8 inputs with the same transform, or float32; the same kind of labels).
     */
    void load(int start, DataSource.Batch batch) {
        Backend backend = x.buffer().backend();
        int n = batch.size();
        int width = x.length() / rows;
        Slice xs = x.slice(start * width, n * width);
        if (x.dtype() == DType.U8) {
            ByteTensor b = (ByteTensor) batch.x();
            backend.upload(b.array(), b.arrayOffset(), xs);
        } else {
            Tensor t = batch.x().toTensor();
            backend.upload(t.array(), t.arrayOffset(), xs);
        }
        if (batch.labels() != null) {
            backend.upload(batch.labels(), 0, y.slice(start, n));
        } else if (batch.targets() != null) {
            backend.upload(batch.targets().array(), batch.targets().arrayOffset(),
                    y.slice(start * yWidth, n * yWidth));
        }
        if (batch.sampleWeight() != null) {
            backend.upload(batch.sampleWeight(), 0, w.slice(start, n));
        }
    }

    /** Rows {@code [start, start + count)} as data that owns no memory (closing it frees nothing). */
    DeviceData view(int start, int count) {
        DeviceData v = new DeviceData(count);
        int width = x.length() / rows;
        v.x = x.slice(start * width, count * width);
        v.scale = scale;
        v.shift = shift;
        v.yWidth = yWidth;
        v.y = y == null ? null : y.slice(start * yWidth, count * yWidth);
        v.w = w == null ? null : w.slice(start, count);
        return v;
    }

    private Slice alloc(Backend backend, DType type, int length) {
        Buffer b = backend.allocate(type, Math.max(1, length));
        buffers.add(b);
        return b.slice(0, length);
    }

    int rows() {
        return rows;
    }

    Slice x() {
        return x;
    }

    Slice scale() {
        return scale;
    }

    Slice shift() {
        return shift;
    }

    Slice y() {
        return y;
    }

    /** The samples' weights (Keras's sample_weight), or null. */
    Slice w() {
        return w;
    }

    int yWidth() {
        return yWidth;
    }

    @Override
    public void close() {
        buffers.forEach(Buffer::close);
        buffers.clear();
    }
}
