"""
Checks gemm_lt_epilogue.cu's descriptions of its products on the CPU (python3 lt_layouts.py, a few seconds): each
row-major matrix handed to cuBLAS or cuBLASLt as a column-major one (rows, cols, leading dimension, transposed or
not), the epilogues' bias, relu bit mask, relu gradient and bias gradients, and the strided-batched slices of the
cuBLAS versions. A model of the libraries' documented semantics runs those descriptions over flat buffers; the
results must equal the row-major float64 formulas of the program's reference. What it cannot check is the libraries
themselves (whether an epilogue supports FP32, the bit mask's own layout), which only a device can.

The tuples below are transcribed from gemm_lt_epilogue.cu's make_op calls and cuBLAS calls; keep them in step.
"""
import numpy as np


def read(buf, rows, cols, ld, trans, offset=0):
    """A column-major matrix in a flat buffer (element (i, j) at i + j * ld), then op() applied."""
    idx = offset + np.arange(rows)[:, None] + np.arange(cols)[None, :] * ld
    assert idx.max() < buf.size, "reads past the buffer"
    mat = buf[idx]
    return mat.T if trans else mat


def write(buf, mat, ld):
    rows, cols = mat.shape
    buf[np.arange(rows)[:, None] + np.arange(cols)[None, :] * ld] = mat


def lt_matmul(a, a_desc, b, b_desc, d_desc, epilogue, bias=None, mask=None, aux_ld=0):
    """cublasLtMatmul with alpha 1, beta 0: returns D's buffer, and the bias buffer for gradient epilogues."""
    A = read(a, *a_desc)
    B = read(b, *b_desc)
    rows, cols, ld, _ = d_desc
    assert A.shape[1] == B.shape[0] and A.shape[0] == rows and B.shape[1] == cols, "shapes do not chain"
    assert ld >= rows
    D = A @ B
    grad = None
    if epilogue == "RELU_AUX_BIAS":
        assert bias.size == rows and aux_ld % 128 == 0 and aux_ld >= rows
        D = D + bias[:, None]
        bits = D > 0
        write(mask, bits, aux_ld)  # one bit per element (modelled as a bool), column-major with aux_ld
        D = np.where(bits, D, 0.0)
    elif epilogue == "DRELU_BGRAD":
        assert aux_ld % 128 == 0 and aux_ld >= rows
        bits = read(mask, rows, cols, aux_ld, False)
        D = np.where(bits, D, 0.0)
        grad = D.sum(axis=1)  # bias gradient: one per row of D
    elif epilogue == "BGRADA":
        grad = A.sum(axis=1)  # over the product's depth, one per row of D
    out = np.full(ld * cols, np.nan)
    write(out, D, ld)
    return out, grad


def sgemm_batched(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, ldc, stride_c, batch):
    """cublasSgemmStridedBatched, column-major, alpha 1, beta 0: C_p = op(A_p) op(B_p)."""
    c = np.full(stride_c * batch, np.nan)
    for p in range(batch):
        A = read(a, *(k, m) if ta else (m, k), lda, ta, p * stride_a)
        B = read(b, *(n, k) if tb else (k, n), ldb, tb, p * stride_b)
        write(c[p * stride_c:], A @ B, ldc)
    return c


def mask_ld(rows):
    return (rows + 127) // 128 * 128


def check(m, n, k, k0=64):
    rng = np.random.default_rng(m * 7 + n * 3 + k)
    x0 = rng.uniform(0, 1, (m, k0))
    w0 = rng.standard_normal((k0, k)) / np.sqrt(k0)
    b0 = rng.standard_normal(k) * 0.1
    w = rng.standard_normal((k, n)) / np.sqrt(k)
    b = rng.standard_normal(n) * 0.1
    dy = rng.standard_normal((m, n))
    flat = lambda a: np.ascontiguousarray(a).ravel()  # a row-major matrix's buffer

    # The layer below, with its mask (make_op(below, ...)): D = x^T (k x m) = W0^T x0^T
    ld_mask = mask_ld(k)
    mask = np.zeros(ld_mask * m, dtype=bool)
    xbuf, _ = lt_matmul(flat(w0), (k, k0, k, False), flat(x0), (k0, m, k0, False), (k, m, k, False),
                        "RELU_AUX_BIAS", bias=b0, mask=mask, aux_ld=ld_mask)
    x = xbuf.reshape(m, k)
    assert np.allclose(x, np.maximum(x0 @ w0 + b0, 0))

    # forward (make_op(fwd, ...))
    y_mask = np.zeros(mask_ld(n) * m, dtype=bool)
    ybuf, _ = lt_matmul(flat(w), (n, k, n, False), flat(x), (k, m, k, False), (n, m, n, False),
                        "RELU_AUX_BIAS", bias=b, mask=y_mask, aux_ld=mask_ld(n))
    assert np.allclose(ybuf.reshape(m, n), np.maximum(x @ w + b, 0)), "forward"

    # backward (make_op(bwd, ...)): dz = (dy W^T) * [x > 0], its bias gradient colsum(dz)
    dz_want = (dy @ w.T) * (x > 0)
    dzbuf, dbb = lt_matmul(flat(w), (n, k, n, True), flat(dy), (n, m, n, False), (k, m, k, False),
                           "DRELU_BGRAD", mask=mask, aux_ld=ld_mask)
    assert np.allclose(dzbuf.reshape(m, k), dz_want), "backward"
    assert np.allclose(dbb, dz_want.sum(axis=0)), "backward's bias gradient"

    # wgrad (make_op(wgr, ...)): dW = x^T dy, db = colsum(dy)
    dwbuf, db = lt_matmul(flat(dy), (n, m, n, False), flat(x), (k, m, k, True), (n, k, n, False), "BGRADA")
    assert np.allclose(dwbuf.reshape(k, n), x.T @ dy), "wgrad"
    assert np.allclose(db, dy.sum(axis=0)), "wgrad's bias gradient"

    # The cuBLAS versions' slices, folded as the fold kernels do (slice order)
    for s in (1, 4, 8, 16):
        if k % s == 0 and (s == 1 or k // s >= 16):
            ks = k // s
            parts = sgemm_batched(False, False, n, m, ks, flat(w), n, ks * n, flat(x), k, ks, n, m * n, s)
            folded = parts.reshape(s, m, n).sum(axis=0)
            assert np.allclose(np.maximum(folded + b, 0), np.maximum(x @ w + b, 0)), f"forward cublas/{s}"
        if n % s == 0 and (s == 1 or n // s >= 16):
            ns = n // s
            parts = sgemm_batched(True, False, k, m, ns, flat(w), n, ns, flat(dy), n, ns, k, m * k, s)
            folded = parts.reshape(s, m, k).sum(axis=0)
            assert np.allclose(folded * (x > 0), dz_want), f"backward cublas/{s}"
    dw = sgemm_batched(False, True, n, k, m, flat(dy), n, 0, flat(x), k, 0, n, n * k, 1)
    assert np.allclose(dw.reshape(k, n), x.T @ dy), "wgrad cublas"


if __name__ == "__main__":
    for shape in [(128, 512, 784), (128, 10, 512), (64, 256, 256), (32, 48, 80), (8, 16, 130)]:
        check(*shape)
        print("ok", shape)
