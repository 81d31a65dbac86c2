"""Checks with h5py (the real HDF5 library) and Keras the files that dev.dendrite.io.Hdf5Writer wrote.

    cd /path/to/repo && mvn -B -ntp -o -q test -pl java/core -Dtest=Hdf5WriterTest -Ddendrite.hdf5.dump=1
    cd /tmp && /tmp/kv/bin/python /path/to/bench/keras/hdf5_writer_check.py \
        /path/to/repo/java/core/target/hdf5-writer/*.h5
    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /path/to/bench/keras/hdf5_writer_check.py \
        --keras MODEL.keras REFERENCE.weights.h5 WRITTEN.weights.h5

For each FILE.h5: prints every group and dataset h5py finds (visititems) with its shape, dtype and attributes,
at most 12 lines a file, then a summary. If FILE.json lies beside it (Hdf5WriterTest writes it: {"datasets":
{path: {"dtype", "shape", "bits" (float32 bit patterns) or "value"}}, "groups": [...], "attrs": {group: {name:
value}}}), also checks that exactly those datasets exist, each found by its path (HDF5 binary-searches each
group's B-tree, so a name sorted out of order is not found), with that dtype, shape and values bit for bit; that
the groups exist; that the attributes read back as Python str with those values; and that every group lists its
links in HDF5's order (UTF-8 bytes).

With --keras: loads MODEL.keras, loads REFERENCE.weights.h5 (Keras's own file of the same weights) and keeps every
model and optimizer variable, zeroes them all, then loads WRITTEN.weights.h5 with model.load_weights and checks
every variable is back bit for bit; then does the same with load_model of a copy of MODEL.keras whose
model.weights.h5 is WRITTEN.weights.h5.

Exit status 1 if any check fails.
"""
import json
import os
import shutil
import sys
import tempfile
import zipfile

import h5py
import numpy as np

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("  FAIL:", what)


def check_file(path):
    f = h5py.File(path, "r")
    objects = {}
    f.visititems(lambda name, obj: objects.__setitem__(name, obj))
    datasets = {k: v for k, v in objects.items() if isinstance(v, h5py.Dataset)}
    groups = {k: v for k, v in objects.items() if isinstance(v, h5py.Group)}
    elements = 0
    lines = []
    for name, obj in objects.items():
        attrs = {k: v for k, v in obj.attrs.items()}
        if isinstance(obj, h5py.Dataset):
            data = obj[()]  # reads every dataset
            elements += np.asarray(data).size
            lines.append(f"  {name}: dataset {obj.shape} {obj.dtype} attrs={attrs}")
        else:
            lines.append(f"  {name}: group of {len(obj)} links attrs={attrs}")
    root_attrs = dict(f.attrs)
    print(f"{path}: {len(groups)} groups, {len(datasets)} datasets ({elements} elements), root attrs "
          f"{len(root_attrs)}{' ' + str(root_attrs) if len(root_attrs) <= 3 else ''}")
    for line in lines[:12]:
        print(line)
    if len(lines) > 12:
        print(f"  ... and {len(lines) - 12} more")
    for name, g in [("", f)] + list(groups.items()):
        keys = list(g.keys())
        check(keys == sorted(keys, key=lambda k: k.encode("utf-8")), f"{path}: group '{name}' lists its links "
              f"in HDF5's order")

    sidecar = path[:-3] + ".json"
    if not os.path.exists(sidecar):
        return
    with open(sidecar) as j:
        want = json.load(j)
    check(sorted(datasets) == sorted(want["datasets"]), f"{path}: dataset paths")
    for p, d in want["datasets"].items():
        check(p in f, f"{path}: '{p}' found by path")
        ds = f[p]
        check(isinstance(ds, h5py.Dataset), f"{path}: '{p}' is a dataset")
        check(ds.dtype == np.dtype("<" + ("f4" if d["dtype"] == "float32" else "i4")), f"{path}: '{p}' dtype "
              f"{ds.dtype}, expected {d['dtype']}")
        check(list(ds.shape) == d["shape"], f"{path}: '{p}' shape {ds.shape}, expected {d['shape']}")
        got = np.asarray(ds[()])
        if d["dtype"] == "float32":
            check(np.array_equal(got.view(np.int32).ravel(), np.array(d["bits"], dtype=np.int32)),
                  f"{path}: '{p}' values")
        else:
            check(got.shape == () and int(got) == d["value"], f"{path}: '{p}' value {got}, expected {d['value']}")
    for g in want["groups"]:
        check(g in f and isinstance(f[g], h5py.Group), f"{path}: group '{g}'")
    for g, attrs in want["attrs"].items():
        got = dict((f[g] if g else f).attrs)
        check(got == attrs and all(type(v) is str for v in got.values()),
              f"{path}: attributes of '{g}' read as str: {str(got)[:200]}")
    print(f"  checked against {os.path.basename(sidecar)}: {len(want['datasets'])} datasets, "
          f"{len(want['groups'])} groups, {sum(len(a) for a in want['attrs'].values())} attributes")


def check_keras(model_path, reference, written):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    def variables(m):
        return list(m.weights) + list(m.optimizer.variables if m.optimizer else [])

    model = keras.saving.load_model(model_path)
    model.load_weights(reference)
    want = [np.array(v.numpy()) for v in variables(model)]
    for v in variables(model):
        v.assign(np.zeros(v.shape, v.dtype))
    tmp = tempfile.TemporaryDirectory()
    # Keras reads a file of another name as its legacy HDF5 format
    named = os.path.join(tmp.name, "written.weights.h5")
    shutil.copyfile(written, named)
    model.load_weights(named)

    def same(m, how):
        got = [np.array(v.numpy()) for v in variables(m)]
        ok = len(got) == len(want) and all(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
                                           for a, b in zip(got, want))
        check(ok, f"{how}: every variable as in {reference}")
        print(f"{how}: {len(got)} variables ({sum(a.size for a in got)} values, "
              f"{len(m.optimizer.variables)} of the optimizer) {'equal' if ok else 'DIFFER'}")

    same(model, f"model.load_weights({written})")
    copy = os.path.join(tmp.name, "written.keras")
    with zipfile.ZipFile(model_path) as src, zipfile.ZipFile(copy, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, open(written, "rb").read() if item.filename == "model.weights.h5" else data)
    same(keras.saving.load_model(copy), f"load_model(.keras holding {written})")
    tmp.cleanup()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--keras"]:
        check_keras(*args[1:4])
    else:
        for a in args:
            check_file(a)
    print("FAILED:" if failures else "all checks passed", *failures, sep="\n  " if failures else "")
    sys.exit(1 if failures else 0)
