#!/usr/bin/env python3
"""Where a CPU training step's time goes, against this machine's rooflines (stdlib only).

    python3 bench/profile_split.py ROOFLINES.json PROFILE.json [PROFILE.json ...]

PROFILE.json: `EpochBenchmark --profile true --json ...` (per-op microseconds per step, and the step).
ROOFLINES.json: `Rooflines --json ...` (FMA peak and triad bandwidth on 1 and all threads; the all-threads row is
used, with the peak by CPU time, which load from other processes inflates less than the wall clock).

Each step is split into GEMM (ops named "gemm MxNxK ..."), optimizer (adam/sgd/rmsprop/adagrad updates and the L1/L2
gradient), element-wise (every other op: bias + activation, loss, batch norm, dropout, column sums, the batch
gather), and overhead (the measured step less the sum of its ops: the host, the permutation, thread hand-offs).
Rooflines: the GEMM's time at the FMA peak (2mnk flops per product); the optimizer's at the triad bandwidth for the
bytes it must move per parameter (Adam: p, g, m, v read and p, m, v written, 28 bytes; SGD momentum: 20 bytes);
element-wise ops are listed without a roofline (their byte counts are not in the profile).
"""

import json
import re
import sys

GEMM = re.compile(r"^gemm (\d+)x(\d+)x(\d+)")
OPTIMIZER = ("adam", "sgd", "rmsprop", "adagrad", "l1", "l2")
NETWORK_LAYERS = {  # (inputs, units) of each Dense, and batch-norm widths, as EpochBenchmark builds them
    "mlp512": ([(784, 512), (512, 512), (512, 10)], []),
    "bn256": ([(784, 256), (256, 256), (256, 256), (256, 10)], [256, 256, 256]),
    "mlp1024": ([(784, 1024), (1024, 1024), (1024, 10)], []),
    "wide4096": ([(784, 4096), (4096, 4096), (4096, 4096), (4096, 10)], []),
}
BYTES_PER_PARAMETER = {"adam": 28, "sgd": 20}


def parameters(network):
    dense, bn = NETWORK_LAYERS[network]
    return sum(i * o + o for i, o in dense) + sum(2 * w for w in bn)


def split(profile):
    ops = profile["profile_us_per_step"]
    parts = {"GEMM": 0.0, "element-wise": 0.0, "optimizer": 0.0}
    gemm_flops = 0.0
    for name, us in ops.items():
        m = GEMM.match(name)
        if m:
            parts["GEMM"] += us
            # Profiles count every call over the timed epochs, divided by the steps; the partial last batch's
            # products are included in that average, so its flops are weighted the same way below.
            gemm_flops += 2.0 * int(m[1]) * int(m[2]) * int(m[3]) * us_share(profile, name)
        elif name.lower().startswith(OPTIMIZER):
            parts["optimizer"] += us
        elif name in ("randomPermutation", "upload", "download", "fill", "advanceCounters"):
            parts.setdefault("overhead", 0.0)
            parts["overhead"] += us
        else:
            parts["element-wise"] += us
    step = profile["step_us"]
    parts["overhead"] = parts.get("overhead", 0.0) + step - sum(ops.values())
    return step, parts, gemm_flops


def us_share(profile, name):
    """Calls of a product per step: 1 for the full batch's products, 0 for the partial last batch's (few)."""
    batch = profile["batch_size"]
    m = GEMM.match(name)
    return 1.0 if batch in (int(m[1]), int(m[2]), int(m[3])) else 0.0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(argv[1]) as f:
        roof = json.load(f)
    row = max(roof["results"], key=lambda r: r["threads"])
    peak = row["fma_peak_gflops_by_cpu_time"] * 1e3   # flops per microsecond
    bandwidth = row["triad_bandwidth_gbs"] * 1e3       # bytes per microsecond
    print(f"Rooflines: {roof['cpu']} ({roof['isa']}, {roof['vector_bits']}-bit vectors), {row['threads']} threads: "
          f"FMA peak {row['fma_peak_gflops_by_cpu_time']:.0f} GFLOP/s (by CPU time), triad "
          f"{row['triad_bandwidth_gbs']:.1f} GB/s; {roof['date']}, load average {roof['load_average_start']}")
    print()
    print("| run | step (us) | GEMM | GEMM at FMA peak | element-wise | optimizer | optimizer at bandwidth | overhead |")
    print("|---|---|---|---|---|---|---|---|")
    for path in argv[2:]:
        with open(path) as f:
            p = json.load(f)
        step, parts, flops = split(p)
        net = p["network"]
        opt = "sgd" if net == "mlp1024" else "adam"
        opt_roof = parameters(net) * BYTES_PER_PARAMETER[opt] / bandwidth if net in NETWORK_LAYERS else float("nan")
        isa = p.get("isa", "?") + (" as AVX2 (-XX:UseAVX=2)" if "UseAVX=2" in p.get("jvm_flags", "") else "")

        def cell(k):
            return f"{parts[k]:.0f} ({100 * parts[k] / step:.0f}%)"
        print(f"| {net} b{p['batch_size']}, {isa}, load {p.get('load_average_end', '?').split(',')[0]} | {step:.0f} | "
              f"{cell('GEMM')} | {flops / peak:.0f} | {cell('element-wise')} | {cell('optimizer')} | "
              f"{opt_roof:.0f} | {cell('overhead')} |")


if __name__ == "__main__":
    main(sys.argv)
