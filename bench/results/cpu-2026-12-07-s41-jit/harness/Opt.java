import dev.dendrite.backend.*;
import dev.dendrite.backend.cpu.CpuBackend;
import java.util.*;

public class Opt {
    public static void main(String[] a) {
        String op = a[0];
        int n = 669_706;
        try (Backend be = new CpuBackend()) {
            SplittableRandom rnd = new SplittableRandom(42);
            Buffer p = rand(be, n, rnd), g = rand(be, n, rnd);
            Buffer m1 = be.allocate(DType.F32, n), m2 = be.allocate(DType.F32, n);
            Buffer hyper = be.allocate(DType.F32, 4);
            be.fill(hyper.all(), 1e-3f);
            Buffer counters = be.allocate(DType.I32, Backend.COUNTERS_LENGTH);
            double[] t = new double[30];
            for (int r = -10 - Integer.getInteger("extra", 0); r < 30; r++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < 50; k++) {
                    switch (op) {
                        case "adamax": be.adamaxUpdate(p.all(), g.all(), m1.all(), m2.all(), n, hyper.all(), counters.all(), 0.9f, 0.999f, 1e-7f); break;
                        case "nadam": be.nadamUpdate(p.all(), g.all(), m1.all(), m2.all(), n, hyper.all(), counters.all(), 0.9f, 0.999f, 1e-7f); break;
                        case "adam": be.adamUpdate(p.all(), g.all(), m1.all(), m2.all(), null, n, hyper.all(), counters.all(), 0.9f, 0.999f, 1e-7f); break;
                        case "rmsprop": be.rmspropUpdate(p.all(), g.all(), m2.all(), null, null, n, hyper.all(), 0.9f, 0f, 1e-7f); break;
                        case "adagrad": be.adagradUpdate(p.all(), g.all(), m2.all(), n, hyper.all(), 1e-7f); break;
                        case "adadelta": be.adadeltaUpdate(p.all(), g.all(), m1.all(), m2.all(), n, hyper.all(), 0.95f, 1e-7f); break;
                        case "sgdm": be.sgdUpdate(p.all(), g.all(), m1.all(), n, hyper.all(), 0.9f, false); break;
                        default: throw new IllegalArgumentException(op);
                    }
                    be.synchronize();
                }
                if (r >= 0) t[r] = (System.nanoTime() - t0) / 50e3; if (System.getenv("TL") != null) System.out.printf("%.0f ", (System.nanoTime() - t0) / 50e3);
            }
            Arrays.sort(t);
            System.out.printf("%s median %.1f us  (min %.1f, p90 %.1f)%n", op, t[15], t[0], t[27]);
        }
    }
    static Buffer rand(Backend be, int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() - 0.5);
        Buffer b = be.allocate(DType.F32, n);
        be.upload(v, 0, b.all());
        return b;
    }
}
