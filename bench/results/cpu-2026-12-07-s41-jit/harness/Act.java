import dev.dendrite.backend.*;
import dev.dendrite.backend.cpu.CpuBackend;
import java.lang.management.ManagementFactory;
import java.util.*;

public class Act {
    static com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static long allocated() {
        long[] ids = tmx.getAllThreadIds();
        long s = 0;
        for (long b : tmx.getThreadAllocatedBytes(ids)) if (b > 0) s += b;
        return s;
    }
    public static void main(String[] a) {
        int rows = 128, cols = 512, n = rows * cols;
        int phases = Integer.parseInt(a.length > 1 ? a[1] : "8"), reps = 300;
        float[] z = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) z[i] = (float) (r.nextGaussian() * 2);
        try (Backend be = new CpuBackend(2)) {
            Buffer zb = be.allocate(DType.F32, n), yb = be.allocate(DType.F32, n), dyb = be.allocate(DType.F32, n),
                    dzb = be.allocate(DType.F32, n), bias = be.allocate(DType.F32, cols);
            be.upload(z, 0, zb.all());
            be.upload(z, 0, dyb.all());
            for (String name : a[0].split(",")) {
                ActivationFunction f = ActivationFunction.fromName(name);
                StringBuilder sb = new StringBuilder(name + ":");
                for (int ph = 0; ph < phases; ph++) {
                    long a0 = allocated(), t0 = System.nanoTime();
                    for (int k = 0; k < reps; k++) {
                        be.biasActivationForward(zb.all(), null, rows, cols, f, f.defaultAlpha(), yb.all());
                        be.activationBackward(zb.all(), yb.all(), dyb.all(), rows, cols, f, f.defaultAlpha(), dzb.all(), null);
                        be.synchronize();
                    }
                    sb.append(String.format(" %.0fus/%.0fKB", (System.nanoTime() - t0) / 1e3 / reps, (allocated() - a0) / 1024.0 / reps));
                }
                System.out.println(sb);
            }
        }
    }
}
