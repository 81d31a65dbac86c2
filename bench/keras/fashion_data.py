"""Fashion-MNIST for the Keras scripts of bench/keras: the four IDX files, gzip-compressed or not, as uint8 arrays.
The default folder is Debian's dataset-fashion-mnist package; the scripts import this from their own folder."""
import gzip
import os

import numpy as np

DEBIAN = "/usr/share/datasets/fashion-mnist"


def idx(folder, name):
    """The array of an IDX file NAME (or NAME.gz) in FOLDER, shaped as its header says."""
    for n in (name, name + ".gz"):
        p = os.path.join(folder, n)
        if os.path.exists(p):
            data = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(os.path.join(folder, name))


def load(folder=DEBIAN):
    """(train images, train labels, test images, test labels): images 28 x 28 uint8, labels uint8."""
    return (idx(folder, "train-images-idx3-ubyte"), idx(folder, "train-labels-idx1-ubyte"),
            idx(folder, "t10k-images-idx3-ubyte"), idx(folder, "t10k-labels-idx1-ubyte"))
