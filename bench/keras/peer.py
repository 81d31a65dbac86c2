#!/usr/bin/env python3
"""Keras 3 peer of dev.dendrite.bench.EpochBenchmark: the same networks, data and epoch, timed the same way.

    KERAS_BACKEND=jax python3 bench/keras/peer.py --network mlp512,bn256 --out OUT_DIR

Keras is the API Dendrite copies, so this is the program a Keras user would write: Sequential, compile, fit.
What is matched with EpochBenchmark (and with bench/pytorch/peer.py):
  * networks: mlp512 784-512-512-10 relu/softmax, Adam, batch 128; bn256 784-[256 Dense, relu, BatchNormalization,
    Dropout 0.2]x3-10, Adam, batch 64; mlp1024 784-1024-1024-10, SGD momentum 0.9 lr 0.025, batch 128; wide4096
    784-4096x3-10, Adam, batch 1024. Keras's defaults are Dendrite's: Adam lr 1e-3, epsilon 1e-7; BatchNormalization
    momentum 0.99, epsilon 1e-3; glorot-uniform kernels, zero biases. Loss sparse categorical cross-entropy on the
    softmax output, metric accuracy (Dendrite's fit sums loss and accuracy too).
  * data: the first --train images of Fashion-MNIST's training set, bytes divided by 255 (Preprocessing SCALE),
    as float32 NumPy arrays handed to fit, which shuffles every epoch and runs the partial last batch.
  * epoch: the time from Keras's on_epoch_begin to on_epoch_end, after reading the epoch's loss as a Python float
    (a host read, so the epoch's work is done, as Dendrite reads its loss sums once per epoch); the figure is the
    median of --epochs epochs after --warmup epochs. The warm-up epoch absorbs JAX's compilation of the train step
    (twice: full and partial batch).

Threads: JAX's CPU client sizes its pool from the cores the process may run on, so bench/run-cpu-side-by-side.sh
limits peers (and Dendrite) with taskset; this script reports the count it saw. One JSON file per network in --out,
named keras-<network>.json, with EpochBenchmark's field names where the meaning is the same.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from datafiles import (DEFAULT_DATA, IDX_FILES, cpu_name, cpu_ticks, epoch_fields, find_data_folder,  # noqa: E402
                       find_idx, provenance_fields, read_idx_bytes, steal_percent, vector_isa)

os.environ.setdefault("KERAS_BACKEND", "jax")
try:
    import numpy as np
    import keras
except ImportError as e:
    sys.exit(f"keras/peer.py: cannot import keras with {sys.executable} ({e}); install keras and jax for it")

NETWORKS = ("mlp512", "bn256", "mlp1024", "wide4096")


def batch_size(network):
    return {"bn256": 64, "wide4096": 1024}.get(network, 128)


def build_model(network):
    layers = [keras.Input(shape=(784,))]
    if network == "bn256":
        for _ in range(3):
            layers += [keras.layers.Dense(256), keras.layers.Activation("relu"), keras.layers.BatchNormalization(),
                       keras.layers.Dropout(0.2)]
    else:
        hidden = {"mlp512": [512, 512], "mlp1024": [1024, 1024], "wide4096": [4096, 4096, 4096]}.get(network)
        if hidden is None:
            raise ValueError(f"unknown network '{network}'; expected one of {', '.join(NETWORKS)}")
        layers += [keras.layers.Dense(h, activation="relu") for h in hidden]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers)


def optimizer(network):
    if network == "mlp1024":
        return keras.optimizers.SGD(learning_rate=0.025, momentum=0.9), "SGD(0.025, momentum 0.9)"
    return keras.optimizers.Adam(), "Adam(1e-3, epsilon 1e-7)"


def load_data(folder, train_rows):
    folder = find_data_folder(folder)

    def images(base, rows=None):
        dims, payload = read_idx_bytes(find_idx(folder, base))
        x = np.frombuffer(payload, dtype=np.uint8).reshape(dims[0], -1)[:rows]
        return x.astype(np.float32) / np.float32(255.0)

    def labels(base, rows=None):
        dims, payload = read_idx_bytes(find_idx(folder, base))
        return np.frombuffer(payload, dtype=np.uint8)[:rows].astype(np.int32)

    x, y = images(IDX_FILES[0], train_rows), labels(IDX_FILES[1], train_rows)
    return x, y, images(IDX_FILES[2]), labels(IDX_FILES[3]), folder


class EpochClock(keras.callbacks.Callback):
    def __init__(self, log, warmup):
        super().__init__()
        self.times, self.losses, self.log, self.warmup, self.ticks = [], [], log, warmup, None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.warmup:
            self.ticks = cpu_ticks()  # the CPU time counters when the timed epochs begin
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        loss = float(logs["loss"])  # a host read: waits for the epoch's last step, should fit not have already
        self.times.append(time.perf_counter() - self.t0)
        self.losses.append(loss)
        self.log(f"  epoch {epoch + 1}: {self.times[-1] * 1e3:.1f} ms, train loss {self.losses[-1]:.4f}")


def run_one(args, network, data, log):
    x, y, tx, ty, folder = data
    keras.utils.set_random_seed(args.seed)
    batch = min(args.batch or batch_size(network), x.shape[0])
    model = build_model(network)
    opt, opt_desc = optimizer(network)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    clock = EpochClock(log, args.warmup)
    epochs_total = args.warmup + args.epochs
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs_total, shuffle=True, verbose=0, callbacks=[clock])
    steal = steal_percent(clock.ticks, cpu_ticks())
    total = time.perf_counter() - t0
    test_loss, test_acc = model.evaluate(tx, ty, batch_size=10000, verbose=0)
    timed = clock.times[args.warmup:]
    med = statistics.median(timed)
    n = x.shape[0]
    steps = math.ceil(n / batch)
    import jax  # only for the versions and the device count it saw
    out = {
        "network": network,
        "peer": "keras",
        "variant": f"keras {keras.__version__} on {keras.backend.backend()}",
        "backend": f"keras {keras.__version__} ({keras.backend.backend()} {jax.__version__}): cpu {cpu_name()}, FP32",
        "keras": keras.__version__,
        "jax": jax.__version__,
        "device": cpu_name(),
        "isa": vector_isa(),
        "optimizer": opt_desc,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "cores_allowed": len(os.sched_getaffinity(0)),
        "data": f"Fashion-MNIST from {folder}",
        **epoch_fields(n, batch, steps, args.warmup, timed, med, total),
        "steal_percent": steal,  # of the machine's CPU time during the timed epochs (Linux guests)
        "final_train_loss": clock.losses[-1],
        "test_loss": float(test_loss),
        "test_accuracy": float(test_acc),
        **provenance_fields(),
    }
    log(f"{network} on {out['backend']}: median epoch {med:.3f} s = {out['ms_per_step']:.3f} ms/step "
        f"({n / med:,.0f} samples/s) over {args.epochs} epochs after {args.warmup} warm-up; "
        f"test accuracy {test_acc:.4f} after {epochs_total} epochs" + ("" if steal is None else f"; steal {steal:.0f}%"))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default="mlp512,bn256,mlp1024", help="comma-separated: " + ", ".join(NETWORKS))
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (EpochBenchmark's default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed epochs first (EpochBenchmark's default 1)")
    ap.add_argument("--train", type=int, default=60000, help="training images per epoch, the first N")
    ap.add_argument("--batch", type=int, default=0, help="override the network's batch size")
    ap.add_argument("--data", default=os.environ.get("DENDRITE_DATA") or DEFAULT_DATA,
                    help="folder with the Fashion-MNIST IDX files (default $DENDRITE_DATA, else " + DEFAULT_DATA + ")")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="folder for keras-<network>.json")
    args = ap.parse_args(argv)
    networks = [s.strip() for s in args.network.split(",") if s.strip()]
    for s in networks:
        if s not in NETWORKS:
            raise SystemExit(f"keras/peer.py: unknown network '{s}'; expected {', '.join(NETWORKS)} (comma-separated)")
    if args.epochs < 1 or args.warmup < 0 or args.train < 1 or args.batch < 0:
        raise SystemExit(f"keras/peer.py: need --epochs >= 1, --warmup >= 0, --train >= 1, --batch >= 0; got "
                         f"{args.epochs}, {args.warmup}, {args.train}, {args.batch}")

    def log(msg):
        print(msg, flush=True)

    log(f"keras/peer.py: keras {keras.__version__} on {keras.backend.backend()}, {len(os.sched_getaffinity(0))} "
        f"cores allowed; networks {', '.join(networks)}; {args.epochs} epochs after {args.warmup} warm-up")
    data = load_data(args.data, args.train)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    status = 0
    for network in networks:
        log(f"== keras {network}")
        try:
            result = run_one(args, network, data, log)
        except Exception:
            status = 1
            log(f"keras/peer.py: {network} failed:\n{traceback.format_exc()}")
            continue
        if args.out:
            path = os.path.join(args.out, f"keras-{network}.json")
            with open(path, "w") as f:
                json.dump(result, f, indent=2)
                f.write("\n")
            log(f"  wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
