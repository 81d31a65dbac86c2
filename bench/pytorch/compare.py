#!/usr/bin/env python3
"""Markdown table of Dendrite's epoch times against the PyTorch peer's, ready for bench/RESULTS.md (stdlib only).

    python3 bench/pytorch/compare.py OUT_DIR [MORE_DIRS_OR_FILES...] [-o comparison.md]

Reads, from each folder given (or the files given):
  cuda-<network>[-tf32].json, opencl-<network>.json   EpochBenchmark --json (Dendrite; any other name works too,
                                                      e.g. bench/results/cpu-<network>-dendrite.json)
  pytorch-<network>-<variant>[-tf32].json             bench/pytorch/peer.py
  gemm-*.json                                         GemmThroughput --json (listed under the table)
  run-info.json                                       written by bench/gpu/run-on-gpu.sh: machine, date, command
A file name found in several folders is taken from the last folder that has it, so results fetched from several
device calls can be merged by listing their folders in order.

Each Dendrite run is paired with the peer runs of the same network, batch size and precision (FP32, or TF32 where
the Dendrite backend's description says "TF32" or the file name ends in -tf32). The ratio is Dendrite's median epoch time
divided by the peer's: below 1 means Dendrite is faster.
"""

import argparse
import re
import datetime
import glob
import json
import os
import sys

NETWORK_ORDER = ["mlp512", "bn256", "mlp1024", "wide4096", "drop512"]
WORKLOADS = {
    "mlp512": "784-512-512-10 relu, Adam, batch 128",
    "bn256": "784-[256-relu-BN-Dropout 0.2]x3-10, Adam, batch 64",
    "mlp1024": "784-1024-1024-10, SGD momentum 0.9 lr 0.025, batch 128",
    "wide4096": "784-4096x3-10, Adam, batch 1024",
    "drop512": "784-[512-relu-Dropout 0.2]x2-10, Adam, batch 128",
}
BACKEND_ORDER = ["cuda", "opencl", "cpu"]
BATCH = {"mlp512": 128, "bn256": 64, "mlp1024": 128, "wide4096": 1024, "drop512": 128}
PEER_VARIANTS = ["eager", "graph"]
VARIANT_NAMES = {"eager": "PyTorch eager (fused optimizer)", "graph": "PyTorch, one CUDA graph per step"}
SPG = re.compile(r"graph-spg(\d+)")  # peer.py --steps-per-graph N: N steps per graph, the peer of Dendrite's spe runs


def variant_name(v):
    m = SPG.fullmatch(v)
    return f"PyTorch, {m.group(1)} steps per CUDA graph" if m else VARIANT_NAMES[v]


def collect(paths):
    """{file name: path}, later paths winning; and every run-info.json (one per device call) in order."""
    files, infos = {}, []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(glob.glob(os.path.join(p, "*.json")))
        elif os.path.isfile(p):
            found = [p]
        else:
            raise SystemExit(f"compare.py: '{p}' is neither a folder nor a file")
        for f in found:
            if os.path.basename(f) == "run-info.json":
                infos.append(f)
            else:
                files[os.path.basename(f)] = f
    return files, infos


def load(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare.py: skipping {path}: {e}", file=sys.stderr)
        return None
    if not isinstance(data, dict):
        print(f"compare.py: skipping {path}: not a JSON object", file=sys.stderr)
        return None
    return data


def steps(run):
    if run.get("steps_per_epoch"):
        return int(run["steps_per_epoch"])
    n, b = run.get("train_images"), run.get("batch_size")
    return -(-int(n) // int(b)) if n and b else None  # ceil: Dendrite's fit runs the partial last batch


def fmt_time(run):
    """'99.0 ms (212 us/step)': the epoch and the step, since wide nets are usually quoted per step."""
    if run is None:
        return "—"
    epoch_ms = run["median_epoch_s"] * 1e3
    s = steps(run)
    if not s:
        return f"{epoch_ms:.1f} ms"
    step_ms = epoch_ms / s
    per_step = f"{step_ms:.2f} ms/step" if step_ms >= 1 else f"{step_ms * 1e3:.0f} us/step"
    return f"{epoch_ms:.1f} ms ({per_step})"


def fmt_ratio(dendrite, peer):
    if dendrite is None or peer is None or not peer.get("median_epoch_s"):
        return "—"
    r = dendrite["median_epoch_s"] / peer["median_epoch_s"]
    how = f"{1 / r:.1f}x faster" if r < 1 else f"{r:.1f}x slower"
    return f"**{r:.3f}** ({how})"


def fmt_mem(run):
    v = None if run is None else run.get("peak_device_memory_mb")
    return "—" if v is None else f"{v:.0f}"


def fmt_acc(run):
    return "—" if run is None or run.get("test_accuracy") is None else f"{run['test_accuracy']:.4f}"


def dendrite_backend(run):
    """cuda, opencl or cpu for an EpochBenchmark result (its backend description starts so), else None."""
    head = str(run.get("backend", "")).split(":")[0]
    return head if head in BACKEND_ORDER and "peer" not in run else None


def gpu_of(run):
    """The GPU a run was measured on, as its driver names it ('NVIDIA H200'), or None for a CPU or where it does not say.

    peer.py writes the device and whether it is CUDA's; a Dendrite run's backend description holds it ('cuda: NVIDIA
    H200 (sm_90, ...', 'opencl: NVIDIA CUDA / NVIDIA H200 (GPU, ...'; PoCL's says CPU); the cpu backend names none."""
    backend = str(run.get("backend", ""))
    if "peer" in run:
        return str(run["device"]).strip() if run.get("device") and ": cuda " in backend else None
    m = re.match(r"(cuda|opencl): (?:[^/(]* / )?([^(,]+?)\s*\(([^,)]*)", backend)
    return None if m is None or m.group(3).strip().upper() == "CPU" else m.group(2)


def same_device(a, b):
    """False only where both runs name their GPU and the names differ: a ratio across two GPUs means nothing."""
    da, db = gpu_of(a), gpu_of(b)
    return da is None or db is None or da == db


def is_tf32(name, run):
    return bool(run.get("tf32")) or name.endswith("-tf32.json") or "TF32" in str(run.get("backend", ""))


def mtime_utc(path):
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="folders (or JSON files) with the results")
    ap.add_argument("-o", "--output", help="also write the markdown here")
    args = ap.parse_args(argv)

    files, info_paths = collect(args.paths)
    infos = [i for i in (load(p) for p in info_paths) if i is not None]
    dendrite, peers, gemms = [], {}, []
    for name, path in sorted(files.items()):
        run = load(path)
        if run is None:
            continue
        if name.startswith("gemm-"):
            gemms.append((name, run))
        elif name.startswith("pytorch-"):
            if run.get("variant") not in PEER_VARIANTS and not SPG.fullmatch(run.get("variant") or ""):
                continue  # graph-emulated runs (peer.py --emulate-graph) are tests, not measurements
            peers[(run.get("network"), is_tf32(name, run), run.get("batch_size"), run["variant"])] = (path, run)
        elif dendrite_backend(run) and run.get("network") in WORKLOADS and "median_epoch_s" in run:
            dendrite.append((name, path, run))  # skips the DL4J runs and the width curve of bench/results

    variants = PEER_VARIANTS + sorted({k[3] for k in peers if k[3] not in PEER_VARIANTS},
                                      key=lambda v: int(SPG.fullmatch(v).group(1)))
    if not dendrite and not peers:
        raise SystemExit(f"compare.py: no EpochBenchmark or peer.py JSON in {', '.join(args.paths)}")

    def order(item):
        name, _, run = item
        net = run.get("network")
        return (NETWORK_ORDER.index(net), is_tf32(name, run), BACKEND_ORDER.index(dendrite_backend(run)), name)

    lines, notes = [], []
    # Network order, FP32 before TF32, eager before graph: the first is the most representative command to show.
    peer_runs = [r for _, (_, r) in sorted(peers.items(), key=lambda kv: (
        NETWORK_ORDER.index(kv[0][0]) if kv[0][0] in NETWORK_ORDER else 99, kv[0][1], kv[0][3]))]
    # Every GPU the results name, in the order of the calls: two when merged calls ran on two kinds of machine.
    devices = list(dict.fromkeys([i["gpu"] for i in infos if i.get("gpu")] + [r["device"] for r in peer_runs
                                 if r.get("device")] + [d for d in (gpu_of(r) for _, _, r in dendrite) if d]))
    device = " and ".join(devices)
    dates = sorted({r["date"][:10] for r in peer_runs if r.get("date")}
                   | {mtime_utc(p)[:10] for _, p, _ in dendrite})
    lines.append(f"## Dendrite against PyTorch on {device or 'the GPU machine'} ({', '.join(dates) or 'date unknown'})")
    lines.append("")
    for info in infos:
        lines.append(f"Measured {info.get('date', '?')} on {info.get('host', '?')}: {info.get('gpu') or 'no GPU'}; "
                     f"driver {info.get('driver') or '-'}, {info.get('cpus', '?')} CPUs, commit {info.get('commit', '?')}:")
        lines.append("")
        lines.append("```")
        lines.append(info.get("command", "bash bench/gpu/run-on-gpu.sh"))
        lines.append("```")
        lines.append("")
    if peer_runs:
        r0 = peer_runs[0]
        lines.append(f"PyTorch {r0.get('torch')} (CUDA {r0.get('cuda')}), data on the device, "
                     f"{r0.get('train_images'):,} training images per epoch, median of "
                     f"{len(r0.get('epoch_times_s', []))} epochs after {r0.get('warmup_epochs')} warm-up, "
                     f"partial last batch included, no validation pass; peer command (per network and variant):")
        lines.append("")
        lines.append("```")
        lines.append(r0.get("command", "python3 bench/pytorch/peer.py"))
        lines.append("```")
        lines.append("")
    header = ["workload", "Dendrite backend", "Dendrite"] + [variant_name(v) for v in variants] \
        + [f"Dendrite / {v}" for v in variants] + ["test accuracy (Dendrite / " + " / ".join(variants) + ")"] \
        + ["peak device MB (Dendrite / " + " / ".join(variants) + ")"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))

    paired, backends, graphs, steps_listed = set(), [], [], []
    seen = {}
    for name, _, run in dendrite:
        k = (run.get("network"), is_tf32(name, run), dendrite_backend(run))
        seen[k] = seen.get(k, 0) + 1
    for name, path, run in sorted(dendrite, key=order):
        net, tf32, batch = run.get("network"), is_tf32(name, run), run.get("batch_size")
        keys = [(net, tf32, batch, v) for v in variants]
        matched = [peers.get(k) for k in keys]
        if batch != BATCH.get(net) and not any(matched):
            continue  # a batch-size scaling point (bench/run-cpu-scaling.sh), not one of the four workloads
        for i, m in enumerate(matched):
            if m and not same_device(run, m[1]):
                # Results merged from several device calls (COMPARE_DIRS) may come from two kinds of machine: the
                # device tool lends an H100 or an H200. Such a peer is shown on a row of its own, without a ratio.
                notes.append(f"**another device**: `{name}` ({gpu_of(run)}) is not compared with "
                             f"`{os.path.basename(m[0])}` ({gpu_of(m[1])})")
                matched[i] = None
        for k, m in zip(keys, matched):
            if m:
                paired.add(k)
                check_protocol(name, run, os.path.basename(m[0]), m[1], notes)
        backend = dendrite_backend(run)
        workload = f"{net}: {WORKLOADS.get(net, '?')}" + (" (TF32)" if tf32 else "")
        label = backend + (" TF32" if tf32 else "")
        if seen[(net, tf32, backend)] > 1:
            label += f" (`{name}`)"  # several runs of one workload: say which file each row is
        validation = run.get("validation_rows") or 0
        if validation:
            # Its epochs hold a validation pass the peer's do not: a row for the Dendrite A/B, no ratio.
            label += f", epochs with a validation pass of {validation:,} images"
        cells = [workload, label, fmt_time(run)]
        cells += [fmt_time(m[1] if m else None) for m in matched]
        cells += ["—" if validation else fmt_ratio(run, m[1] if m else None) for m in matched]
        cells.append(" / ".join([fmt_acc(run)] + [fmt_acc(m[1] if m else None) for m in matched]))
        cells.append(" / ".join([fmt_mem(run)] + [fmt_mem(m[1] if m else None) for m in matched]))
        lines.append("| " + " | ".join(cells) + " |")
        described = f"{backend}{' TF32' if tf32 else ''}: {run.get('backend')}"
        if described not in backends:
            backends.append(described)
        graph = run.get("cuda_step_graph")
        if graph:
            graphs.append(f"`{name}`: {graph.get('nodes')} nodes, {graph.get('edges')} edges, critical path "
                          f"{graph.get('critical_path_nodes')} nodes")
        commands = run.get("opencl_step_commands")
        if commands:
            steps_listed.append(f"`{name}`: {commands} commands")

    for key, (path, run) in sorted(peers.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        net, tf32, _, v = key
        if key in paired:
            continue
        workload = f"{net}: {WORKLOADS.get(net, '?')}" + (" (TF32)" if tf32 else "")
        cells = [workload, "(no Dendrite run)", "—"] + [fmt_time(run) if v == w else "—" for w in variants] \
            + ["—"] * len(variants) + [" / ".join(["—"] + [fmt_acc(run) if v == w else "—" for w in variants])] \
            + [" / ".join(["—"] + [fmt_mem(run) if v == w else "—" for w in variants])]
        lines.append("| " + " | ".join(cells) + " |")

    lines.append("")
    lines.append("Times are median epoch (time per step). Ratio < 1: Dendrite faster.")
    listing(lines, "Dendrite's backends, as they describe themselves:", backends)
    listing(lines, "The largest CUDA graph each run recorded (the training step's; its critical path is the longest"
                   " chain of nodes that run one after another, about a launch each at a small batch):", graphs)
    listing(lines, "The largest OpenCL step each run recorded (the training step's; its queue runs every command"
                   " after the one before, a launch each):", steps_listed)
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    if gemms:
        lines.append("")
        lines.append("GEMM throughput (GemmThroughput):")
        lines.append("")
        for name, g in gemms:
            lines.append(f"- {g.get('backend', name)}: {g.get('m')}x{g.get('n')}x{g.get('k')} "
                         f"{g.get('precision', '')}: best {fmt_num(g.get('best_gflops'))} GFLOP/s, median "
                         f"{fmt_num(g.get('median_gflops'))} GFLOP/s")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


def listing(lines, title, items):
    """A titled bullet list after a blank line, where there are items."""
    if items:
        lines += ["", title, ""] + [f"- {item}" for item in items]


def fmt_num(x):
    return "?" if x is None else f"{x:,.0f}"


def check_protocol(dname, d, pname, p, notes):
    """Name what differs between the two runs in a way that changes the time (not the device or the library)."""
    diffs = []
    for key in ("train_images", "batch_size", "warmup_epochs"):
        if d.get(key) != p.get(key):
            diffs.append(f"{key} {d.get(key)} vs {p.get(key)}")
    de, pe = len(d.get("epoch_times_s", [])), len(p.get("epoch_times_s", []))
    if de != pe:
        diffs.append(f"timed epochs {de} vs {pe}")
    if diffs:
        notes.append(f"**not the same protocol**: `{dname}` against `{pname}`: " + "; ".join(diffs))


if __name__ == "__main__":
    sys.exit(main())
