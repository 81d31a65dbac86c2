package dev.dendrite.spark;

import java.io.Serializable;

import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.TrainTest;

/**
 * A {@link TrainTest} as plain arrays, the value Spark broadcasts: each executor receives (and deserializes) it
 * once, however many of its tasks train on it. The images stay bytes, so Fashion-MNIST travels as its 55 MB.
 */
final class ShippedData implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Part train;
    private final Part test;
    private final String source;

    private ShippedData(Part train, Part test, String source) {
        this.train = train;
        this.test = test;
        this.source = source;
    }

    static ShippedData of(TrainTest data) {
        return new ShippedData(Part.of(data.train()), Part.of(data.test()), data.source());
    }

    /** The same data set again, on the executor; wraps the arrays without copying them. */
    TrainTest toTrainTest() {
        return new TrainTest(train.toDataset(), test.toDataset(), source);
    }

    private record Part(byte[] bytes, int[] shape, float[] scale, float[] shift, int[] labels, String[] classNames,
            String source) implements Serializable {
        static Part of(Dataset d) {
            ByteTensor im = d.images();
            int n = im.rows() * im.sampleSize();
            byte[] bytes = new byte[n];
            System.arraycopy(im.array(), im.arrayOffset(), bytes, 0, n);
            int[] sample = im.sampleShape();
            int[] shape = new int[sample.length + 1];
            shape[0] = im.rows();
            System.arraycopy(sample, 0, shape, 1, sample.length);
            return new Part(bytes, shape, im.scale(), im.shift(), d.labels(), d.classNames(), d.source());
        }

        Dataset toDataset() {
            ByteTensor im = ByteTensor.wrap(bytes, shape);
            if (scale != null) {
                im = im.withTransform(scale, shift);
            }
            return new Dataset(im, labels, classNames, source);
        }
    }
}
