package dev.dendrite.backend.cpu;

import dev.dendrite.backend.AffineAugment;
import dev.dendrite.backend.FillMode;
import dev.dendrite.backend.Interpolation;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

public class AffH {
    public static void main(String[] args) {
        int rows = 128, hw = 784, calls = 100, rounds = Integer.parseInt(args[0]);
        FillMode mode = FillMode.valueOf(args.length > 1 ? args[1] : "NEAREST");
        AffineAugment a = AffineAugment.IDENTITY.withRotation(-10f / 360, 10f / 360).withShift(-0.1f, 0.1f, -0.1f, 0.1f)
                .withZoom(0.9f, 1.1f, 0.9f, 1.1f, false).withFill(mode, Interpolation.BILINEAR, 0f);
        float[] x = new float[rows * hw];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        float[] y1 = new float[x.length], y2 = new float[x.length];
        CpuAffine.Kernel oldK = new OldAffine(), newK = new CpuAffineVector();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int round = 0; round < rounds; round++) {
            double[] ns = new double[2];
            for (int w = 0; w < 2; w++) {
                CpuAffine.Kernel k = ((round + w) % 2 == 0) ? oldK : newK;
                float[] y = k == oldK ? y1 : y2;
                long t0 = mx.getCurrentThreadCpuTime();
                for (int c = 0; c < calls; c++) k.apply(x, 0, y, 0, 0, rows, 28, 28, a, 7, round * calls + c, 0);
                ns[k == oldK ? 0 : 1] = (mx.getCurrentThreadCpuTime() - t0) / (double) calls / x.length;
            }
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(y1[i]) != Float.floatToRawIntBits(y2[i])) { if (Integer.getInteger("skip",0)==0) throw new AssertionError("bits " + i); };
            }
            System.out.printf("round %d old %.2f new %.2f ns/px ratio %.3f%n", round, ns[0], ns[1], ns[1] / ns[0]);
        }
    }
}
