package dev.dendrite.data;

import static dev.dendrite.testing.Bounded.mentions;
import static dev.dendrite.testing.Bounded.rejects;
import static dev.dendrite.testing.Bounded.withProperty;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.dendrite.io.ReadLimits;

/** Hostile pictures, generated here: enormous declared sizes and truncated data fail fast and in little memory. */
class ImageLoaderLimitsTest {
    private static final long MB = 1 << 20;

    @TempDir
    Path tmp;

    /** A PNG of {@code width x height} 8-bit gray pixels whose IDAT holds {@code rows} zero rows (or fewer). */
    static byte[] png(int width, int height, int rows) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(width);
        d.writeInt(height);
        d.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit, grayscale, deflate, adaptive filter, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
            byte[] row = new byte[Math.min(width, 4096) + 1];
            for (int r = 0; r < rows; r++) {
                z.write(row);
            }
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }

    @Test
    void aPngHeaderClaiming60000By60000IsRejectedBeforeDecoding() throws IOException {
        Path p = Files.write(tmp.resolve("huge.png"), png(60000, 60000, 2));
        IOException e = rejects(IOException.class, 16 * MB, () -> ImageLoader.load(p));
        mentions(e, p.toString(), "60000 x 60000 = 3600000000 pixels", "1 to 64000000", ReadLimits.MAX_IMAGE_PIXELS);
    }

    @Test
    void aGifHeaderClaimingTheLargestSizeIsRejected() throws IOException {
        // GIF89a, logical screen and image both 65535 x 65535, a minimal LZW stream.
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0,
            0x2c, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 2, 2, 0x4c, 1, 0, 0x3b};
        Path p = Files.write(tmp.resolve("huge.gif"), gif);
        IOException e = rejects(IOException.class, 16 * MB, () -> ImageLoader.load(p));
        mentions(e, p.toString(), "65535 x 65535", ReadLimits.MAX_IMAGE_PIXELS);
    }

    @Test
    void theLimitCanBeLoweredOrRaised() throws Throwable {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Path p = tmp.resolve("small.png");
        ImageIO.write(img, "png", p.toFile());
        withProperty(ReadLimits.MAX_IMAGE_PIXELS, "1000", () -> {
            IOException e = rejects(IOException.class, 16 * MB, () -> ImageLoader.load(p));
            mentions(e, p.toString(), "40 x 30 = 1200 pixels", "1 to 1000");
        });
        assertEquals(784, ImageLoader.load(p).sampleSize());
    }

    @Test
    void aTruncatedJpegIsRejectedNotFilledWithGrey() throws IOException {
        BufferedImage img = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        Random r = new Random(14);
        for (int i = 0; i < 400; i++) {
            g.setColor(new Color(r.nextInt()));
            g.fillRect(r.nextInt(200), r.nextInt(200), 20, 20);
        }
        g.dispose();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", buf);
        byte[] jpeg = buf.toByteArray();
        Path p = Files.write(tmp.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        IOException e = rejects(IOException.class, 64 * MB, () -> ImageLoader.load(p));
        mentions(e, p.toString());
    }

    @Test
    void aPngWithMissingRowsIsRejected() throws IOException {
        // A 3000 x 3000 header whose data stops after 10 rows: within the limit, but truncated.
        Path p = Files.write(tmp.resolve("short.png"), png(3000, 3000, 10));
        IOException e = rejects(IOException.class, 64 * MB, () -> ImageLoader.load(p));
        mentions(e, p.toString());
    }
}
