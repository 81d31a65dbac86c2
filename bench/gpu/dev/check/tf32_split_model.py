"""
The numpy model behind bench/RESULTS.md's 3xTF32 figures (python3 tf32_split_model.py, a few seconds): 64 x 64
outputs of length 4096 from standard normal inputs (seed 1), each arithmetic's worst error relative to the largest
|C|, against float64. TF32 rounding is bit arithmetic on the float32 values (rna: nearest, ties away, as
cvt.rna.tf32.f32; cut: the low 13 bits dropped); a TF32 product of TF32 values is exact in float32, so a tensor
core's product is modelled as a float32 matrix product of the TF32 parts. Part 2 models versions 5 and 6 of
gemm_wide_fp32.cu: the operand itself as the big part, converted by "cuBLAS" by truncation or by rounding, with the
residual of truncation or of rounding.
"""
import numpy as np


def rna(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x1000) & 0xFFFFE000).astype(np.uint32).view(np.float32)


def cut(x):
    return (x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)


rng = np.random.default_rng(1)
M, K, N = 64, 4096, 64
A = rng.standard_normal((M, K)).astype(np.float32)
B = rng.standard_normal((K, N)).astype(np.float32)
exact = A.astype(np.float64) @ B.astype(np.float64)
scale = max(1.0, np.abs(exact).max())


def err(c):
    return np.abs(c - exact).max() / scale


Ab, Bb = rna(A), rna(B)
As, Bs = rna(A - Ab), rna(B - Bb)
print("arithmetic            worst error")
print("SGEMM (float32)       %.1e" % err(A @ B))
print("one TF32 product      %.1e" % err(Ab @ Bb))
print("3xTF32                %.1e" % err(As @ Bb + Ab @ Bs + Ab @ Bb))
print()
print("cuBLAS converts by    residual of   worst error")
for conv_name, conv in (("truncation", cut), ("rounding", rna)):
    for res_name, big in (("truncation", cut), ("rounding", rna)):
        as_, bs_ = rna(A - big(A)), rna(B - big(B))
        print("%-20s  %-12s  %.1e" % (conv_name, res_name, err(as_ @ conv(B) + conv(A) @ bs_ + conv(A) @ conv(B))))
