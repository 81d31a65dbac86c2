import dev.dendrite.backend.*;

/** ns per call of tiny ops on the cpu backend, where the checks and dispatch are most of the cost. */
public class CheckCost {
    public static void main(String[] a) {
        Backend be = Backends.create("cpu");
        int n = 8, rows = 2, cols = 4;
        Slice p = be.allocate(DType.F32, n).all(), g = be.allocate(DType.F32, n).all();
        Slice m = be.allocate(DType.F32, n).all(), v = be.allocate(DType.F32, n).all();
        Slice hyper = be.allocate(DType.F32, 4).all();
        be.fill(hyper, 1e-3f);
        Slice counters = be.allocate(DType.I32, 2).all();
        Slice x = be.allocate(DType.F32, rows * cols).all(), dy = be.allocate(DType.F32, rows * cols).all();
        Slice dx = be.allocate(DType.F32, rows * cols).all(), out = be.allocate(DType.F32, cols).all();
        Slice probs = be.allocate(DType.F32, rows * cols).all(), stats = be.allocate(DType.F32, 2).all();
        Slice labels = be.allocate(DType.I32, rows).all();
        Slice sm = be.allocate(DType.F32, cols).all(), si = be.allocate(DType.F32, cols).all();
        be.fill(si, 1f);
        Slice dg = be.allocate(DType.F32, cols).all(), db = be.allocate(DType.F32, cols).all();
        String[] names = {"adamUpdate", "columnSums", "reluBackward", "batchNormBackward", "softmaxCrossEntropy",
            "dropoutForward"};
        Runnable[] ops = {
            () -> be.adamUpdate(p, g, m, v, null, n, hyper, counters, 0.9f, 0.999f, 1e-7f),
            () -> be.columnSums(x, rows, cols, out),
            () -> be.reluBackward(x, dy, n, 0f, Float.POSITIVE_INFINITY, 0f, dx),
            () -> be.batchNormBackward(x, dy, rows, cols, null, sm, si, dx, dg, db),
            () -> be.softmaxCrossEntropy(x, labels, true, rows, cols, probs, dx, 0.5f, stats),
            () -> be.dropoutForward(x, dx, n, 0.5f, 42L, 0, counters),
        };
        int iters = Integer.parseInt(a.length > 0 ? a[0] : "2000000");
        StringBuilder sb = new StringBuilder();
        for (int o = 0; o < ops.length; o++) {
            Runnable r = ops[o];
            for (int i = 0; i < iters; i++) r.run(); // warm-up
            long best = Long.MAX_VALUE;
            for (int rep = 0; rep < 15; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < iters; i++) r.run();
                best = Math.min(best, System.nanoTime() - t0);
            }
            sb.append(names[o]).append(' ').append(String.format("%.1f", (double) best / iters)).append('\n');
        }
        System.out.print(sb);
        be.close();
    }
}
