"""Writes the HDF5 files of attributes that Hdf5AttributesTest reads with Hdf5File.readAttributes, and the values it
must find there.

    cd /tmp && /tmp/kv/bin/python /path/to/bench/keras/hdf5_attributes_fixture.py \
        /path/to/java/core/src/test/resources/dev/dendrite/io

Writes into that folder:
  attributes.h5         h5py's defaults (version 1 object headers, version 1 attribute messages): on the root group
                        a variable-length UTF-8 string (non-ASCII), an empty one, a fixed-length byte string array
                        (numpy "S7", null-padded, as tf.keras wrote layer_names), a variable-length string array, an
                        empty float64 array of shape (0,) (h5py's empty weight_names), int and float scalars and
                        arrays, a big-endian int16 matrix and a compound scalar (which the reader skips); on group
                        "g" and on dataset "g/d" a few more;
  attributes-latest.h5  libver="latest": version 2 object headers and version 3 attribute messages, with the
                        same attributes, those of the root group split between it and group "more" (HDF5 keeps
                        at most 8 attributes in such a header);
  attributes-dense.h5   libver="latest" and 9 attributes on group "g": dense attribute storage (a fractal heap),
                        which the reader refuses;
  attributes.json       {"file": {"object path": {"name": value}}}: a string, a list of strings, or for numbers
                        {"numbers": [...]} (flattened); the compound attribute is absent.
Deterministic contents; h5py 3.16 with HDF5 2.0 wrote the committed files.
"""
import json
import os
import sys

import h5py
import numpy as np

OUT = sys.argv[1]


def common(obj, more):
    """Attributes of every kind on obj and more; returns what the reader must give for them."""
    obj.attrs["vlen"] = "gr\u00fc\u00dfe \u6f22\u5b57 \U0001f600"
    obj.attrs["empty_str"] = ""
    obj.attrs["fixed"] = np.array([b"dense", b"dense_1"], dtype="S7")
    obj.attrs["fixed_scalar"] = np.bytes_(b"abc")
    obj.attrs["vlen_array"] = np.array(["a", "b\u00e9", ""], dtype=h5py.string_dtype())
    obj.attrs["empty_f64"] = np.zeros((0,), dtype="float64")
    more.attrs["i64"] = np.int64(-7)
    more.attrs["f64"] = np.float64(0.1)
    more.attrs["f32s"] = np.array([1.5, -2.25, 1e-30], dtype="float32")
    more.attrs["u8s"] = np.array([0, 255], dtype="uint8")
    more.attrs["be_i16"] = np.array([[1, -2], [300, -32768]], dtype=">i2")
    more.attrs["compound"] = np.array((1, 2.5), dtype=[("a", "i4"), ("b", "f8")])
    first = {
        "vlen": "gr\u00fc\u00dfe \u6f22\u5b57 \U0001f600",
        "empty_str": "",
        "fixed": ["dense", "dense_1"],
        "fixed_scalar": "abc",
        "vlen_array": ["a", "b\u00e9", ""],
        "empty_f64": {"numbers": []},
    }
    second = {
        "i64": {"numbers": [-7]},
        "f64": {"numbers": [0.1]},
        "f32s": {"numbers": [float(v) for v in np.array([1.5, -2.25, 1e-30], dtype="float32")]},
        "u8s": {"numbers": [0, 255]},
        "be_i16": {"numbers": [1, -2, 300, -32768]},
    }
    return first, second


def write(name, libver):
    expected = {}
    with h5py.File(os.path.join(OUT, name), "w", libver=libver, track_order=False) as f:
        if libver == "latest":
            expected[""], expected["more"] = common(f, f.create_group("more"))
        else:
            first, second = common(f, f)
            expected[""] = {**first, **second}
        g = f.create_group("g")
        g.attrs["weight_names"] = np.array([b"g/kernel:0", b"g/bias:0"], dtype="S10")
        g.attrs["n"] = np.int32(3)
        expected["g"] = {"weight_names": ["g/kernel:0", "g/bias:0"], "n": {"numbers": [3]}}
        d = g.create_dataset("d", data=np.arange(3, dtype="float32"))
        d.attrs["unit"] = "m"
        d.attrs["scale"] = np.array([2.0, 0.5])
        expected["g/d"] = {"unit": "m", "scale": {"numbers": [2.0, 0.5]}}
        f.create_group("bare")
        expected["bare"] = {}
    return expected


def dense():
    with h5py.File(os.path.join(OUT, "attributes-dense.h5"), "w", libver="latest") as f:
        g = f.create_group("g")
        for i in range(9):
            g.attrs["a%d" % i] = np.int32(i)


def main():
    dense()
    expected = {
        "attributes.h5": write("attributes.h5", "earliest"),
        "attributes-latest.h5": write("attributes-latest.h5", "latest"),
    }
    with open(os.path.join(OUT, "attributes.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, ensure_ascii=False, indent=None, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
