package dev.dendrite.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the Fashion-MNIST sample bundled in the jar from the full dataset. Selection rule: scanning each file
 * in its original order, keep the first {@value #TRAIN_PER_CLASS} training images and the first
 * {@value #TEST_PER_CLASS} test images of each class, in their original relative order (classes stay
 * interleaved, so the first rows of the sample are not all one class). Output: the four standard IDX files,
 * gzip-compressed at maximum level (reproducible byte for byte with the same zlib version).
 *
 * <p>Run after {@code mvn -pl java/core -am test-compile}, from the repository root:
 * <pre>
 * java -cp java/core/target/classes:java/core/target/test-classes dev.dendrite.data.FashionMnistSampleBuilder \
 *     /usr/share/datasets/fashion-mnist java/core/src/main/resources/dev/dendrite/data/fashion-mnist-sample
 * </pre>
 * {@code FashionMnistSampleTest} checks that the bundled files equal what this rule selects whenever the full
 * dataset is installed.
 */
public final class FashionMnistSampleBuilder {
    static final int TRAIN_PER_CLASS = 300;
    static final int TEST_PER_CLASS = 100;

    private FashionMnistSampleBuilder() {
    }

    /** The rows of {@code labels} to keep: the first {@code perClass} of each class 0..9, ascending. */
    static int[] select(int[] labels, int perClass) {
        int[] taken = new int[10];
        int[] rows = new int[10 * perClass];
        int n = 0;
        for (int i = 0; i < labels.length && n < rows.length; i++) {
            if (taken[labels[i]] < perClass) {
                taken[labels[i]]++;
                rows[n++] = i;
            }
        }
        if (n < rows.length) {
            throw new IllegalStateException("only " + n + " rows qualify; expected " + rows.length);
        }
        return rows;
    }

    /** The four IDX files of the sample, uncompressed, in {@link IdxDatasetFinder#FILES} order. */
    static byte[][] build(Path fullDir) throws IOException {
        TrainTest full = new IdxDatasetFinder("Fashion-MNIST", "fashion-mnist", FashionMnist.classNames())
                .loadExplicit(fullDir);
        Dataset train = full.train();
        Dataset test = full.test();
        int[] trainRows = select(train.labels(), TRAIN_PER_CLASS);
        int[] testRows = select(test.labels(), TEST_PER_CLASS);
        return new byte[][] {
            imagesIdx(train.images().select(trainRows)),
            labelsIdx(train.select(trainRows, "sample").labels()),
            imagesIdx(test.images().select(testRows)),
            labelsIdx(test.select(testRows, "sample").labels()),
        };
    }

    private static byte[] imagesIdx(ByteTensor images) {
        int[] s = images.sampleShape();
        return IdxFiles.idx(new int[] {images.rows(), s[0], s[1]}, images.array().clone());
    }

    private static byte[] labelsIdx(int[] labels) {
        return IdxFiles.labels(labels);
    }

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args.length > 0 ? args[0] : FashionMnist.SYSTEM_DIR);
        Path out = Path.of(args.length > 1 ? args[1]
                : "java/core/src/main/resources/dev/dendrite/data/fashion-mnist-sample");
        byte[][] files = build(in);
        for (int i = 0; i < files.length; i++) {
            byte[] gz = IdxFiles.gzip(files[i]);
            Path p = IdxFiles.write(out.resolve(IdxDatasetFinder.FILES[i] + ".gz"), gz);
            System.out.println(p + ": " + gz.length + " bytes");
        }
    }
}
