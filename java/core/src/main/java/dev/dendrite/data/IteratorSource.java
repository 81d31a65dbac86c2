package dev.dendrite.data;

import java.util.Iterator;

/**
 * A generator of batches (Keras's {@code fit(generator, steps_per_epoch=...)}): each call takes the iterator's
 * next batch, whatever the index, so the source is endless and {@code fit} needs {@code stepsPerEpoch}. Made by
 * {@link DataSource#fromIterator}; closes the iterator if it is {@link AutoCloseable}.
 */
final class IteratorSource implements DataSource {
    private final Iterator<Batch> batches;

    IteratorSource(Iterator<Batch> batches) {
        if (batches == null) {
            throw new IllegalArgumentException("the iterator of batches is null");
        }
        this.batches = batches;
    }

    @Override
    public int batchesPerEpoch() {
        return -1;
    }

    @Override
    public Batch batch(int index) {
        if (!batches.hasNext()) {
            throw new IllegalStateException("the iterator has no batch left at batch " + index
                    + "; give stepsPerEpoch (and validationSteps) no larger than the batches it yields");
        }
        return batches.next();
    }

    @Override
    public void close() {
        if (batches instanceof AutoCloseable) {
            try {
                ((AutoCloseable) batches).close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the iterator of batches failed: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "DataSource.fromIterator(" + batches + ")";
    }
}
