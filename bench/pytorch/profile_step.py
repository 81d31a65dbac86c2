#!/usr/bin/env python3
"""Where PyTorch's CPU training step spends its time: the peer's side of bench/profile_split.py.

    python3 bench/pytorch/profile_step.py --network mlp512 [--train 20000] [--threads 2] [--steps 100] [--json F]

Trains the network exactly as peer.py's eager variant does (same model, initialisation, optimizer with its fused
implementation, batch, index_select gather from a permutation), on the first --train images of Fashion-MNIST when
the data folder is found (random pixels otherwise: the time of a step does not depend on the values), then:
  1. times whole steps: three passes over the data after one warm-up pass, microseconds per step for each;
  2. profiles --steps steps with torch.profiler (CPU activities) and splits their self CPU time into
     GEMM (aten::mm, aten::addmm, aten::bmm), optimizer (aten::_fused_adam_, aten::_fused_sgd_ and the Python
     Optimizer.step frame around them), and everything else, per step, and lists each product by its shapes
     (autograd's dW is a [out, batch] x [batch, in] product, Dendrite's the transposed [in, batch] x [batch, out]);
  3. times the step's products alone, back to back on hot operands (torch.mm with the forward, weight-gradient and
     input-gradient shapes; the first layer's input gradient is not computed, as autograd skips it).
The profiler's own overhead inflates (2) a little; its shares are what matter. Compare with
`EpochBenchmark --profile true` for Dendrite, in the same minutes: this virtual machine's speed drifts.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from datafiles import DEFAULT_DATA, cpu_name, cpu_ticks, provenance_fields, steal_percent, vector_isa  # noqa: E402

GEMM_OPS = ("aten::mm", "aten::addmm", "aten::bmm")
OPTIMIZER_OPS = ("aten::_fused_adam_", "aten::_fused_sgd_", "Optimizer.step#Adam.step", "Optimizer.step#SGD.step")
WIDTHS = {"mlp512": [784, 512, 512, 10], "mlp1024": [784, 1024, 1024, 10], "bn256": [784, 256, 256, 256, 10]}


def data(train):
    try:
        x, y, _, _, folder = peer.load_data(DEFAULT_DATA, train, torch.device("cpu"))
        return x, y, f"Fashion-MNIST from {folder}"
    except (OSError, SystemExit, ValueError) as e:
        return torch.rand(train, 784), torch.randint(0, 10, (train,)), f"random pixels ({e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default="mlp512", choices=sorted(WIDTHS))
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.train < 1 or args.steps < 1 or args.threads < 1:
        sys.exit(f"--train, --steps and --threads must be positive (got {args.train}, {args.steps}, {args.threads})")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = args.network
    model = peer.build_model(net)
    model.train()
    opt, opt_desc = peer.make_optimizer(net, model.parameters(), fused=True)
    batch = peer.batch_size(net)
    x, y, source = data(args.train)

    def step(idx):
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()

    def one_pass():
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], batch):
            step(perm[i:i + batch])
        return (x.shape[0] + batch - 1) // batch

    one_pass()
    ticks = cpu_ticks()
    step_us = []
    for _ in range(3):
        t = time.perf_counter()
        n = one_pass()
        step_us.append((time.perf_counter() - t) / n * 1e6)

    perm = torch.randperm(x.shape[0])
    steps = [perm[(i * batch) % (x.shape[0] - batch + 1):][:batch] for i in range(args.steps)]
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for idx in steps:
            step(idx)
    split = {"GEMM": 0.0, "optimizer": 0.0, "other": 0.0}
    ops = []
    for e in prof.key_averages():
        us = e.self_cpu_time_total / args.steps
        kind = "GEMM" if e.key in GEMM_OPS else "optimizer" if e.key in OPTIMIZER_OPS else "other"
        split[kind] += us
        ops.append((us, e.key, e.count / args.steps))
    ops.sort(reverse=True)
    by_shape = sorted(((e.self_cpu_time_total / e.count, e.key, e.input_shapes[:3], e.count / args.steps)
                       for e in prof.key_averages(group_by_input_shape=True) if e.key in GEMM_OPS), reverse=True)

    widths = WIDTHS[net]
    a = [torch.rand(batch, i) for i in widths[:-1]]
    dz = [torch.rand(batch, o) for o in widths[1:]]
    w = [torch.rand(o, i) for i, o in zip(widths[:-1], widths[1:])]

    def products():
        for layer in range(len(w)):
            torch.mm(a[layer], w[layer].t())
            torch.mm(dz[layer].t(), a[layer])
            if layer > 0:
                torch.mm(dz[layer], w[layer])

    for _ in range(100):
        products()
    gemm_alone = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(200):
            products()
        gemm_alone.append((time.perf_counter() - t) / 200 * 1e6)

    steal = steal_percent(ticks, cpu_ticks())
    print(f"PyTorch {torch.__version__}, {net}, {opt_desc}, batch {batch}, {args.threads} threads, {source}")
    print(f"CPU: {cpu_name()} ({vector_isa()}), {os.cpu_count()} cpus")
    print("us per step, 3 passes: " + ", ".join(f"{v:.0f}" for v in step_us)
          + ("" if steal is None else f"; CPU time stolen by the host over all of the above: {steal:.0f}%"))
    total = sum(split.values())
    print(f"profiled, self CPU us per step ({args.steps} steps): " + ", ".join(
        f"{k} {v:.0f} ({100 * v / total:.0f}%)" for k, v in split.items()))
    for us, key, calls in ops[:12]:
        print(f"  {key:45s} {us:9.1f} us/step  {calls:5.1f} calls/step")
    for us, key, shapes, calls in by_shape:
        print(f"  {key:12s} {str(shapes):38s} {us:8.1f} us/call  {calls:4.1f} calls/step")
    print("the step's products alone, hot, us: " + ", ".join(f"{v:.0f}" for v in gemm_alone))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"peer": "pytorch", "torch": torch.__version__, "network": net, "optimizer": opt_desc,
                       "batch_size": batch, "threads": args.threads, "data": source, "cpu": cpu_name(),
                       "isa": vector_isa(), "step_us": step_us, "median_step_us": statistics.median(step_us),
                       "profiled_us_per_step": split, "top_ops_us_per_step": {k: u for u, k, _ in ops[:20]},
                       "products_us_per_call": {f"{k} {sh}": u for u, k, sh, _ in by_shape},
                       "products_alone_us": gemm_alone, "steal_percent": steal,
                       **provenance_fields()}, f, indent=1)


if __name__ == "__main__":
    main()
