package dev.dendrite.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.dendrite.data.ImageLoader.Invert;

class ImageLoaderTest {
    @TempDir
    Path tmp;

    private static BufferedImage filled(int w, int h, int type, Color c) {
        BufferedImage img = new BufferedImage(w, h, type);
        Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    /** A 100 x 60 black picture with a white rectangle over x in [20, 80), y in [15, 45). */
    private static BufferedImage rectangle(Color background, Color foreground) {
        BufferedImage img = filled(100, 60, BufferedImage.TYPE_INT_RGB, background);
        Graphics2D g = img.createGraphics();
        g.setColor(foreground);
        g.fillRect(20, 15, 60, 30);
        g.dispose();
        return img;
    }

    private static int px(ByteTensor t, int row, int col) {
        return t.pixel(0, row * t.sampleShape()[1] + col);
    }

    @Test
    void colourBecomesLuminance() {
        assertEquals(76, px(ImageLoader.fromImage(filled(5, 5, BufferedImage.TYPE_INT_RGB, Color.RED), 28, 28,
                Invert.NEVER), 14, 14)); // 0.299 * 255 = 76.2
        assertEquals(150, px(ImageLoader.fromImage(filled(5, 5, BufferedImage.TYPE_INT_RGB, Color.GREEN), 28, 28,
                Invert.NEVER), 3, 20)); // 0.587 * 255 = 149.7
        assertEquals(29, px(ImageLoader.fromImage(filled(5, 5, BufferedImage.TYPE_INT_RGB, Color.BLUE), 28, 28,
                Invert.NEVER), 27, 0)); // 0.114 * 255 = 29.1
        assertEquals(255, px(ImageLoader.fromImage(filled(5, 5, BufferedImage.TYPE_INT_RGB, Color.WHITE), 28, 28,
                Invert.NEVER), 0, 0));
    }

    @Test
    void transparencyIsCompositedOverWhite() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00000000); // fully transparent black: shows the white page
        img.setRGB(1, 0, 0x80000000); // half-transparent black: mid gray
        ByteTensor t = ImageLoader.fromImage(img, 2, 1, Invert.NEVER);
        assertEquals(255, t.pixel(0, 0));
        assertEquals(127, t.pixel(0, 1), 1); // 255 * (1 - 128/255) = 127
    }

    @Test
    void rectangleKeepsAspectRatioAndIsPaddedWithBackground() {
        ByteTensor t = ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 28, 28, Invert.NEVER);
        assertArrayEquals(new int[] {1, 28, 28}, new int[] {t.rows(), t.sampleShape()[0], t.sampleShape()[1]});
        // 100 x 60 becomes 28 x 17 in rows 5..21; the rectangle covers columns 5.6..22.4 and, at 60/17 source
        // rows per row, rows 9.25..17.75.
        assertEquals(255, px(t, 14, 14));
        assertEquals(255, px(t, 10, 6));
        assertEquals(0, px(t, 2, 14), "padding above: the black background");
        assertEquals(0, px(t, 26, 14), "padding below");
        assertEquals(0, px(t, 14, 2), "picture background left of the rectangle");
        assertEquals(0, px(t, 14, 25), "picture background right of the rectangle");
        // Area averaging: column 5 is 40 % covered by the rectangle, rows 9 and 17 are 75 % covered.
        assertEquals(102, px(t, 14, 5), 1);
        assertEquals(191, px(t, 17, 14), 1);
        assertEquals(px(t, 9, 14), px(t, 17, 14));
        // Symmetric picture, symmetric result (columns 22 and 5 are both 40 % covered).
        assertEquals(px(t, 14, 5), px(t, 14, 22));
    }

    @Test
    void invertAlways() {
        ByteTensor plain = ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 28, 28, Invert.NEVER);
        ByteTensor inv = ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 28, 28, Invert.ALWAYS);
        for (int f = 0; f < 784; f++) {
            assertEquals(255 - plain.pixel(0, f), inv.pixel(0, f), "feature " + f);
        }
    }

    @Test
    void autoInvertsDarkInkOnWhitePaperOnly() {
        // Dark object on white paper: inverted to a light object on black, padding black too.
        ByteTensor paper = ImageLoader.fromImage(rectangle(Color.WHITE, Color.BLACK), 28, 28, Invert.AUTO);
        assertEquals(255, px(paper, 14, 14));
        assertEquals(0, px(paper, 14, 2));
        assertEquals(0, px(paper, 2, 14));
        // Already light on dark: left alone.
        ByteTensor dark = ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 28, 28, Invert.AUTO);
        assertEquals(255, px(dark, 14, 14));
        assertEquals(0, px(dark, 2, 14));
    }

    @Test
    void largePictureIsAreaAveragedNotPointSampled() {
        // A 1-pixel checkerboard: any point sampling gives 0 or 255, area averaging gives mid gray everywhere.
        BufferedImage img = new BufferedImage(1400, 1400, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 1400; y++) {
            for (int x = 0; x < 1400; x++) {
                img.getRaster().setSample(x, y, 0, ((x + y) & 1) == 0 ? 255 : 0);
            }
        }
        ByteTensor t = ImageLoader.fromImage(img, 28, 28, Invert.NEVER);
        for (int f = 0; f < 784; f++) {
            assertEquals(127.5, t.pixel(0, f), 1.0, "feature " + f);
        }
    }

    @Test
    void smallPictureIsEnlarged() {
        BufferedImage img = new BufferedImage(7, 7, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(3, 2, 0, 200);
        ByteTensor t = ImageLoader.fromImage(img, 28, 28, Invert.NEVER);
        // Each source pixel becomes a 4 x 4 block.
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int expected = (r / 4 == 2 && c / 4 == 3) ? 200 : 0;
                assertEquals(expected, px(t, r, c), "(" + r + ", " + c + ")");
            }
        }
    }

    @Test
    void grayPngKeepsItsStoredValues() throws IOException {
        // getRGB would report stored gray 128 as 188 (linear-to-sRGB conversion); the loader must not.
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                img.getRaster().setSample(x, y, 0, 128);
            }
        }
        Path file = tmp.resolve("gray.png");
        ImageIO.write(img, "png", file.toFile());
        ByteTensor t = ImageLoader.load(file, Invert.NEVER);
        assertEquals(128, t.pixel(0, 100));
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "jpg", "gif", "bmp"})
    void readsCommonFormatsFromFiles(String format) throws IOException {
        BufferedImage img = format.equals("gif")
                ? new BufferedImage(100, 60, BufferedImage.TYPE_BYTE_INDEXED)
                : new BufferedImage(100, 60, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.drawImage(rectangle(Color.WHITE, Color.BLACK), 0, 0, null);
        g.dispose();
        Path file = tmp.resolve("picture." + format);
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
        ByteTensor t = ImageLoader.load(file); // 28 x 28, auto-invert
        assertArrayEquals(new int[] {28, 28}, t.sampleShape());
        assertEquals(255, px(t, 14, 14), 8, format); // JPEG is lossy
        assertEquals(0, px(t, 2, 14), 8, format);
    }

    @Test
    void configurableSize() {
        ByteTensor t = ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 20, 12, Invert.NEVER);
        assertArrayEquals(new int[] {12, 20}, t.sampleShape());
        assertEquals(1, t.rows());
        assertEquals(255, px(t, 6, 10));
        assertThrows(IllegalArgumentException.class,
                () -> ImageLoader.fromImage(rectangle(Color.BLACK, Color.WHITE), 0, 28, Invert.NEVER));
    }

    @Test
    void nonImageFileIsAnIOExceptionNamingIt() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.png"), "this is not a picture");
        IOException e = assertThrows(IOException.class, () -> ImageLoader.load(text));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a readable image"), e.getMessage());

        Path missing = tmp.resolve("missing.jpg");
        e = assertThrows(IOException.class, () -> ImageLoader.load(missing));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());

        Path dir = Files.createDirectories(tmp.resolve("folder.png"));
        e = assertThrows(IOException.class, () -> ImageLoader.load(dir));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void truncatedImageIsAnIOException() throws IOException {
        Path file = tmp.resolve("cut.png");
        ImageIO.write(rectangle(Color.BLACK, Color.WHITE), "png", file.toFile());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> ImageLoader.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
