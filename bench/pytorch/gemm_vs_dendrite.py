#!/usr/bin/env python3
"""Dendrite's CPU GEMM against PyTorch's torch.mm, in bursts a fraction of a second apart.

    python3 bench/pytorch/gemm_vs_dendrite.py [--jar bench/target/dendrite-bench.jar] [--threads 1,2]
        [--rounds 15] [--ms 100] [--java-opts "-XX:UseAVX=2"] [--json FILE] [--shapes mlp512|bn256|all]

Why: the 2-vCPU virtual machines these benchmarks run on change speed by up to 2x within minutes and sometimes
within seconds, often without any CPU time showing as stolen (another guest on the same physical core slows ours
without taking our turn). Programs run one after the other, even minutes apart, then compare the host's moods as
much as the code. Here a Java process (dev.dendrite.bench.GemmServer) and this one take turns: for every round,
shape and thread count, a burst of --ms milliseconds of torch.mm and one of Dendrite's CpuGemm.gemm, in alternating
order, each on its own warm operands. The report gives each side's median GFLOP/s (2mnk per call, wall clock) and
the median of the per-burst-pair ratios Dendrite / PyTorch with their quartiles, which say what is noise.

The shapes are the course MLP's products (mlp512 at batch 128, as GemmThroughput has them) and 1024^3, or with
--shapes bn256 that network's products at batch 64. Both sides run with the same thread count:
torch.set_num_threads(T) against a CpuWorkers team of T.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datafiles import cpu_name, cpu_ticks, provenance_fields, steal_percent, vector_isa  # noqa: E402

SHAPES = [  # name, m, n, k, transA, transB: C = op(A) op(B), A m x k, B k x n after the transposes
    ("1024^3", 1024, 1024, 1024, 0, 0),
    ("L1 fwd X W", 128, 512, 784, 0, 0),
    ("L1 dW X^T dZ", 784, 512, 128, 1, 0),
    ("L1 dX dZ W^T", 128, 784, 512, 0, 1),
    ("L2 fwd X W", 128, 512, 512, 0, 0),
    ("L2 dW X^T dZ", 512, 512, 128, 1, 0),
    ("L2 dX dZ W^T", 128, 512, 512, 0, 1),
]

# bn256's products at its batch of 64 (784-256-256-256-10): small enough that splitting them between threads and
# packing their operands weigh more than in mlp512's.
BN256_SHAPES = [
    ("bn L1 fwd", 64, 256, 784, 0, 0),
    ("bn L1 dW", 784, 256, 64, 1, 0),
    ("bn L2 fwd", 64, 256, 256, 0, 0),
    ("bn L2 dW", 256, 256, 64, 1, 0),
    ("bn L2 dX", 64, 256, 256, 0, 1),
]


def torch_operands(m, n, k, ta, tb):
    a = torch.rand(k, m).t() if ta else torch.rand(m, k)  # stored as Dendrite stores them, viewed as op(A)
    b = torch.rand(n, k).t() if tb else torch.rand(k, n)
    return a, b, torch.empty(m, n)


def torch_burst(ops, threads, ms):
    torch.set_num_threads(threads)
    a, b, c = ops
    t0 = time.perf_counter()
    calls = 0
    while True:
        torch.mm(a, b, out=c)
        calls += 1
        if time.perf_counter() - t0 >= ms / 1e3:
            break
    return calls, time.perf_counter() - t0


class Dendrite:
    def __init__(self, jar, java_opts):
        cmd = ["java", "--add-modules", "jdk.incubator.vector", *shlex.split(java_opts), "-cp", jar,
               "dev.dendrite.bench.GemmServer"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, bufsize=1)
        hello = self.p.stdout.readline().strip()
        if not hello.startswith("ready"):
            raise SystemExit(f"gemm_vs_dendrite.py: GemmServer did not start ({' '.join(cmd)}): '{hello}'")
        self.kernel = hello.split()[1]

    def burst(self, m, n, k, ta, tb, threads, ms):
        self.p.stdin.write(f"{m} {n} {k} {ta} {tb} {threads} {ms}\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().split()
        if not answer or answer[0] != "ok":
            raise SystemExit(f"gemm_vs_dendrite.py: GemmServer answered {' '.join(answer) or 'nothing'}")
        return int(answer[1]), float(answer[2])

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
        except OSError:
            pass
        self.p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jar", default="bench/target/dendrite-bench.jar",
                    help="the bench jar, or a class path whose first entries override its classes (a variant build)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--ms", type=int, default=100)
    ap.add_argument("--warm-ms", type=int, default=1500)
    ap.add_argument("--java-opts", default="")
    ap.add_argument("--json")
    ap.add_argument("--shapes", choices=["mlp512", "bn256", "all"], default="mlp512",
                    help="mlp512's products at batch 128 and 1024^3 (default), bn256's at batch 64, or both")
    args = ap.parse_args()
    shapes = {"mlp512": SHAPES, "bn256": BN256_SHAPES, "all": SHAPES + BN256_SHAPES}[args.shapes]
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.rounds < 1 or args.ms < 1 or not threads or min(threads) < 1:
        sys.exit(f"gemm_vs_dendrite.py: need --rounds >= 1, --ms >= 1 and positive --threads; got {args.rounds}, "
                 f"{args.ms}, '{args.threads}'")
    missing = [p for p in args.jar.split(os.pathsep) if not os.path.exists(p)]
    if missing:
        sys.exit(f"gemm_vs_dendrite.py: no {', '.join(missing)}; build the jar with: mvn -q -DskipTests package")
    dendrite = Dendrite(args.jar, args.java_opts)
    try:
        ops = {s[0]: torch_operands(*s[1:]) for s in shapes}
        for name, m, n, k, ta, tb in shapes:  # warm-up: JIT compilation on our side, thread pools on both
            for t in threads:
                torch_burst(ops[name], t, args.warm_ms // 3)
                dendrite.burst(m, n, k, ta, tb, t, args.warm_ms)
        rates = {(s[0], t): {"torch": [], "dendrite": []} for s in shapes for t in threads}
        ticks = cpu_ticks()
        for r in range(args.rounds):
            for name, m, n, k, ta, tb in shapes:
                flop = 2.0 * m * n * k
                for t in threads:
                    order = ("torch", "dendrite") if r % 2 == 0 else ("dendrite", "torch")
                    for who in order:
                        if who == "torch":
                            calls, secs = torch_burst(ops[name], t, args.ms)
                        else:
                            calls, secs = dendrite.burst(m, n, k, ta, tb, t, args.ms)
                        rates[(name, t)][who].append(flop * calls / secs / 1e9)
        steal = steal_percent(ticks, cpu_ticks())
    finally:
        dendrite.close()

    print(f"{cpu_name()} ({vector_isa()}), {os.cpu_count()} cpus; PyTorch {torch.__version__} "
          f"(MKL {'yes' if torch.backends.mkl.is_available() else 'no'}, oneDNN "
          f"{'yes' if torch.backends.mkldnn.is_available() else 'no'}), Dendrite {dendrite.kernel} kernel"
          f"{' with ' + args.java_opts if args.java_opts else ''}; {args.rounds} rounds of {args.ms} ms bursts"
          + ("" if steal is None else f"; CPU time stolen by the host while timing: {steal:.0f}%"))
    print(f"{'shape':14s} {'thr':>3s} {'torch GF/s':>10s} {'Dendrite':>9s}  Dendrite/torch [quartiles]")
    report = []
    for name, m, n, k, ta, tb in shapes:
        for t in threads:
            tr, dr = rates[(name, t)]["torch"], rates[(name, t)]["dendrite"]
            q = sorted(d / x for d, x in zip(dr, tr))
            qs = statistics.quantiles(q, n=4) if len(q) >= 2 else [q[0], q[0], q[0]]
            row = {"shape": name, "m": m, "n": n, "k": k, "trans_a": ta, "trans_b": tb, "threads": t,
                   "torch_gflops_median": statistics.median(tr), "dendrite_gflops_median": statistics.median(dr),
                   "ratio_median": statistics.median(q), "ratio_quartiles": [qs[0], qs[2]]}
            report.append(row)
            print(f"{name:14s} {t:3d} {row['torch_gflops_median']:10.1f} {row['dendrite_gflops_median']:9.1f}  "
                  f"{row['ratio_median']:.3f} [{qs[0]:.3f} {qs[2]:.3f}]")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu_name(), "isa": vector_isa(), "torch": torch.__version__,
                       "dendrite_kernel": dendrite.kernel, "java_opts": args.java_opts, "rounds": args.rounds,
                       "burst_ms": args.ms, "steal_percent": steal, "results": report, **provenance_fields()},
                      f, indent=1)


if __name__ == "__main__":
    main()
