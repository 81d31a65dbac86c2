"""Trains a course model on Fashion-MNIST in Keras 3 and saves it as a .keras file, the real-data check that
Dendrite loads and evaluates a model Keras saved:

    KERAS_BACKEND=jax python3 bench/keras/fashion_keras_model.py /tmp/fashion.keras
    java --add-modules jdk.incubator.vector -jar java/cli/target/dendrite-cli.jar evaluate -m /tmp/fashion.keras

Input(28, 28) -> Rescaling(1/255) -> Flatten -> Dense(300, relu) -> BatchNormalization -> Dropout(0.2) ->
Dense(100, relu) -> Dense(10, softmax), Adam, 3 epochs of batch 128 on the 60,000 training images (the IDX files
of /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist); prints Keras's own test loss and accuracy,
which Dendrite's evaluate should repeat. On 2026-12-07 (Keras 3.15.1, JAX, CPU): 0.384737 and 0.8607 in Keras,
0.3847 and 0.8607 in Dendrite. A path ending in .h5 makes Keras write its legacy HDF5 model file instead
(/tmp/fashion.h5): the same model, and on 2026-12-07 the same 0.3847 and 0.8607 in Dendrite's evaluate.
ACTIVATION=mish (any name keras.activations knows) replaces relu in both hidden layers: the check of the activations
Dendrite reads by Keras's names. LABEL_SMOOTHING=0.1 compiles with CategoricalCrossentropy(label_smoothing=0.1) on
one-hot labels instead.
"""
import os, sys, time
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np, keras
from fashion_data import load
xtr, ytr, xte, yte = load()
keras.utils.set_random_seed(1)
L = keras.layers
act = os.environ.get("ACTIVATION", "relu")
m = keras.Sequential([keras.Input((28, 28)), L.Rescaling(1 / 255), L.Flatten(), L.Dense(300, activation=act),
                      L.BatchNormalization(), L.Dropout(0.2), L.Dense(100, activation=act),
                      L.Dense(10, activation="softmax")], name="fashion_keras")
smoothing = float(os.environ.get("LABEL_SMOOTHING", "0"))
if smoothing > 0:
    m.compile("adam", keras.losses.CategoricalCrossentropy(label_smoothing=smoothing), metrics=["accuracy"])
    ytr, yte = np.eye(10, dtype=np.float32)[ytr], np.eye(10, dtype=np.float32)[yte]
else:
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
t = time.time()
m.fit(xtr.astype("float32"), ytr, batch_size=128, epochs=3, verbose=0)
print("keras fit s", time.time() - t)
loss, acc = m.evaluate(xte.astype("float32"), yte, batch_size=256, verbose=0)
print("keras test loss %.6f accuracy %.4f" % (loss, acc))
m.save(sys.argv[1])
