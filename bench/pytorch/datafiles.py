"""Fashion-MNIST's IDX files and the machine's name for the Python peers (stdlib only, so that every peer can use it
whatever framework it imports): where the files are, their bytes and shape, the CPU model and vector
instruction set a CPU result was measured on, and the fields every peer's result JSON shares."""

import datetime
import gzip
import math
import os
import platform
import shlex
import struct
import sys

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def find_data_folder(folder):
    """The folder holding the four IDX files: `folder` itself or its fashion-mnist/ subfolder (as Dendrite looks)."""
    for candidate in (os.path.join(folder, "fashion-mnist"), folder):
        if all(find_idx(candidate, base) for base in IDX_FILES):
            return candidate
    missing = [base for base in IDX_FILES if not find_idx(folder, base)]
    raise FileNotFoundError(f"data folder '{folder}' lacks {', '.join(m + '(.gz)' for m in missing)}; pass --data "
                            f"or set DENDRITE_DATA to a folder with the four Fashion-MNIST IDX files "
                            f"(apt-get install dataset-fashion-mnist puts them in {DEFAULT_DATA})")


def find_idx(folder, base):
    dotted = base.replace("-idx", ".idx")
    for name in (base, base + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def read_idx_bytes(path):
    """An unsigned-byte IDX file (optionally gzip): (shape, bytearray of the payload), checked against its header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (first bytes {data[:4].hex()}, expected 000008xx)")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    payload = bytearray(memoryview(data)[4 + 4 * ndim:])
    if len(payload) != math.prod(dims):
        raise ValueError(f"{path}: header declares shape {dims} ({math.prod(dims)} bytes) but holds {len(payload)}")
    return dims, payload


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def vector_isa():
    """The widest x86 float vector extension the CPU reports: "AVX-512", "AVX2", or what /proc/cpuinfo lacks."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    if "avx512f" in flags:
        return "AVX-512"
    if "avx2" in flags and "fma" in flags:
        return "AVX2"
    return "no AVX2"


def cpu_ticks():
    """(steal, total) CPU clock ticks so far from /proc/stat's "cpu" line, or None off Linux.

    Steal is the time a virtual machine's vCPUs were ready to run while the host ran something else; on the 2-vCPU
    KVM guest these benchmarks were written on it reached 40% of a run's CPU time at moments. EpochBenchmark reads
    the same counters (Machine.cpuTicks), so every program's figure comes with the steal of its own timed epochs.
    """
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu "):
                    v = [int(t) for t in line.split()[1:9]]  # user .. steal; guest time is inside user
                    return (v[7] if len(v) > 7 else 0, sum(v))
    except (OSError, ValueError):
        pass
    return None


def steal_percent(before, after):
    """Percent of all the machine's CPU time (idle included) stolen between two cpu_ticks() snapshots, or None."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return 100.0 * (after[0] - before[0]) / (after[1] - before[1])


def epoch_fields(n, batch, steps, warmup, timed, median, total):
    """The epoch protocol's figures, named as EpochBenchmark's JSON names them."""
    return {
        "train_images": n,
        "batch_size": batch,
        "steps_per_epoch": steps,
        "warmup_epochs": warmup,
        "epoch_times_s": timed,
        "median_epoch_s": median,
        "ms_per_step": median * 1e3 / steps,
        "samples_per_s": n / median,
        "total_s": total,
    }


def provenance_fields():
    """When, where and by which command a result was measured."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": platform.node(),
        "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
    }
