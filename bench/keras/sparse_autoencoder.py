"""Trains Geron's sparse autoencoder (Hands-On Machine Learning, chapter 17: an l1 ActivityRegularization on the
300-unit coding layer) on Fashion-MNIST in Keras 3 and saves it as .keras, the real-data check of Dendrite's
ActivityRegularization, of a loss fused below a trailing Reshape, and of Nadam's state read from a Keras file:

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/sparse_autoencoder.py /tmp/sae.keras 2

Input(28, 28) -> Flatten -> Dense(100, selu) -> Dense(300, sigmoid) -> ActivityRegularization(l1=1e-4) ->
Dense(100, selu) -> Dense(784, sigmoid) -> Reshape(28, 28), binary cross-entropy against the input pixels (scaled to
[0, 1]), Nadam, batch 128, EPOCHS (the second argument) epochs; prints Keras's test loss. Then see
bench/results/cpu-2026-12-07-s38-sparse-autoencoder/.
"""
import os, gzip, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np, keras
D = "/usr/share/datasets/fashion-mnist"
def idx(name, off):
    return np.frombuffer(gzip.open(os.path.join(D, name)).read(), np.uint8, offset=off)
xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
keras.utils.set_random_seed(42)
L = keras.layers
m = keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(100, activation="selu"),
                      L.Dense(300, activation="sigmoid"), L.ActivityRegularization(l1=1e-4),
                      L.Dense(100, activation="selu"), L.Dense(784, activation="sigmoid"), L.Reshape((28, 28))],
                     name="sparse_l1_autoencoder")
m.compile(keras.optimizers.Nadam(), "binary_crossentropy")
m.fit(xtr, xtr, epochs=int(sys.argv[2]), batch_size=128, verbose=0)
print("keras test loss %.6f" % m.evaluate(xte, xte, batch_size=500, verbose=0))
m.save(sys.argv[1])
