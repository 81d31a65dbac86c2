#!/usr/bin/env python3
"""Where a replayed training step's time goes, from kernel_trace.c's CSV: one table per trace.

    python3 bench/gpu/trace/trace_report.py [--steps N] [--out report.md] LABEL=trace.csv [LABEL=trace.csv ...]
    python3 bench/gpu/trace/trace_report.py --self-test

The step is the CUDA graph launched most often in the trace (a training step replayed batch after batch); the
last N launches of it are read (default 100: the measured epochs, not the warm-up). For each launch: its span
(first kernel start to last kernel end), the period to the next launch, the device's idle time inside the span
(span minus the union of the kernels' busy intervals) and between launches, and how long before its first kernel
the host had issued it (the launch call's start; a lead near zero means the device waited on the host). For each
node of the graph (CUPTI's graph node id, the same in every replay): its median start from the launch's first
kernel, median duration, and the median wait before it (its start minus the latest end of anything in the same
launch that had ended by then: the launch latency of a dependent node, or a join). Durations are the device's
own clock, with the kernels running as they normally do, concurrently where the graph lets them. With
programmatic dependent launch (Dendrite's CUDA backend on Hopper) a kernel's blocks are placed, and wait, before the
kernel it depends on has ended: its start is then that placement, its duration includes the wait, and its "wait
before" is measured from the end of a kernel before that one. The span, busy and idle figures stay what they say (idle:
no kernel placed); for each kernel's own time, read a trace of the same network without PDL (run-on-gpu.sh's
trace stage runs one: TRACE_NOPDL_NETWORKS).
"""
import argparse
import csv
import re
import statistics
import sys
from collections import Counter, defaultdict


def short_name(name):
    """The kernel's function name from a mangled C++ name (namespaces kept, template arguments dropped)."""
    if not name.startswith("_Z"):
        return name.split("(")[0].split("<")[0][:80]
    s = name[2:]
    nested = s.startswith("N")
    i = 1 if nested else 0
    parts = []
    while i < len(s) and s[i].isdigit():
        m = re.match(r"\d+", s[i:])
        n = int(m.group(0))
        i += len(m.group(0))
        parts.append(s[i:i + n])
        i += n
        if not nested:
            break
    return "::".join(parts) if parts else name[:80]


def read_trace(path):
    """Device records (kernels, memsets, copies) and host API records of one kernel_trace CSV."""
    device, api, notes = [], [], []
    incomplete = 0
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row:
                continue
            kind = row[0]
            try:
                if kind == "K":
                    device.append({"kind": "K", "name": short_name(row[1]), "start": int(row[2]),
                                   "end": int(row[3]), "stream": int(row[4]), "corr": int(row[5]),
                                   "graph": int(row[6]), "node": int(row[7]),
                                   "launch": "%sx%sx%s/%sx%sx%s" % tuple(row[8:14])})
                elif kind in ("S", "C"):
                    device.append({"kind": kind, "name": row[1], "start": int(row[2]), "end": int(row[3]),
                                   "stream": int(row[4]), "corr": int(row[5]), "graph": int(row[6]),
                                   "node": int(row[7]), "launch": "%s B" % row[8]})
                elif kind == "A":
                    api.append({"name": row[1], "start": int(row[2]), "end": int(row[3]), "corr": int(row[5])})
                elif kind == "#":
                    notes.append(",".join(row[1:]))
            except (IndexError, ValueError) as e:
                raise ValueError("%s: malformed record %r (%s)" % (path, row, e)) from None
    # A record flushed before its op ended (a forced flush) has no end yet: left out, and counted.
    kept = [r for r in device if r["end"] >= r["start"] > 0]
    incomplete = len(device) - len(kept)
    if incomplete:
        notes.append("%d device records without an end left out" % incomplete)
    return kept, api, notes


def union_length(intervals):
    total, cur_start, cur_end = 0, None, None
    for start, end in sorted(intervals):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def median(values):
    return statistics.median(values) if values else float("nan")


def launches_of(records):
    """One graph's records split into its launches: a launch runs each node once, and the next launch of the same
    graph starts only after the last one ended (same stream), so a node seen again starts a new launch. Without node
    ids (an old driver) the launch call's correlation id groups them instead."""
    records = sorted(records, key=lambda r: r["start"])
    if all(r["node"] == 0 for r in records):
        by_corr = defaultdict(list)
        for r in records:
            by_corr[r["corr"]].append(r)
        runs = sorted(by_corr.values(), key=lambda rs: rs[0]["start"])
        for rs in runs:  # nodes named by their place in the launch instead
            for place, r in enumerate(rs):
                r["node"] = -1 - place
        return runs
    runs, current, seen = [], [], set()
    for r in records:
        if r["node"] in seen:
            runs.append(current)
            current, seen = [], set()
        current.append(r)
        if r["node"] != 0:  # a record without a node id cannot tell launches apart
            seen.add(r["node"])
    if current:
        runs.append(current)
    return runs


def node_order(runs):
    """A graph's node ids in the order they were made (CUPTI numbers a process's graph nodes as they are created,
    and a capture creates them in issue order), and the op each runs."""
    names = {}
    for rs in runs:
        for r in rs:
            names.setdefault(r["node"], r["name"])
    return sorted(names), names


def twins_of(per_graph, step_graph):
    """Graphs recorded from the same step code as step_graph and launched about as often: Dendrite's steps gather
    the next batch into the other of two batch buffers, so a step and the next are two graphs, launched in turn.
    A twin runs the same ops as step_graph node by node in creation order. Returns {twin: {its node: step_graph's
    node}}."""
    ids, names = node_order(per_graph[step_graph])
    twins = {}
    for graph, runs in per_graph.items():
        if graph == step_graph or len(runs) * 2 < len(per_graph[step_graph]) or ids[0] < 0:
            continue
        other, other_names = node_order(runs)
        if len(other) == len(ids) and all(other_names[o] == names[i] for o, i in zip(other, ids)):
            twins[graph] = dict(zip(other, ids))
    return twins


def analyse(device, api, steps):
    """The step graph's launches (with its twins', named by its nodes) and per-node statistics; None when no graph
    was launched."""
    by_graph = defaultdict(list)
    for r in device:
        if r["graph"] != 0:
            by_graph[r["graph"]].append(r)
    if not by_graph:
        return None
    per_graph = {graph: launches_of(rs) for graph, rs in by_graph.items()}
    # The most launched graph; of equals (a step recorded again for each fit), the one that ran last.
    step_graph = max(per_graph, key=lambda g: (len(per_graph[g]), per_graph[g][-1][0]["start"]))
    twins = twins_of(per_graph, step_graph)
    runs = list(per_graph[step_graph])
    for twin, to_step_node in twins.items():
        runs += [[dict(r, node=to_step_node[r["node"]]) for r in rs] for rs in per_graph[twin]]
    runs.sort(key=lambda rs: rs[0]["start"])
    count = len(runs)
    runs = runs[-steps:] if steps > 0 else runs
    # A runtime launch (PyTorch's cudaGraphLaunch) and the driver call inside it share the correlation id: the
    # outer one, which starts first, is the host's launch.
    api_by_corr = {}
    for a in sorted((a for a in api if "GraphLaunch" in a["name"]), key=lambda a: a["start"]):
        api_by_corr.setdefault(a["corr"], a)
    nodes = defaultdict(lambda: {"name": "", "launch": "", "stream": 0, "start": [], "dur": [], "wait": []})
    spans, busy, sums, leads, calls, periods, between = [], [], [], [], [], [], []
    for i, rs in enumerate(runs):
        t0 = rs[0]["start"]
        t1 = max(r["end"] for r in rs)
        spans.append(t1 - t0)
        busy.append(union_length([(r["start"], r["end"]) for r in rs]))
        sums.append(sum(r["end"] - r["start"] for r in rs))
        if i + 1 < len(runs):
            periods.append(runs[i + 1][0]["start"] - t0)
            between.append(runs[i + 1][0]["start"] - t1)
        a = api_by_corr.get(rs[0]["corr"])
        if a is not None:
            leads.append(t0 - a["start"])
            calls.append(a["end"] - a["start"])
        for r in rs:
            ended = [o["end"] for o in rs if o is not r and o["end"] <= r["start"]]
            n = nodes[r["node"]]
            n["name"], n["launch"], n["stream"] = r["name"], r["launch"], r["stream"]
            n["start"].append(r["start"] - t0)
            n["dur"].append(r["end"] - r["start"])
            n["wait"].append(r["start"] - (max(ended) if ended else t0))
    idle = [s - b for s, b in zip(spans, busy)]
    return {"graph": step_graph, "twins": sorted(twins), "launches": count, "read": len(runs), "nodes": nodes,
            "idle": idle,
            "per_step": Counter(len(rs) for rs in runs).most_common(1)[0][0], "span": spans, "busy": busy,
            "sum": sums, "lead": leads, "call": calls, "period": periods, "between": between,
            "other_graphs": len(per_graph) - 1 - len(twins)}


def us(ns):
    return "%.1f" % (ns / 1000.0)


def report(label, path, steps):
    """The trace's section of the report, and its row of the summary table (None without a step graph)."""
    device, api, notes = read_trace(path)
    lines = ["### %s" % label, "", "`%s`: %d device records, %d host calls kept." % (path, len(device), len(api))]
    lines += ["Note from the tracer: %s" % n for n in notes if "kernel_trace CUPTI" not in n and n != "end"]
    a = analyse(device, api, steps)
    if a is None:
        totals = defaultdict(lambda: [0, 0])
        for r in device:
            totals[r["name"]][0] += 1
            totals[r["name"]][1] += r["end"] - r["start"]
        lines += ["", "No graph launches: totals per kernel over the whole run.", "",
                  "| kernel | count | total ms | mean us |", "|---|---|---|---|"]
        for name, (n, t) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:40]:
            lines.append("| `%s` | %d | %.2f | %.1f |" % (name, n, t / 1e6, t / n / 1000.0))
        return "\n".join(lines) + "\n", None
    twins = "".join(", and its twin %d (the same step from the other batch buffer; its nodes named by the "
                    "step graph's)" % t for t in a["twins"])
    lines += ["", "The step graph (id %d%s) ran %d times; the last %d are read, %d device ops each (%d other graphs "
              "in the run: GEMM tuning, other batch sizes, an epoch's first and last steps)."
              % (a["graph"], twins, a["launches"], a["read"], a["per_step"], a["other_graphs"]), ""]
    lines += ["| per step, median us | |", "|---|---|",
              "| period (launch to next launch) | %s |" % us(median(a["period"])),
              "| span (first kernel start to last end) | %s |" % us(median(a["span"])),
              "| device busy inside the span (union of ops) | %s |" % us(median(a["busy"])),
              "| device idle inside the span | %s |" % us(median(a["idle"])),
              "| idle between steps | %s |" % us(median(a["between"])),
              "| ops' durations summed (beside each other counted twice) | %s |" % us(median(a["sum"]))]
    if a["lead"]:
        lines += ["| host: launch call's start to the step's first kernel | %s |" % us(median(a["lead"])),
                  "| host: the launch call itself | %s |" % us(median(a["call"]))]
    lines += ["", "| node | op | grid/block | stream | start | duration | wait before |",
              "|---|---|---|---|---|---|---|"]
    order = sorted(a["nodes"].items(), key=lambda kv: median(kv[1]["start"]))
    for node, n in order:
        lines.append("| %d | `%s` | %s | %d | %s | %s | %s |" % (node, n["name"][:60], n["launch"], n["stream"],
                                                               us(median(n["start"])), us(median(n["dur"])),
                                                               us(median(n["wait"]))))
    row = "| %s | %d | %s | %s | %s | %s | %s | %s |" % (
        label, a["per_step"], us(median(a["period"])), us(median(a["span"])), us(median(a["busy"])),
        us(median(a["idle"])), us(median(a["between"])),
        us(median(a["lead"])) if a["lead"] else "")
    return "\n".join(lines) + "\n", row


SUMMARY_HEAD = ["| trace | ops a step | period | span | busy | idle inside | idle between | host ahead by |",
                "|---|---|---|---|---|---|---|---|"]


def self_test():
    """A synthetic trace with known numbers: two steps of three kernels (the third beside the second)."""
    import os
    import tempfile
    rows = ["#,kernel_trace CUPTI API 130001",
            "K,_Z7warmupv,0,500,7,1,0,0,1,1,1,32,1,1"]  # not in a graph
    for step, t0 in enumerate((10_000, 30_000)):
        corr = 100 + step
        rows += ["A,cuGraphLaunch,%d,%d,1,%d" % (t0 - 4000, t0 - 3000, corr),
                 "K,_Z6gatherPKhPf,%d,%d,13,%d,5,11,128,1,1,256,1,1" % (t0, t0 + 2000, corr),
                 "K,_ZN4ns_a6kernelIfEEvT_,%d,%d,13,%d,5,12,8,2,1,16,16,1" % (t0 + 3000, t0 + 8000, corr),
                 "K,adam_update,%d,%d,14,%d,5,13,100,1,1,256,1,1" % (t0 + 3500, t0 + 6000, corr)]
    rows.append("K,_Z5otherv,50000,51000,13,300,9,1,1,1,1,1,1,1")  # another graph, launched once
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("\n".join(rows) + "\n")
    try:
        device, api, _ = read_trace(f.name)
        a = analyse(device, api, 100)
        assert a["graph"] == 5 and a["read"] == 2 and a["per_step"] == 3, a
        assert a["span"] == [8000, 8000], a["span"]
        assert a["busy"] == [7000, 7000], a["busy"]  # 0-2000 and 3000-8000
        assert a["sum"] == [9500, 9500], a["sum"]
        assert a["period"] == [20000] and a["between"] == [12000], (a["period"], a["between"])
        assert a["lead"] == [4000, 4000] and a["call"] == [1000, 1000], (a["lead"], a["call"])
        n = a["nodes"]
        assert n[11]["name"] == "gather" and n[12]["name"] == "ns_a::kernel", (n[11]["name"], n[12]["name"])
        assert n[12]["wait"] == [1000, 1000] and n[13]["wait"] == [1500, 1500], (n[12]["wait"], n[13]["wait"])
        no_nodes = [dict(r, node=0) for r in device if r["graph"] == 5]
        runs = launches_of(no_nodes)
        assert [len(rs) for rs in runs] == [3, 3]  # by correlation id
        assert [r["node"] for r in runs[1]] == [-1, -2, -3], runs[1]  # nodes by place in the launch
        mixed = [dict(r) for r in device if r["graph"] == 5]
        mixed[1]["node"] = 0
        mixed[4]["node"] = 0
        assert [len(rs) for rs in launches_of(mixed)] == [3, 3]  # a node id of 0 does not split a launch
        outer = [{"name": "cudaGraphLaunch", "start": t - 5000, "end": t - 2000, "corr": c}
                 for t, c in ((10_000, 100), (30_000, 101))]
        a2 = analyse(device, api + outer, 100)
        assert a2["lead"] == [5000, 5000] and a2["call"] == [3000, 3000], (a2["lead"], a2["call"])
        assert short_name("_Z16gemm_tile64_nn_xPKf") == "gemm_tile64_nn_x"
        assert short_name("void cutlass::Kernel<T>(int)") == "void cutlass::Kernel"
        text, row = report("synthetic", f.name, 100)
        assert "| 13 | `adam_update` | 100x1x1/256x1x1 | 14 | 3.5 | 2.5 | 1.5 |" in text, text
        assert row == "| synthetic | 3 | 20.0 | 8.0 | 7.0 | 1.0 | 12.0 | 4.0 |", row
        # Two graphs of the same three ops launched in turn (Dendrite's steps from either batch buffer): one step
        # sequence, every 20 us, the second graph's nodes (21-23) named by the first's (11-13); a graph of other
        # ops launched almost as often is not a twin.
        alternating = []
        for step in range(6):
            t0, graph, base = 100_000 + 20_000 * step, 5 if step % 2 == 0 else 6, 11 if step % 2 == 0 else 21
            alternating += [dict(kind="K", name="gather", start=t0, end=t0 + 2000, stream=13, corr=200 + step,
                                 graph=graph, node=base, launch="x"),
                            dict(kind="K", name="ns_a::kernel", start=t0 + 3000, end=t0 + 8000, stream=13,
                                 corr=200 + step, graph=graph, node=base + 1, launch="x"),
                            dict(kind="K", name="adam_update", start=t0 + 3500, end=t0 + 6000, stream=14,
                                 corr=200 + step, graph=graph, node=base + 2, launch="x")]
        stranger = [dict(kind="K", name="other", start=300_000 + 5000 * i, end=301_000 + 5000 * i, stream=13,
                         corr=400 + i, graph=9, node=31, launch="x") for i in range(2)]
        a3 = analyse(alternating + stranger, [], 100)
        assert a3["graph"] in (5, 6) and a3["twins"] == [11 - a3["graph"]], (a3["graph"], a3["twins"])
        assert a3["read"] == 6 and a3["period"] == [20000] * 5, (a3["read"], a3["period"])
        assert sorted(a3["nodes"]) == ([11, 12, 13] if a3["graph"] == 5 else [21, 22, 23]), sorted(a3["nodes"])
        assert all(len(n["dur"]) == 6 for n in a3["nodes"].values())
        assert a3["other_graphs"] == 1, a3["other_graphs"]
        reordered = [dict(r) for r in alternating]
        for r in reordered:  # the twin's ops in another order of creation: not the same step
            if r["graph"] == 6 and r["node"] in (21, 23):
                r["node"] = 44 - r["node"]
        assert analyse(reordered, [], 100)["twins"] == [], "a graph whose nodes run other ops is no twin"
    finally:
        os.unlink(f.name)
    print("trace_report self-test: ok")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("traces", nargs="*", help="LABEL=path of a kernel_trace CSV (or a bare path)")
    p.add_argument("--steps", type=int, default=100, help="the last N launches of the step graph (0: all)")
    p.add_argument("--out", help="write the report here (default: standard output)")
    p.add_argument("--self-test", action="store_true", help="check the analysis on a synthetic trace")
    args = p.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.traces:
        p.error("no trace given")
    parts, rows = [], []
    for t in args.traces:
        label, _, path = t.rpartition("=")
        part, row = report(label or path, path, args.steps)
        parts.append(part)
        if row is not None:
            rows.append(row)
    head = ["Median microseconds per step over the last %d replays of each step graph (sections below: per node)."
            % args.steps, ""] + SUMMARY_HEAD + rows if rows else []
    text = "\n".join(head + [""] + parts) if head else "\n".join(parts)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
