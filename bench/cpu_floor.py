#!/usr/bin/env python3
"""How far issue 15's target is from the machine's floor: each network's matrix-product FLOPs per epoch over the
FMA peak that Rooflines measured, against the epoch times of a side-by-side run (bench/run-cpu-side-by-side.sh).

    python3 bench/cpu_floor.py ROOFLINES.json SIDE_BY_SIDE/summary.json [--target 0.67] [--threads 2]

The floor counts only the products a training step must do (forward X W, weight gradient X^T dZ, and the input
gradient dZ W^T of every layer but the first, whose input needs none), at the measured FMA peak of the cores used,
with nothing else taking time: no epoch can be shorter. The target is `target` times the faster peer's epoch in the
same round; "floor / target" above 1 means the target cannot be met on that machine even by products at the peak.
"""
import argparse
import json

# Layer widths of EpochBenchmark's networks (bench/src/main/java/dev/dendrite/bench/EpochBenchmark.java); batch
# norm, dropout and the activations add element-wise work, not products.
WIDTHS = {
    "mlp512": [784, 512, 512, 10],
    "bn256": [784, 256, 256, 256, 10],
    "mlp1024": [784, 1024, 1024, 10],
    "wide4096": [784, 4096, 4096, 4096, 10],
}


def product_flops_per_sample(widths):
    layers = list(zip(widths, widths[1:]))
    forward = sum(2 * a * b for a, b in layers)
    weight_gradients = forward
    input_gradients = sum(2 * a * b for a, b in layers[1:])
    return forward + weight_gradients + input_gradients


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rooflines")
    parser.add_argument("summary")
    parser.add_argument("--target", type=float, default=0.67)
    parser.add_argument("--threads", type=int, default=None, help="the Rooflines row to use (default: the run's)")
    parser.add_argument("--train", type=int, default=50000, help="images per epoch")
    args = parser.parse_args()

    roof = json.load(open(args.rooflines))
    run = json.load(open(args.summary))
    threads = args.threads or run.get("threads") or max(r["threads"] for r in roof["results"])
    rows = [r for r in roof["results"] if r["threads"] == threads]
    if not rows:
        raise SystemExit(f"cpu_floor: {args.rooflines} has no row for {threads} threads")
    peak = rows[0]["fma_peak_gflops"]

    print(f"{run['cpu']}, {run['isa']}, {threads} threads: FMA peak {peak:.0f} GFLOP/s (Rooflines, "
          f"{roof['date']}); epochs of {args.train:,} images from {args.summary} ({run['started']})")
    print()
    print(f"| network | product GFLOP/epoch | at the FMA peak | Dendrite epoch | products at peak / Dendrite | "
          f"{args.target} x faster peer | floor / target |")
    print("|---|---|---|---|---|---|---|")
    for net, data in run["networks"].items():
        if net not in WIDTHS:
            continue
        gflop = product_flops_per_sample(WIDTHS[net]) * args.train / 1e9
        floor = gflop / peak
        epochs = data["median_epoch_s"]
        dendrite = epochs["dendrite"]
        peers = [p for p in epochs if not p.startswith("dendrite")]  # dendrite-old too
        targets = [args.target * min(epochs[p][i] for p in peers) for i in range(len(dendrite))]
        fmt = lambda xs, f: " / ".join(f.format(x) for x in xs)
        print(f"| {net} | {gflop:.1f} | {floor:.3f} s | {fmt(dendrite, '{:.3f}')} s | "
              f"{fmt([floor / d for d in dendrite], '{:.0%}')} | {fmt(targets, '{:.3f}')} s | "
              f"{fmt([floor / t for t in targets], '{:.2f}')} |")
    print()
    print("Rounds separated by /. 'products at peak / Dendrite' is the share of Dendrite's epoch that its products "
          "would take at the FMA peak; 'floor / target' above 1: the target is below the machine's floor.")


if __name__ == "__main__":
    main()
