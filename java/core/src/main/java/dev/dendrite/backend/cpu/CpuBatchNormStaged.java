package dev.dendrite.backend.cpu;

/**
 * {@link CpuBatchNormOps}'s loops without the Vector API: each row segment is copied to a staging tile and run
 * through {@link CpuLoops}, whose superword loops index every array from 0 (see that class for why). The per-column
 * arrays come from the caller; the staging tiles are the calling thread's slots {@link #X_TILE} and
 * {@link #DY_TILE}, which no op's own arrays use.
 */
final class CpuBatchNormStaged implements CpuBatchNormOps.Loops {
    /** The tile slots a row segment of x, and of dy, is staged in. */
    static final int X_TILE = 9;
    static final int DY_TILE = 10;

    private final CpuParallel par;

    CpuBatchNormStaged(CpuParallel par) {
        this.par = par;
    }

    @Override
    public void sums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] sum, float[] carry) {
        float[] row = par.tiles().get(X_TILE, w);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * cols + c0, row, 0, w);
            CpuLoops.kahanAdd(sum, carry, row, 0, w);
        }
    }

    @Override
    public void squaredDeviationSums(float[] x, int xOff, int rows, int cols, int c0, int w, float[] mean,
                                     float[] sum, float[] carry) {
        float[] row = par.tiles().get(X_TILE, w);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * cols + c0, row, 0, w);
            CpuLoops.kahanAddSquaredDeviation(sum, carry, row, mean, 0, w);
        }
    }

    @Override
    public void normalize(float[] x, int xOff, float[] y, int yOff, int rows, int cols, int c0, int w, float[] mean,
                          float[] inv, float[] g, float[] b) {
        float[] row = par.tiles().get(X_TILE, w);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * cols + c0, row, 0, w);
            CpuLoops.batchNormalize(row, mean, inv, g, b, 0, w);
            System.arraycopy(row, 0, y, yOff + r * cols + c0, w);
        }
    }

    @Override
    public void gradientSums(float[] x, int xOff, float[] dy, int dyOff, int rows, int cols, int c0, int w,
                             float[] mean, float[] inv, float[] sumDy, float[] carryDy, float[] sumDyXhat,
                             float[] carryDyXhat) {
        CpuParallel.Tiles t = par.tiles();
        float[] xRow = t.get(X_TILE, w);
        float[] dyRow = t.get(DY_TILE, w);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * cols + c0, xRow, 0, w);
            System.arraycopy(dy, dyOff + r * cols + c0, dyRow, 0, w);
            CpuLoops.batchNormGradientSums(sumDy, carryDy, sumDyXhat, carryDyXhat, xRow, dyRow, mean, inv, 0, w);
        }
    }

    @Override
    public void inputGradient(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols,
                              int c0, int w, float[] mean, float[] inv, float[] g, float[] sumDy, float[] sumDyXhat,
                              float n) {
        CpuParallel.Tiles t = par.tiles();
        float[] xRow = t.get(X_TILE, w);
        float[] dyRow = t.get(DY_TILE, w);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * cols + c0, xRow, 0, w);
            System.arraycopy(dy, dyOff + r * cols + c0, dyRow, 0, w);
            CpuLoops.batchNormInputGradient(xRow, dyRow, mean, inv, g, sumDy, sumDyXhat, n, 0, w);
            System.arraycopy(dyRow, 0, dx, dxOff + r * cols + c0, w);
        }
    }
}
