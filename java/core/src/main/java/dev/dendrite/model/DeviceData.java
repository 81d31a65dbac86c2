package dev.dendrite.model;

import java.util.ArrayList;
import java.util.List;

import dev.dendrite.backend.Backend;
import dev.dendrite.backend.Buffer;
import dev.dendrite.backend.DType;
import dev.dendrite.backend.Slice;
import dev.dendrite.data.ByteTensor;
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

    private DeviceData(int rows) {
        this.rows = rows;
    }

    /**
     * Uploads inputs and, when given, sparse labels or dense targets (at most one of them).
     */
    static DeviceData upload(Backend backend, Inputs inputs, int[] labels, Tensor targets) {
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
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
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

    int yWidth() {
        return yWidth;
    }

    @Override
    public void close() {
        buffers.forEach(Buffer::close);
        buffers.clear();
    }
}
