"""Trains Geron's sparse autoencoder (Hands-On Machine Learning, chapter 17: an l1 ActivityRegularization on the
300-unit coding layer) on Fashion-MNIST in Keras 3 and saves it as .keras, the real-data check of Dendrite's
ActivityRegularization, of a loss fused below a trailing Reshape, and of Nadam's state read from a Keras file:

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/sparse_autoencoder.py /tmp/sae.keras 2
    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/sparse_autoencoder.py --more /tmp/sae.keras

Input(28, 28) -> Flatten -> Dense(100, selu) -> Dense(300, sigmoid) -> ActivityRegularization(l1=1e-4) ->
Dense(100, selu) -> Dense(784, sigmoid) -> Reshape(28, 28), binary cross-entropy against the input pixels (scaled to
[0, 1]), Nadam, batch 128, EPOCHS (the second argument) epochs; prints Keras's test loss. With --more, Keras loads
the file instead (Dendrite's too), prints its test loss, trains it one more epoch and prints the losses after. Then
see bench/results/cpu-2026-12-07-s38-sparse-autoencoder/.
"""
import os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np, keras
from fashion_data import load
xtr, _, xte, _ = load()
xtr, xte = xtr.astype(np.float32) / 255, xte.astype(np.float32) / 255
if sys.argv[1] == "--more":
    m = keras.saving.load_model(sys.argv[2])
    print("keras on the file: test loss %.6f" % m.evaluate(xte, xte, batch_size=500, verbose=0))
    h = m.fit(xtr, xtr, epochs=1, batch_size=128, verbose=0, shuffle=True)
    print("keras, one more epoch from the loaded file: train loss %.6f, test loss %.6f"
          % (h.history["loss"][0], m.evaluate(xte, xte, batch_size=500, verbose=0)))
    sys.exit(0)
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
