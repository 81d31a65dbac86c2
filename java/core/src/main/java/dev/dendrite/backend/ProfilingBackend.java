package dev.dendrite.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wraps a backend and measures where time goes, op by op: {@code new Sequential(...).backend(new
 * ProfilingBackend(Backends.create("cpu"), true))}. With {@code synchronizeEachOp} every op is followed by
 * {@link Backend#synchronize()}, so an asynchronous backend's device time is charged to the op that caused it
 * (at the price of the overlap it would otherwise have); without it, the times are what the host spends
 * issuing ops. GEMMs are keyed by their shape, so a report separates the layers of a network.
 *
 * <p>Closing the profiler closes the wrapped backend.
 */
public final class ProfilingBackend implements Backend {
    private final Backend inner;
    private final boolean synchronizeEachOp;
    private final Map<String, long[]> stats = new LinkedHashMap<>();
    /** The wrapped backend's own device clock, when it has one (CUDA events), else null. */
    private final DeviceOpTimer deviceTimer;
    private final Map<String, long[]> deviceStats = new LinkedHashMap<>();

    public ProfilingBackend(Backend inner, boolean synchronizeEachOp) {
        if (inner == null) {
            throw new IllegalArgumentException("the backend to profile is null");
        }
        this.inner = inner;
        this.synchronizeEachOp = synchronizeEachOp;
        this.deviceTimer = inner instanceof DeviceOpTimer ? (DeviceOpTimer) inner : null;
    }

    /** The wrapped backend. */
    public Backend inner() {
        return inner;
    }

    /**
     * Runs {@code op} (one call of the inner backend) and charges its time to {@code key}, after waiting for the
     * device when {@code synchronizeEachOp}. An op that throws is not counted.
     */
    private void timed(String key, Runnable op) {
        long t0 = System.nanoTime();
        int token = deviceTimer == null ? -1 : deviceTimer.begin();
        op.run();
        if (deviceTimer != null) {
            deviceTimer.end(token, key);
        }
        if (synchronizeEachOp) {
            inner.synchronize();
        }
        long[] s = stats.computeIfAbsent(key, k -> new long[2]);
        s[0]++;
        s[1] += System.nanoTime() - t0;
    }

    /** Clears the measurements (e.g. after a warm-up epoch). */
    public void reset() {
        stats.clear();
        if (deviceTimer != null) {
            deviceTimer.drain(new LinkedHashMap<>()); // the markers so far belong to what is being discarded
        }
        deviceStats.clear();
    }

    /** Whether {@link #deviceMeasurements()} has the device's own times (the wrapped backend is a DeviceOpTimer). */
    public boolean timesOnDevice() {
        return deviceTimer != null;
    }

    /**
     * Ops and device nanoseconds per op key, measured by the wrapped backend's own clock (empty when it has none):
     * what each op costs the device, without the host's issue and wait times that {@link #measurements()} holds.
     */
    public Map<String, long[]> deviceMeasurements() {
        if (deviceTimer != null) {
            deviceTimer.drain(deviceStats);
        }
        Map<String, long[]> copy = new LinkedHashMap<>();
        deviceStats.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** Total nanoseconds measured for ops whose key starts with {@code prefix} ("" for all). */
    public long totalNanos(String prefix) {
        long t = 0;
        for (Map.Entry<String, long[]> e : stats.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                t += e.getValue()[1];
            }
        }
        return t;
    }

    /** Calls and total nanoseconds per op key, in first-seen order. */
    public Map<String, long[]> measurements() {
        Map<String, long[]> copy = new LinkedHashMap<>();
        stats.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** A table of the ops sorted by total time: calls, total ms, microseconds per call, share. */
    public String report() {
        long total = Math.max(1, totalNanos(""));
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(stats.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-34s %9s %11s %11s %7s%n", "op", "calls",
                "total ms", "us/call", "share"));
        for (Map.Entry<String, long[]> e : rows) {
            long[] v = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-34s %9d %11.1f %11.1f %6.1f%%%n", e.getKey(), v[0], v[1] / 1e6,
                    v[1] / 1e3 / v[0], 100.0 * v[1] / total));
        }
        sb.append(String.format(Locale.ROOT, "%-34s %9s %11.1f%n", "total", "", total / 1e6));
        return sb.toString();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String description() {
        return inner.description() + " (profiled)";
    }

    @Override
    public long peakDeviceBytes() {
        return inner.peakDeviceBytes();
    }

    @Override
    public boolean runsOnHostCpu() {
        return inner.runsOnHostCpu();
    }

    @Override
    public Buffer allocate(DType dtype, int length) {
        return inner.allocate(dtype, length);
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    @Override
    public void upload(float[] src, int srcOffset, Slice dst) {
        timed("upload", () -> inner.upload(src, srcOffset, dst));
    }

    @Override
    public void upload(int[] src, int srcOffset, Slice dst) {
        timed("upload", () -> inner.upload(src, srcOffset, dst));
    }

    @Override
    public void upload(byte[] src, int srcOffset, Slice dst) {
        timed("upload", () -> inner.upload(src, srcOffset, dst));
    }

    @Override
    public void download(Slice src, float[] dst, int dstOffset) {
        timed("download", () -> inner.download(src, dst, dstOffset));
    }

    @Override
    public void download(Slice src, int[] dst, int dstOffset) {
        timed("download", () -> inner.download(src, dst, dstOffset));
    }

    @Override
    public void fill(Slice x, float value) {
        timed("fill", () -> inner.fill(x, value));
    }

    @Override
    public void copy(Slice src, Slice dst) {
        timed("copy", () -> inner.copy(src, dst));
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Slice a, Slice b, float beta,
                     Slice c) {
        timed("gemm " + m + "x" + n + "x" + k + (transA ? " T" : " N") + (transB ? "T" : "N"),
                () -> inner.gemm(transA, transB, m, n, k, alpha, a, b, beta, c));
    }

    @Override
    public void columnSums(Slice x, int rows, int cols, Slice out) {
        timed("columnSums", () -> inner.columnSums(x, rows, cols, out));
    }

    @Override
    public void biasActivationForward(Slice z, Slice bias, int rows, int cols, ActivationFunction f, float alpha,
                                      Slice y) {
        timed("biasActivationForward", () -> inner.biasActivationForward(z, bias, rows, cols, f, alpha, y));
    }

    @Override
    public void activationBackward(Slice z, Slice y, Slice dy, int rows, int cols, ActivationFunction f, float alpha,
                                   Slice dz, Slice dbias) {
        timed("activationBackward", () -> inner.activationBackward(z, y, dy, rows, cols, f, alpha, dz, dbias));
    }

    @Override
    public void reluForward(Slice x, int n, float negativeSlope, float maxValue, float threshold, Slice y) {
        timed("reluForward", () -> inner.reluForward(x, n, negativeSlope, maxValue, threshold, y));
    }

    @Override
    public void reluBackward(Slice x, Slice dy, int n, float negativeSlope, float maxValue, float threshold,
                             Slice dx) {
        timed("reluBackward", () -> inner.reluBackward(x, dy, n, negativeSlope, maxValue, threshold, dx));
    }

    @Override
    public void preluForward(Slice x, Slice alpha, int rows, int cols, Slice y) {
        timed("preluForward", () -> inner.preluForward(x, alpha, rows, cols, y));
    }

    @Override
    public void preluBackward(Slice x, Slice alpha, Slice dy, int rows, int cols, Slice dx, Slice dalpha) {
        timed("preluBackward", () -> inner.preluBackward(x, alpha, dy, rows, cols, dx, dalpha));
    }

    @Override
    public void featureAffine(Slice x, int rows, int cols, Slice mean, Slice variance, int period, float scale,
                              float offset, Slice y) {
        timed("featureAffine", () -> inner.featureAffine(x, rows, cols, mean, variance, period, scale, offset, y));
    }

    @Override
    public void softmaxCrossEntropy(Slice logits, Slice labels, boolean sparseLabels, int rows, int cols, Slice probs,
                                    Slice dlogits, float gradScale, Slice stats) {
        timed("softmaxCrossEntropy",
                () -> inner.softmaxCrossEntropy(logits, labels, sparseLabels, rows, cols, probs, dlogits, gradScale,
                        stats));
    }

    @Override
    public void sigmoidCrossEntropy(Slice logits, Slice targets, int rows, int cols, Slice probs, Slice dlogits,
                                    float gradScale, Slice stats) {
        timed("sigmoidCrossEntropy",
                () -> inner.sigmoidCrossEntropy(logits, targets, rows, cols, probs, dlogits, gradScale, stats));
    }

    @Override
    public void meanSquaredError(Slice pred, Slice targets, int rows, int cols, Slice dpred, float gradScale,
                                 Slice stats) {
        timed("meanSquaredError", () -> inner.meanSquaredError(pred, targets, rows, cols, dpred, gradScale, stats));
    }

    @Override
    public void regularizerGradient(Slice w, Slice grad, int n, float l1, float l2) {
        timed("regularizerGradient", () -> inner.regularizerGradient(w, grad, n, l1, l2));
    }

    @Override
    public void regularizerPenalty(Slice w, int n, float l1, float l2, float scale, Slice stats) {
        timed("regularizerPenalty", () -> inner.regularizerPenalty(w, n, l1, l2, scale, stats));
    }

    @Override
    public void dropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters) {
        timed("dropoutForward", () -> inner.dropoutForward(x, y, n, rate, seed, stream, counters));
    }

    @Override
    public void augmentAffine(Slice x, Slice y, int rows, int height, int width, AffineAugment spec, long seed,
                              int stream, Slice counters) {
        timed("augmentAffine", () -> inner.augmentAffine(x, y, rows, height, width, spec, seed, stream, counters));
    }

    @Override
    public void augmentPixels(Slice x, Slice y, int rows, int height, int width, PixelAugment spec, long seed,
                              int stream, Slice counters) {
        timed("augmentPixels", () -> inner.augmentPixels(x, y, rows, height, width, spec, seed, stream, counters));
    }

    @Override
    public void mixup(Slice x, Slice y, boolean sparseLabels, int rows, int xWidth, int classes, float alpha,
                      long seed, int stream, Slice counters, Slice lambdas, Slice xOut, Slice yOut) {
        timed("mixup", () -> inner.mixup(x, y, sparseLabels, rows, xWidth, classes, alpha, seed, stream, counters,
                lambdas, xOut, yOut));
    }

    @Override
    public void dropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters) {
        timed("dropoutBackward", () -> inner.dropoutBackward(dy, dx, n, rate, seed, stream, counters));
    }

    @Override
    public void gaussianNoise(Slice x, Slice y, int n, float stddev, long seed, int stream, Slice counters) {
        timed("gaussianNoise", () -> inner.gaussianNoise(x, y, n, stddev, seed, stream, counters));
    }

    @Override
    public void gaussianDropout(Slice in, Slice out, int n, float rate, long seed, int stream, Slice counters) {
        timed("gaussianDropout", () -> inner.gaussianDropout(in, out, n, rate, seed, stream, counters));
    }

    @Override
    public void alphaDropoutForward(Slice x, Slice y, int n, float rate, long seed, int stream, Slice counters) {
        timed("alphaDropoutForward", () -> inner.alphaDropoutForward(x, y, n, rate, seed, stream, counters));
    }

    @Override
    public void alphaDropoutBackward(Slice dy, Slice dx, int n, float rate, long seed, int stream, Slice counters) {
        timed("alphaDropoutBackward", () -> inner.alphaDropoutBackward(dy, dx, n, rate, seed, stream, counters));
    }

    @Override
    public void layerNormForward(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps, Slice y,
                                 Slice saveMean, Slice saveInvStd) {
        timed("layerNormForward",
                () -> inner.layerNormForward(x, rows, cols, gamma, beta, eps, y, saveMean, saveInvStd));
    }

    @Override
    public void layerNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean,
                                  Slice saveInvStd, Slice dx, Slice dgamma, Slice dbeta) {
        timed("layerNormBackward",
                () -> inner.layerNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta));
    }

    @Override
    public void batchNormForwardTraining(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                         float momentum, Slice runningMean, Slice runningVar, Slice y, Slice saveMean,
                                         Slice saveInvStd) {
        timed("batchNormForwardTraining",
                () -> inner.batchNormForwardTraining(x, rows, cols, gamma, beta, eps, momentum, runningMean, runningVar,
                        y, saveMean, saveInvStd));
    }

    @Override
    public void batchNormForwardInference(Slice x, int rows, int cols, Slice gamma, Slice beta, float eps,
                                          Slice runningMean, Slice runningVar, Slice y) {
        timed("batchNormForwardInference",
                () -> inner.batchNormForwardInference(x, rows, cols, gamma, beta, eps, runningMean, runningVar, y));
    }

    @Override
    public void batchNormBackward(Slice x, Slice dy, int rows, int cols, Slice gamma, Slice saveMean, Slice saveInvStd,
                                  Slice dx, Slice dgamma, Slice dbeta) {
        timed("batchNormBackward",
                () -> inner.batchNormBackward(x, dy, rows, cols, gamma, saveMean, saveInvStd, dx, dgamma, dbeta));
    }

    @Override
    public void sgdUpdate(Slice params, Slice grads, Slice velocity, int n, Slice hyper, float momentum,
                          boolean nesterov) {
        timed("sgdUpdate", () -> inner.sgdUpdate(params, grads, velocity, n, hyper, momentum, nesterov));
    }

    @Override
    public void adamUpdate(Slice params, Slice grads, Slice m, Slice v, Slice vMax, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        timed("adamUpdate", () -> inner.adamUpdate(params, grads, m, v, vMax, n, hyper, counters, beta1, beta2, eps));
    }

    @Override
    public void rmspropUpdate(Slice params, Slice grads, Slice ms, Slice mom, Slice mg, int n, Slice hyper, float rho,
                              float momentum, float eps) {
        timed("rmspropUpdate", () -> inner.rmspropUpdate(params, grads, ms, mom, mg, n, hyper, rho, momentum, eps));
    }

    @Override
    public void adagradUpdate(Slice params, Slice grads, Slice accumulator, int n, Slice hyper, float eps) {
        timed("adagradUpdate", () -> inner.adagradUpdate(params, grads, accumulator, n, hyper, eps));
    }

    @Override
    public void learningRateSchedule(Slice schedule, int kind, Slice counters, Slice hyper, Slice out) {
        timed("learningRateSchedule", () -> inner.learningRateSchedule(schedule, kind, counters, hyper, out));
    }

    @Override
    public void accumulateGradients(Slice grads, Slice accumulator, int n, Slice counters, int steps,
                                    Slice optimizerCounters) {
        timed("accumulateGradients",
                () -> inner.accumulateGradients(grads, accumulator, n, counters, steps, optimizerCounters));
    }

    @Override
    public void restoreUnlessUpdateStep(Slice dst, Slice backup, int n, Slice counters, int steps) {
        timed("restoreUnlessUpdateStep", () -> inner.restoreUnlessUpdateStep(dst, backup, n, counters, steps));
    }

    @Override
    public void emaUpdate(Slice params, Slice average, int n, Slice counters, int accumulationSteps, float momentum,
                          int overwriteFrequency) {
        timed("emaUpdate", () -> inner.emaUpdate(params, average, n, counters, accumulationSteps, momentum,
                overwriteFrequency));
    }

    @Override
    public void adamaxUpdate(Slice params, Slice grads, Slice m, Slice u, int n, Slice hyper, Slice counters,
                             float beta1, float beta2, float eps) {
        timed("adamaxUpdate", () -> inner.adamaxUpdate(params, grads, m, u, n, hyper, counters, beta1, beta2, eps));
    }

    @Override
    public void nadamUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                            float beta1, float beta2, float eps) {
        timed("nadamUpdate", () -> inner.nadamUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps));
    }

    @Override
    public void lionUpdate(Slice params, Slice grads, Slice m, int n, Slice hyper, float beta1, float beta2) {
        timed("lionUpdate", () -> inner.lionUpdate(params, grads, m, n, hyper, beta1, beta2));
    }

    @Override
    public void adadeltaUpdate(Slice params, Slice grads, Slice accGrad, Slice accDelta, int n, Slice hyper,
                               float rho, float eps) {
        timed("adadeltaUpdate", () -> inner.adadeltaUpdate(params, grads, accGrad, accDelta, n, hyper, rho, eps));
    }

    @Override
    public void ftrlUpdate(Slice params, Slice grads, Slice accumulator, Slice linear, int n, Slice hyper,
                           float lrPower, float l1, float l2, float l2Shrinkage, float beta) {
        timed("ftrlUpdate", () -> inner.ftrlUpdate(params, grads, accumulator, linear, n, hyper, lrPower, l1, l2,
                l2Shrinkage, beta));
    }

    @Override
    public void lambUpdate(Slice params, Slice grads, Slice m, Slice v, int n, Slice hyper, Slice counters,
                           float beta1, float beta2, float eps) {
        timed("lambUpdate", () -> inner.lambUpdate(params, grads, m, v, n, hyper, counters, beta1, beta2, eps));
    }

    @Override
    public void weightDecay(Slice params, int n, Slice hyper, float weightDecay) {
        timed("weightDecay", () -> inner.weightDecay(params, n, hyper, weightDecay));
    }

    @Override
    public void clipByValue(Slice grads, int n, float clipValue) {
        timed("clipByValue", () -> inner.clipByValue(grads, n, clipValue));
    }

    @Override
    public void clipByNorm(Slice grads, int n, float clipNorm) {
        timed("clipByNorm", () -> inner.clipByNorm(grads, n, clipNorm));
    }

    @Override
    public void gather(Slice src, int width, Slice indices, Slice counters, int batchSize, int rows, Slice scale,
                       Slice shift, Slice out) {
        timed("gather", () -> inner.gather(src, width, indices, counters, batchSize, rows, scale, shift, out));
    }

    @Override
    public void randomPermutation(Slice out, int n, long seed, int epoch) {
        timed("randomPermutation", () -> inner.randomPermutation(out, n, seed, epoch));
    }

    @Override
    public void advanceCounters(Slice counters) {
        timed("advanceCounters", () -> inner.advanceCounters(counters));
    }

    @Override
    public void close() {
        inner.close();
    }
}
