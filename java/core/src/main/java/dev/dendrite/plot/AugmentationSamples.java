package dev.dendrite.plot;

import java.io.IOException;
import java.nio.file.Path;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.Augment;
import dev.dendrite.backend.PixelAugment;
import dev.dendrite.data.ByteTensor;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.ImageDataGenerator;

/**
 * Draws the picture of augmentation in {@code docs/}: eight Fashion-MNIST images (the bundled sample), first as
 * they are, then in each later row as the training steps 1, 2, ... see them through the notebook generator's
 * transforms ({@code rotation_range=15, width/height_shift_range=0.1, zoom_range=0.1, horizontal_flip}) and, in the
 * last rows, erasing. The same formulas as the layers on every backend ({@link Augment}).
 *
 * <pre>java -cp java/target/classes dev.dendrite.plot.AugmentationSamples docs/augmentation-fashion-mnist.png</pre>
 */
public final class AugmentationSamples {
    private AugmentationSamples() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/augmentation-fashion-mnist.png");
        Dataset train = FashionMnist.loadSample().train();
        int columns = 8;
        int steps = 5;
        int h = 28;
        int w = 28;
        int hw = h * w;
        float[] originals = new float[columns * hw];
        int[] labels = new int[columns];
        for (int c = 0; c < columns; c++) {
            int row = c * 37; // varied classes from the sample's start
            labels[c] = train.labels()[row];
            for (int i = 0; i < hw; i++) {
                originals[c * hw + i] = train.images().pixel(row, i);
            }
        }
        AffineAugment affine = new ImageDataGenerator().rotationRange(15).widthShiftRange(0.1).heightShiftRange(0.1)
                .zoomRange(0.1).horizontalFlip(true).fillMode("constant").spec(h, w);
        PixelAugment erase = new PixelAugment(false, 1, 1, false, 0, 0, 0, 255, true, 1, 1, 0.05f, 0.2f, 0);
        int total = columns * (steps + 1);
        byte[] pixels = new byte[total * hw];
        int[] truth = new int[total];
        float[] step = new float[columns * hw];
        for (int s = 0; s <= steps; s++) {
            if (s == 0) {
                System.arraycopy(originals, 0, step, 0, step.length);
            } else {
                Augment.affine(originals, 0, step, 0, 0, columns, h, w, affine, 2026, s, 0);
                if (s > steps - 2) {
                    Augment.pixels(step, 0, step, 0, 0, columns, h, w, erase, 2026, s, 1);
                }
            }
            for (int i = 0; i < step.length; i++) {
                pixels[s * columns * hw + i] = (byte) Math.round(Math.min(255f, Math.max(0f, step[i])));
            }
            System.arraycopy(labels, 0, truth, s * columns, columns);
        }
        ImageGridChart chart = new ImageGridChart("Fashion-MNIST: originals (top), then training steps 1-5 augmented",
                ByteTensor.wrap(pixels, total, h, w), truth, null, FashionMnist.classNames(), total, columns);
        chart.write(out);
        System.out.println("wrote " + out.toAbsolutePath());
    }
}
