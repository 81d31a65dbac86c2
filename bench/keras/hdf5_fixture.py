"""Writes the HDF5 files that Hdf5FileTest reads with dev.dendrite.io.Hdf5File, and the values it must find there.

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /path/to/bench/keras/hdf5_fixture.py \
        /path/to/java/core/src/test/resources/dev/dendrite/io

Writes into that folder:
  keras-model.weights.h5    the model.weights.h5 that Keras 3 puts in a .keras zip (taken out of one) for
                            Input(6) -> Dense(5, relu) -> BatchNormalization -> Dense(3, softmax) trained one Adam
                            step, so the optimizer group holds an int64 iteration counter and a float32 learning
                            rate beside the float32 slots;
  keras-model.weights.json  every dataset of it: {"path": {"shape": [...], "values": [...]}}, values rounded to
                            float32 (a double parsed from the JSON casts to exactly the float the reader must give);
  hdf5-mixed.h5             h5py's defaults: a group "many" of 200 names (a B-tree of two levels), nested groups
                            with float64, int8/16/32/64, uint8/16/64, big-endian float32 and int16, scalars,
                            zero-length datasets, a compact-layout dataset, a hard link to a dataset and one back
                            up to an ancestor group (a cycle), and a new-style group (link messages, creation order
                            tracked) in a version 1 object header;
  hdf5-mixed.json           its datasets as above (a dataset reached by two paths is listed under both; the link to
                            an ancestor is not followed);
  hdf5-gzip.h5              one gzip-compressed (so chunked) dataset "weights/w";
  hdf5-resizable.h5         one uncompressed dataset "r" with maxshape None, which HDF5 must store chunked;
  hdf5-softlink.h5          a new-style group "n" holding a dataset "d" and a soft link "s" to it;
  hdf5-unwritten.h5         a dataset "u" created but never written (no data in the file, only a fill value 2.5);
  hdf5-userblock.h5         a 512-byte user block before the superblock, and a float32 dataset "x" = [0, 1, 2];
  hdf5-offsets4.h5          4-byte offsets and lengths (set_sizes(4, 4); HDF5 2.0 then writes superblock version 2):
                            "g/x" = [[1, 2], [3, 4]] (float64) and
                            the int32 scalar "g/s" = -9;
  hdf5-latest.h5            libver="latest": superblock version 3, version 2 object headers, a float32 dataset
                            "g/h/x" = [0.5, 1.5, -3].
Deterministic contents (fixed seeds); h5py 3.16 with HDF5 2.0 wrote the committed files.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1]


def dump(path):
    """Every dataset reachable from the root by hard links, values as float32, the shape as h5py reports it."""
    entries = {}
    with h5py.File(path, "r") as f:
        def walk(group, prefix, ancestors):
            for name in group:
                link = group.get(name, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    continue
                obj = group[name]
                full = prefix + name
                if isinstance(obj, h5py.Dataset):
                    a = np.asarray(obj[()]).astype(np.float32)
                    entries[full] = {"shape": list(obj.shape), "values": [float(v) for v in a.reshape(-1)]}
                elif isinstance(obj, h5py.Group):
                    # a link back to a group on the current path is a cycle, which Hdf5File does not follow
                    addr = h5py.h5o.get_info(obj.id).addr
                    if addr not in ancestors:
                        walk(obj, full + "/", ancestors | {addr})
        walk(f, "", {h5py.h5o.get_info(f.id).addr})
    return dict(sorted(entries.items()))


def write_json(name, entries):
    with open(os.path.join(out, name), "w") as fh:
        json.dump(entries, fh, indent=None, separators=(",", ":"))
        fh.write("\n")


def keras_weights():
    import keras
    keras.utils.set_random_seed(20260701)
    rng = np.random.default_rng(20260701)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x = rng.normal(0, 1, (8, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8).astype(np.int32)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    # The weights as a .keras zip holds them, not save_weights's file: that is the file Dendrite reads.
    import tempfile
    import zipfile
    with tempfile.TemporaryDirectory() as tmp:
        model.save(os.path.join(tmp, "m.keras"))
        with zipfile.ZipFile(os.path.join(tmp, "m.keras")) as z:
            data = z.read("model.weights.h5")
    path = os.path.join(out, "keras-model.weights.h5")
    with open(path, "wb") as fh:
        fh.write(data)
    write_json("keras-model.weights.json", dump(path))


def mixed():
    rng = np.random.default_rng(7)
    path = os.path.join(out, "hdf5-mixed.h5")
    with h5py.File(path, "w") as f:
        a = f.create_group("a")
        b = a.create_group("b")
        a["f64"] = rng.normal(0, 1, (2, 3))
        a["i32"] = np.array([[-2147483648, -1, 0], [1, 16777217, 2147483647]], dtype=np.int32)
        a["u8"] = np.array([0, 1, 127, 128, 255], dtype=np.uint8)
        b["be_f32"] = rng.normal(0, 1, (3, 2)).astype(">f4")
        b["be_i16"] = np.array([-32768, -2, 300, 32767], dtype=">i2")
        b["i8"] = np.array([-128, -1, 0, 127], dtype=np.int8)
        b["i16"] = np.array([-32768, 5, 32767], dtype=np.int16)
        b["u16"] = np.array([0, 65535], dtype=np.uint16)
        b["i64"] = np.array([-(2 ** 40), 3, 2 ** 62], dtype=np.int64)
        b["u64"] = np.array([2 ** 64 - 1, 5], dtype=np.uint64)
        f["scalar"] = np.float32(3.25)
        f["scalar_i64"] = np.int64(-7)
        f["empty"] = np.zeros((0,), dtype=np.float32)
        f["empty2"] = np.zeros((2, 0, 3), dtype=np.float64)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        f.create_dataset("compact", data=np.arange(6, dtype=np.float32).reshape(2, 3) / 4, dcpl=dcpl)
        # 200 names need a two-level B-tree at the default K (leaves of up to 8 names, up to 32 per node); hard
        # links to 3 datasets keep the file small.
        many = f.create_group("many")
        for i in range(3):
            many["d%03d" % i] = np.float32(i) + np.arange(2, dtype=np.float32) / 2
        for i in range(3, 200):
            many["d%03d" % i] = many["d%03d" % (i % 3)]
        a["link_to_f64"] = a["f64"]
        b["up"] = a
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED)
        h5py.h5g.create(f.id, b"new", gcpl=gcpl)
        f["new/x"] = np.array([1.5, -2.5, 1e-30], dtype=np.float32)
        h5py.h5g.create(f["new"].id, b"inner", gcpl=gcpl)
        f["new/inner/y"] = np.array([[1, 2]], dtype=np.int32)
    write_json("hdf5-mixed.json", dump(path))


def others():
    with h5py.File(os.path.join(out, "hdf5-gzip.h5"), "w") as f:
        f.create_dataset("weights/w", data=np.arange(64, dtype=np.float32), compression="gzip", chunks=(16,))
    with h5py.File(os.path.join(out, "hdf5-resizable.h5"), "w") as f:
        f.create_dataset("r", data=np.arange(4, dtype=np.float32), maxshape=(None,))
    with h5py.File(os.path.join(out, "hdf5-softlink.h5"), "w") as f:
        f.create_group("g", track_order=False)
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED)
        h5py.h5g.create(f.id, b"n", gcpl=gcpl)
        f["n/d"] = np.ones(2, dtype=np.float32)
        f["n/s"] = h5py.SoftLink("/n/d")
    with h5py.File(os.path.join(out, "hdf5-unwritten.h5"), "w") as f:
        f.create_dataset("u", shape=(2, 2), dtype=np.float32, fillvalue=2.5)
    with h5py.File(os.path.join(out, "hdf5-userblock.h5"), "w", userblock_size=512) as f:
        f["x"] = np.arange(3, dtype=np.float32)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_sizes(4, 4)
    fid = h5py.h5f.create(os.path.join(out, "hdf5-offsets4.h5").encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    with h5py.File(fid) as f:
        f["g/x"] = np.array([[1, 2], [3, 4]], dtype=np.float64)
        f["g/s"] = np.int32(-9)
    with h5py.File(os.path.join(out, "hdf5-latest.h5"), "w", libver="latest") as f:
        f["g/h/x"] = np.array([0.5, 1.5, -3], dtype=np.float32)


keras_weights()
mixed()
others()
