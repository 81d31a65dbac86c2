#!/usr/bin/env python3
"""PyTorch peer of dev.dendrite.bench.EpochBenchmark: the same four networks, data and epoch, timed the same way.

    python3 bench/pytorch/peer.py --network mlp512,bn256 --variant eager,graph --out OUT_DIR [--tf32]

What is matched with EpochBenchmark (read it before changing anything here):
  * networks: mlp512 784-512-512-10 relu, Adam, batch 128; bn256 784-[256-relu-BN-Dropout 0.2]x3-10, Adam, batch 64;
    mlp1024 784-1024-1024-10 relu, SGD momentum 0.9 lr 0.025, batch 128; wide4096 784-4096x3-10 relu, Adam,
    batch 1024. Keras defaults as Dendrite has them: Adam lr 1e-3, betas 0.9/0.999, epsilon 1e-7; BatchNorm
    epsilon 1e-3, moving-average momentum 0.99 (PyTorch's momentum=0.01); glorot-uniform kernels, zero biases.
  * data: the first --train images (default 60,000) of Fashion-MNIST's training set, bytes divided by 255;
    shuffled every epoch; test accuracy on the 10,000 test images after warm-up + timed epochs.
  * epoch: ceil(train / batch) steps, the last one partial (Dendrite's fit does that), no validation pass; the
    training loss is summed on the device and read once per epoch (Dendrite reads its loss/accuracy sums once
    per epoch too), and that read ends the epoch's clock. The reported figure is the median of --epochs epochs
    after --warmup epochs (mean of the middle two for an even count), as EpochBenchmark takes it.
Adam's epsilon sits in a slightly different place in PyTorch than in Keras (added to sqrt(v_hat) rather than to
sqrt(v)): the same work per step, a negligible change to the numbers. SGD momentum in PyTorch's form
(b = 0.9 b + g; p -= lr b) is Keras's (v = 0.9 v - lr g; p += v) with v = -lr b.

Variants:
  eager  the usual training loop with the fused optimizer (one kernel for all parameters), data on the device,
         batches gathered with index_select from a torch.randperm permutation.
  graph  what a PyTorch expert does for small nets: gather, forward, loss, backward and optimizer step captured
         once as one CUDA graph (torch.cuda.graph) and replayed every step (a second graph for the partial last
         batch). The batch position lives in a device counter, so a replay needs nothing from the host. Needs
         CUDA; without it the variant is skipped with a message.

One JSON file per (network, variant) in --out, named pytorch-<network>-<variant>[-tf32].json, with
EpochBenchmark's field names where the meaning is the same (median_epoch_s, samples_per_s, test_accuracy, ...)
plus "peer": "pytorch" and "variant". The exit status is nonzero when a requested run failed, or when only the
graph variant was asked for and CUDA is missing.
"""

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
import warnings

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the message names the interpreter, since the GPU machine may have several
    sys.exit(f"peer.py: cannot import torch with {sys.executable} ({e}); install PyTorch for this interpreter")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datafiles import (DEFAULT_DATA, IDX_FILES, cpu_name, cpu_ticks, epoch_fields, find_data_folder,  # noqa: E402
                       find_idx, provenance_fields, read_idx_bytes, steal_percent, vector_isa)

NETWORKS = ("mlp512", "bn256", "mlp1024", "wide4096", "drop512")
VARIANTS = ("eager", "graph")
ADAM = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
SGD_MOMENTUM = dict(lr=0.025, momentum=0.9)


def batch_size(network):
    return {"bn256": 64, "wide4096": 1024}.get(network, 128)


def optimizer_kind(network):
    return "sgd" if network == "mlp1024" else "adam"


def build_model(network):
    if network == "bn256":
        layers, width = [], 784
        for _ in range(3):
            # Keras's momentum 0.99 weights the old moving average; PyTorch's momentum weights the new batch.
            layers += [nn.Linear(width, 256), nn.ReLU(), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.Dropout(0.2)]
            width = 256
        layers.append(nn.Linear(width, 10))
    else:
        hidden = {"mlp512": [512, 512], "mlp1024": [1024, 1024], "wide4096": [4096, 4096, 4096],
                  "drop512": [512, 512]}.get(network)
        if hidden is None:
            raise ValueError(f"unknown network '{network}'; expected one of {', '.join(NETWORKS)}")
        layers, width = [], 784
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()] + ([nn.Dropout(0.2)] if network == "drop512" else [])
            width = h
        layers.append(nn.Linear(width, 10))
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Linear):  # Keras's (and Dendrite's) Dense defaults, not PyTorch's
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


# ------------------------------------------------------------------------------------------------ data

def read_idx(path):
    """An unsigned-byte IDX file (optionally gzip) as a uint8 tensor of its declared shape."""
    dims, payload = read_idx_bytes(path)
    return torch.frombuffer(payload, dtype=torch.uint8).reshape(dims)


def load_data(folder, train_rows, device):
    """Train and test images scaled to [0, 1] as float32 and labels as int64, all resident on `device`."""
    folder = find_data_folder(folder)
    images, labels, test_images, test_labels = (read_idx(find_idx(folder, base)) for base in IDX_FILES)
    n = min(train_rows, images.shape[0])

    def prep(x, y):
        x = x.reshape(x.shape[0], -1).to(device).float().div_(255.0)
        return x, y.to(device).long()

    x, y = prep(images[:n], labels[:n])
    tx, ty = prep(test_images, test_labels)
    return x, y, tx, ty, folder


# ------------------------------------------------------------------------------------------------ optimizers

def make_optimizer(network, params, fused, capturable=False):
    """The network's optimizer; fused=False means foreach (the multi-tensor path), capturable only for Adam."""
    impl = dict(fused=True) if fused else dict(foreach=True)
    if optimizer_kind(network) == "sgd":
        return torch.optim.SGD(params, **SGD_MOMENTUM, **impl), f"SGD(momentum 0.9, {next(iter(impl))})"
    if capturable:
        impl["capturable"] = True
    return torch.optim.Adam(params, **ADAM, **impl), "Adam(" + ", ".join(impl) + ")"


def fused_works(network, device, capturable=False):
    """Whether this torch has the fused optimizer for `device`: tried on a throw-away parameter."""
    try:
        p = torch.zeros(4, device=device, requires_grad=True)
        p.grad = torch.ones_like(p)
        opt, _ = make_optimizer(network, [p], fused=True, capturable=capturable)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # capturable=True outside a capture warns; harmless here
            opt.step()
        return True, None
    except (RuntimeError, TypeError, ValueError) as e:
        return False, str(e).splitlines()[0]


# ------------------------------------------------------------------------------------------------ training

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_eager(network, model, x, y, batch, epochs_total, fused, device, log, on_epoch_begin=lambda epoch: None):
    opt, opt_desc = make_optimizer(network, model.parameters(), fused=fused)
    n = x.shape[0]
    steps = math.ceil(n / batch)
    loss_sum = torch.zeros((), device=device)
    times, losses = [], []
    sync(device)
    for epoch in range(epochs_total):
        on_epoch_begin(epoch)
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=device)
        for b in range(steps):
            idx = perm[b * batch:(b + 1) * batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            loss_sum.add_(loss.detach(), alpha=idx.numel())
        losses.append(loss_sum.item() / n)  # the one host read per epoch; it waits for the device
        loss_sum.zero_()
        times.append(time.perf_counter() - t0)
        log(f"  epoch {epoch + 1}/{epochs_total}: {times[-1] * 1e3:.1f} ms, train loss {losses[-1]:.4f}")
    return times, losses, opt_desc


def train_graph(network, model, x, y, batch, epochs_total, fused, device, log, warm_steps=3, emulate=False,
                on_epoch_begin=lambda epoch: None, steps_per_graph=1):
    """Whole-step CUDA graphs. The side-stream warm-up (which PyTorch requires before capture) trains a few steps;
    parameters, optimizer state and BatchNorm statistics are then put back, so the timed run trains exactly
    warm-up + timed epochs, as Dendrite's does. emulate=True runs the same bookkeeping without CUDA (a "replay"
    re-runs the step eagerly), so that it can be tested on a CPU machine; its timings mean nothing.
    steps_per_graph > 1 captures that many full-batch steps in one graph (the fair peer of Dendrite's
    FitOptions.stepsPerExecution): an epoch replays full_steps // steps_per_graph of them, one graph of the remaining
    full steps, and the partial batch's."""
    params = list(model.parameters())
    # capturable=True is refused on the CPU, and only a real capture needs it.
    opt, opt_desc = make_optimizer(network, params, fused=fused, capturable=not emulate)
    n = x.shape[0]
    full_steps, tail = divmod(n, batch)
    perm = torch.randperm(n, device=device)              # refilled in place every epoch
    counter = torch.zeros((), dtype=torch.long, device=device)  # batches done in this epoch, read by the gather
    loss_sum = torch.zeros((), device=device)
    shapes = ([batch] if full_steps else []) + ([tail] if tail else [])
    positions = {rows: torch.arange(rows, device=device) for rows in shapes}
    per_graph = max(1, min(steps_per_graph, full_steps)) if full_steps else 1
    whole, rest = divmod(full_steps, per_graph)
    # The graphs an epoch replays, as (rows, steps): whole ones of per_graph full steps, one of the rest, the tail.
    plan = ([(batch, per_graph)] * whole) + ([(batch, rest)] if rest else []) + ([(tail, 1)] if tail else [])

    def step(rows):
        offsets = torch.add(positions[rows], counter, alpha=batch)
        idx = perm.index_select(0, offsets)
        loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
        loss.backward()
        opt.step()
        loss_sum.add_(loss.detach(), alpha=rows)
        counter.add_(1)

    def steps(rows, count):
        for i in range(count):
            if i:
                opt.zero_grad(set_to_none=True)  # each step's backward writes fresh grads, as a step of its own does
            step(rows)

    initial = [p.detach().clone() for p in params]
    if emulate:
        side_stream = contextlib.nullcontext()
    else:
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        side_stream = torch.cuda.stream(side)
    with side_stream, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "capturable=True ... running without graph capture": expected here
        for rows in shapes:
            for _ in range(warm_steps):
                counter.fill_(0 if rows == batch else full_steps)  # stay inside the data
                opt.zero_grad(set_to_none=True)
                step(rows)
    if not emulate:
        torch.cuda.current_stream(device).wait_stream(side)
    sync(device)

    graphs = {}
    for key in dict.fromkeys(plan):  # each (rows, steps) once, in order
        # Grads must be None at capture so that backward writes them instead of adding to stale ones; each graph
        # gets its own memory pool, so no two share a block.
        opt.zero_grad(set_to_none=True)
        if emulate:
            graphs[key] = _EmulatedGraph(lambda k=key: (opt.zero_grad(set_to_none=True), steps(*k)))
            continue
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            steps(*key)
        graphs[key] = g
    sync(device)

    with torch.no_grad():  # in place: the graphs hold these addresses
        for p, p0 in zip(params, initial):
            p.copy_(p0)
        for state in opt.state.values():
            for value in state.values():
                if torch.is_tensor(value):
                    value.zero_()  # Adam's step, m, v; SGD's momentum buffer (zero = its first step's value)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.reset_running_stats()
        loss_sum.zero_()
    sync(device)

    times, losses = [], []
    for epoch in range(epochs_total):
        on_epoch_begin(epoch)
        t0 = time.perf_counter()
        perm.copy_(torch.randperm(n, device=device))
        counter.zero_()
        for key in plan:
            graphs[key].replay()
        losses.append(loss_sum.item() / n)
        loss_sum.zero_()
        times.append(time.perf_counter() - t0)
        log(f"  epoch {epoch + 1}/{epochs_total}: {times[-1] * 1e3:.1f} ms, train loss {losses[-1]:.4f}")
    kind = "emulated graph(s)" if emulate else "CUDA graph(s)"
    return times, losses, opt_desc + f", {len(graphs)} {kind}"


class _EmulatedGraph:
    def __init__(self, fn):
        self.replay = fn


def evaluate(model, tx, ty, chunk=10000):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, tx.shape[0], chunk):
            logits = model(tx[i:i + chunk])
            loss += F.cross_entropy(logits, ty[i:i + chunk], reduction="sum").item()
            correct += (logits.argmax(1) == ty[i:i + chunk]).sum().item()
    model.train()
    return loss / tx.shape[0], correct / tx.shape[0]


def median(values):
    return statistics.median(values)  # mean of the middle two for an even count, as EpochBenchmark


# ------------------------------------------------------------------------------------------------ one run

def run_one(args, network, variant, device, data, log):
    x, y, tx, ty, folder = data
    torch.manual_seed(args.seed)
    batch = min(args.batch or batch_size(network), x.shape[0])  # as Dendrite's fit clamps it
    model = build_model(network).to(device)
    emulate = variant == "graph" and device.type != "cuda"  # only with --emulate-graph (main checks)
    fused, why_not = fused_works(network, device, capturable=(variant == "graph" and not emulate))
    if not fused:
        log(f"  note: the fused optimizer is not available here ({why_not}); using foreach instead")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    epochs_total = args.warmup + args.epochs
    ticks = []  # the CPU time counters when the timed epochs begin

    def on_epoch_begin(epoch):
        if epoch == args.warmup:
            ticks[:] = [cpu_ticks()]

    t0 = time.perf_counter()
    if variant == "eager":
        times, losses, opt_desc = train_eager(network, model, x, y, batch, epochs_total, fused, device, log,
                                              on_epoch_begin)
    else:
        try:
            times, losses, opt_desc = train_graph(network, model, x, y, batch, epochs_total, fused, device, log,
                                                  emulate=emulate, on_epoch_begin=on_epoch_begin,
                                                  steps_per_graph=args.steps_per_graph)
        except Exception:
            if not fused:
                raise
            # Some fused kernels have not always been capturable; foreach with capturable=True is the documented path.
            log("  note: capture with the fused optimizer failed; retrying with foreach:\n"
                + traceback.format_exc(limit=3))
            sync(device)
            torch.manual_seed(args.seed)
            model = build_model(network).to(device)
            times, losses, opt_desc = train_graph(network, model, x, y, batch, epochs_total, False, device, log,
                                                  emulate=emulate, on_epoch_begin=on_epoch_begin,
                                                  steps_per_graph=args.steps_per_graph)
    steal = steal_percent(ticks[0] if ticks else None, cpu_ticks())
    total = time.perf_counter() - t0
    if variant == "graph" and args.steps_per_graph > 1:
        variant = f"graph-spg{args.steps_per_graph}"  # several steps per graph: compared with Dendrite's spe runs
    if emulate:
        variant += "-emulated"  # never to be mistaken for a measurement of CUDA graphs
    test_loss, test_acc = evaluate(model, tx, ty)

    timed = times[args.warmup:]
    med = median(timed)
    n = x.shape[0]
    steps = math.ceil(n / batch)
    peak_mb = torch.cuda.max_memory_allocated(device) / 1e6 if device.type == "cuda" else None
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    precision = "TF32 matmul" if args.tf32 and device.type == "cuda" else "FP32"
    out = {
        "network": network,
        "peer": "pytorch",
        "variant": variant,
        "backend": f"pytorch {torch.__version__} {variant}: {device.type} {dev_name}, {precision}",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": dev_name,
        "isa": vector_isa() if device.type == "cpu" else None,
        "tf32": bool(args.tf32 and device.type == "cuda"),
        "optimizer": opt_desc,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "data": f"Fashion-MNIST from {folder}",
        **epoch_fields(n, batch, steps, args.warmup, timed, med, total),
        "steal_percent": steal,  # of the machine's CPU time during the timed epochs (Linux guests)
        "peak_device_memory_mb": peak_mb,
        "final_train_loss": losses[-1],
        "test_loss": test_loss,
        "test_accuracy": test_acc,
        **provenance_fields(),
    }
    mem = f"peak device memory {peak_mb:.0f} MB" if peak_mb is not None else "peak device memory n/a (cpu)"
    log(f"{network} on {out['backend']}: median epoch {med:.3f} s = {out['ms_per_step']:.3f} ms/step "
        f"({n / med:,.0f} samples/s) over {args.epochs} epochs after {args.warmup} warm-up; {mem}; "
        f"test accuracy {test_acc:.4f} after {epochs_total} epochs" + ("" if steal is None else f"; steal {steal:.0f}%"))
    return out


def parse_list(text, allowed, what):
    items = [s.strip() for s in text.split(",") if s.strip()]
    for s in items:
        if s not in allowed:
            raise SystemExit(f"peer.py: unknown {what} '{s}'; expected {', '.join(allowed)} (comma-separated)")
    if not items:
        raise SystemExit(f"peer.py: no {what} given; expected {', '.join(allowed)}")
    return items


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default=",".join(NETWORKS), help="comma-separated: " + ", ".join(NETWORKS))
    ap.add_argument("--variant", default="eager,graph", help="comma-separated: eager, graph")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (EpochBenchmark's default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed epochs first (EpochBenchmark's default 1)")
    ap.add_argument("--train", "--limit-rows", dest="train", type=int, default=60000,
                    help="training images per epoch, the first N (EpochBenchmark's --train)")
    ap.add_argument("--batch", type=int, default=0, help="override the network's batch size")
    ap.add_argument("--data", default=os.environ.get("DENDRITE_DATA") or DEFAULT_DATA,
                    help="folder with the Fashion-MNIST IDX files (default $DENDRITE_DATA, else " + DEFAULT_DATA + ")")
    ap.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cuda, cuda:N or cpu")
    ap.add_argument("--tf32", action="store_true", help="let matmuls use TF32 (torch.set_float32_matmul_precision)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0,
                    help="CPU threads for torch (torch.set_num_threads); 0 keeps torch's default (one per core)")
    ap.add_argument("--emulate-graph", action="store_true",
                    help="without CUDA, run the graph variant's bookkeeping with eager re-runs instead of replays "
                         "(a test of this script on a CPU machine; written as variant graph-emulated)")
    ap.add_argument("--steps-per-graph", type=int, default=1,
                    help="graph variant: full-batch steps captured in one CUDA graph (default 1; the variant is then "
                         "written as graph-spgN)")
    ap.add_argument("--out", default=None, help="folder for pytorch-<network>-<variant>[-tf32].json")
    args = ap.parse_args(argv)

    networks = parse_list(args.network, NETWORKS, "network")
    variants = parse_list(args.variant, VARIANTS, "variant")
    if args.steps_per_graph < 1:
        raise SystemExit(f"peer.py: --steps-per-graph must be >= 1; got {args.steps_per_graph}")
    if args.epochs < 1 or args.warmup < 0 or args.train < 1 or args.batch < 0:
        raise SystemExit(f"peer.py: need --epochs >= 1, --warmup >= 0, --train >= 1, --batch >= 0; got "
                         f"{args.epochs}, {args.warmup}, {args.train}, {args.batch}")

    if args.threads < 0:
        raise SystemExit(f"peer.py: --threads must be >= 0 (0 = torch's default); got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit(f"peer.py: --device {args.device} but torch {torch.__version__} sees no CUDA device "
                             f"(torch.version.cuda = {torch.version.cuda})")
    if device.type == "cuda":
        # torch 2.11 refuses set_device on a bare "cuda": resolve the index first.
        device = torch.device("cuda", device.index if device.index is not None else torch.cuda.current_device())
        torch.cuda.set_device(device)
    # Set explicitly both ways, so a default changed by an environment variable or a future release cannot leak in.
    torch.set_float32_matmul_precision("high" if args.tf32 else "highest")

    def log(msg):
        print(msg, flush=True)

    where = (f"cuda {torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda}" if device.type == "cuda"
             else f"cpu, {torch.get_num_threads()} threads")
    log(f"peer.py: torch {torch.__version__} on {where}; networks {', '.join(networks)}; variants "
        f"{', '.join(variants)}; {args.epochs} epochs after {args.warmup} warm-up; {'TF32' if args.tf32 else 'FP32'}")
    if args.tf32 and device.type != "cuda":
        log("peer.py: --tf32 has no effect on the cpu")

    status = 0
    if "graph" in variants and device.type != "cuda" and args.emulate_graph:
        log("peer.py: --emulate-graph: the graph variant re-runs its step eagerly on the cpu; its times mean nothing")
    elif "graph" in variants and device.type != "cuda":
        log(f"peer.py: skipping the graph variant: it needs CUDA, and this run is on {device.type} "
            f"(torch {torch.__version__}, torch.cuda.is_available() = {torch.cuda.is_available()})")
        variants = [v for v in variants if v != "graph"]
        if not variants:
            return 2  # only graph was asked for, and it cannot run here

    t = time.perf_counter()
    data = load_data(args.data, args.train, device)
    log(f"peer.py: {data[0].shape[0]} training and {data[2].shape[0]} test images from {data[4]} on {device} "
        f"in {time.perf_counter() - t:.1f} s")

    if args.out:
        os.makedirs(args.out, exist_ok=True)
    for network in networks:
        for variant in variants:
            log(f"== pytorch {network} {variant}")
            try:
                result = run_one(args, network, variant, device, data, log)
            except Exception:
                status = 1
                log(f"peer.py: {network} {variant} failed:\n{traceback.format_exc()}")
                if device.type == "cuda":
                    try:
                        torch.cuda.synchronize(device)
                    except Exception:
                        log("peer.py: the CUDA context is unusable after that failure; stopping")
                        return status
                continue
            if args.out:
                # The result's own variant: graph-spgN for several steps per graph, graph-emulated for a cpu test.
                name = f"pytorch-{network}-{result['variant']}{'-tf32' if result['tf32'] else ''}.json"
                with open(os.path.join(args.out, name), "w") as f:
                    json.dump(result, f, indent=2)
                    f.write("\n")
                log(f"  wrote {os.path.join(args.out, name)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
