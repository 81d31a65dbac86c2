package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.layers.AffineAugmentation;
import dev.dendrite.layers.Layer;
import dev.dendrite.layers.RandomAffine;
import dev.dendrite.layers.RandomFlip;
import dev.dendrite.layers.RandomRotation;
import dev.dendrite.layers.RandomTranslation;
import dev.dendrite.layers.RandomZoom;

class ImageDataGeneratorTest {
    private static Tensor images(int n, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return Tensor.wrap(x, n, h, w);
    }

    @Test
    void withoutTransformsFlowIsAShuffleThatKeepsEachImageWithItsLabel() {
        int n = 50;
        Tensor x = images(n, 6, 5, 1);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i;
        }
        DataSource src = new ImageDataGenerator().flow(x, labels, 16);
        assertEquals(4, src.batchesPerEpoch());
        boolean[] seen = new boolean[n];
        int[] firstEpoch = new int[n];
        int k = 0;
        for (int b = 0; b < 4; b++) {
            DataSource.Batch batch = src.batch(b);
            assertEquals(b < 3 ? 16 : 2, batch.size());
            Tensor xb = (Tensor) batch.x();
            assertArrayEquals(new int[] {6, 5}, xb.sampleShape());
            for (int i = 0; i < batch.size(); i++) {
                int label = batch.labels()[i];
                assertFalse(seen[label], "image " + label + " twice in an epoch");
                seen[label] = true;
                firstEpoch[k++] = label;
                assertArrayEquals(x.row(label), xb.row(i), "batch " + b + " row " + i + " is not image " + label);
            }
        }
        src.onEpochEnd();
        int[] second = new int[n];
        k = 0;
        for (int b = 0; b < 4; b++) {
            for (int label : src.batch(b).labels()) {
                second[k++] = label;
            }
        }
        assertFalse(Arrays.equals(firstEpoch, second), "the second epoch has the first one's order");
    }

    @Test
    void flowKeepsEachImageWithItsSampleWeight() {
        int n = 30;
        Tensor x = images(n, 4, 4, 3);
        int[] labels = new int[n];
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i;
            w[i] = 0.25f * i;
        }
        DataSource src = new ImageDataGenerator().rotationRange(10).flow(x, labels, null, w, 8, true, 4);
        w[0] = 99; // flow keeps a copy
        int seen = 0;
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int b = 0; b < src.batchesPerEpoch(); b++) {
                DataSource.Batch batch = src.batch(b);
                for (int i = 0; i < batch.size(); i++) {
                    assertEquals(0.25f * batch.labels()[i], batch.sampleWeight()[i], "batch " + b + " row " + i);
                    seen++;
                }
            }
            src.onEpochEnd();
        }
        assertEquals(2 * n, seen);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataGenerator().flow(x, labels, null, new float[n - 1], 8, true, 4));
        assertEquals("batch has 30 samples but 29 sample weights; expected one weight per sample", e.getMessage());
    }

    @Test
    void batchesRepeatForASeedAndDifferBetweenEpochs() {
        Tensor x = images(40, 28, 28, 2);
        int[] labels = new int[40];
        ImageDataGenerator g = new ImageDataGenerator().rotationRange(20).widthShiftRange(0.1)
                .heightShiftRange(0.1).zoomRange(0.1).shearRange(10).horizontalFlip(true);
        DataSource a = g.flow(x, labels, null, 8, false, 9);
        DataSource b = g.flow(x, labels, null, 8, false, 9);
        float[] first = ((Tensor) a.batch(2).x()).toArray();
        assertArrayEquals(first, ((Tensor) b.batch(2).x()).toArray());
        assertFalse(Arrays.equals(first, ((Tensor) g.flow(x, labels, null, 8, false, 10).batch(2).x()).toArray()));
        a.onEpochEnd();
        float[] next = ((Tensor) a.batch(2).x()).toArray();
        assertFalse(Arrays.equals(first, next), "the next epoch drew the same transforms");
        // unshuffled: batch 2 holds images 16..23, each transformed, none left as it was
        float[] original = x.rows(16, 24).toArray();
        for (int i = 0; i < 8; i++) {
            assertFalse(Arrays.equals(Arrays.copyOfRange(original, i * 784, (i + 1) * 784),
                    Arrays.copyOfRange(first, i * 784, (i + 1) * 784)), "image " + i + " unchanged");
        }
    }

    @Test
    void argumentsMapOntoTheLayersRanges() {
        ImageDataGenerator g = new ImageDataGenerator().rotationRange(36).widthShiftRange(0.1).heightShiftRange(3)
                .zoomRange(0.2).horizontalFlip(true).fillMode("constant").cval(0.5);
        AffineAugment s = g.spec(30, 20);
        assertEquals(-0.1f, s.rotationLo(), 1e-7);
        assertEquals(0.1f, s.rotationHi(), 1e-7);
        assertEquals(0.1f, s.shiftHeightHi(), 1e-7); // 3 pixels of 30
        assertEquals(0.1f, s.shiftWidthHi(), 1e-7);
        assertEquals(0.8f, s.zoomHeightLo(), 1e-7);
        assertEquals(1.2f, s.zoomWidthHi(), 1e-7);
        assertEquals(FillMode.CONSTANT, s.fillMode());
        List<Layer> layers = g.asLayers(30, 20);
        assertEquals(4, layers.size());
        assertTrue(layers.get(0) instanceof RandomRotation);
        assertTrue(layers.get(1) instanceof RandomTranslation);
        assertTrue(layers.get(2) instanceof RandomZoom);
        assertTrue(layers.get(3) instanceof RandomFlip);
        AffineAugment rot = ((AffineAugmentation) layers.get(0)).spec();
        assertEquals(s.rotationHi(), rot.rotationHi());
        assertEquals(0.5f, rot.fillValue());
        assertEquals(s.zoomHeightLo(), ((AffineAugmentation) layers.get(2)).spec().zoomHeightLo(), 1e-7);
        assertEquals(0.1f, ((AffineAugmentation) layers.get(1)).spec().shiftHeightHi(), 1e-7);
        Layer one = g.shearRange(8).asLayer(30, 20);
        assertTrue(one instanceof RandomAffine);
        assertEquals(g.spec(30, 20), ((RandomAffine) one).spec(), "one layer, the flow's own transform");
    }

    @Test
    void rescaleMultipliesAfterTheTransform() {
        Tensor x = images(10, 4, 4, 3);
        int[] labels = new int[10];
        float[] plain = ((Tensor) new ImageDataGenerator().flow(x, labels, null, 10, false, 0).batch(0).x())
                .toArray();
        float[] scaled = ((Tensor) new ImageDataGenerator().rescale(0.5).flow(x, labels, null, 10, false, 0)
                .batch(0).x()).toArray();
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i] * 0.5f, scaled[i]);
        }
    }

    @Test
    void unbuiltOptionsAndBadValuesAreRefused() {
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> new ImageDataGenerator().featurewiseCenter(true));
        assertTrue(u.getMessage().contains("featurewise_center"), u.getMessage());
        new ImageDataGenerator().featurewiseCenter(false).samplewiseCenter(false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataGenerator().rotationRange(-5));
        assertTrue(e.getMessage().contains("rotation_range -5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageDataGenerator().fillMode("mirror"));
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataGenerator().flow(Tensor.wrap(new float[12], 1, 12), new int[1], 4));
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataGenerator().flow(images(3, 4, 4, 0), new int[2], 4));
        assertThrows(UnsupportedOperationException.class, () -> new ImageDataGenerator().shearRange(5).asLayers(4, 4));
        assertThrows(UnsupportedOperationException.class, () -> new ImageDataGenerator().rescale(0.5).asLayer(4, 4));
    }
}
