"""Writes the fixture that KerasLabelSmoothingTest trains against: small classifiers trained in Keras 3 with the
label_smoothing of CategoricalCrossentropy and BinaryCrossentropy, from initial weights and batches this script
draws and writes alongside.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/label_smoothing_fixture.py \
        java/core/src/test/resources/dev/dendrite/losses/keras-label-smoothing.json

The net is 6 -> Dense(8, relu) -> Dense(k, softmax, linear or sigmoid), SGD(0.1), batch 8, 2 epochs of 4 batches in order
(shuffle=False), with validation data (Keras smooths the validation loss too). Each case: the loss's Keras config,
the output layer, the weights after the 8 steps, and each epoch's loss, accuracy, val_loss and val_accuracy (the
accuracy compares the targets as given). Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261207)
IN, HIDDEN, BATCH, STEPS, EPOCHS, VAL = 6, 8, 8, 4, 2, 16
x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
x_val = rng.normal(0, 1, (VAL, IN)).astype(np.float32)


def one_hot(labels, k):
    return np.eye(k, dtype=np.float32)[labels]


classes = rng.integers(0, 4, BATCH * STEPS)
classes_val = rng.integers(0, 4, VAL)
binary = (rng.random((BATCH * STEPS, 2)) < 0.4).astype(np.float32)
binary_val = (rng.random((VAL, 2)) < 0.4).astype(np.float32)
L = keras.losses
CASES = [
    ("categorical 0.1", L.CategoricalCrossentropy(label_smoothing=0.1), 4, "softmax",
     one_hot(classes, 4), one_hot(classes_val, 4)),
    ("categorical 0.3 from logits", L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3), 4, "linear",
     one_hot(classes, 4), one_hot(classes_val, 4)),
    ("binary 0.2", L.BinaryCrossentropy(label_smoothing=0.2), 1, "sigmoid", binary[:, :1], binary_val[:, :1]),
    # sigmoid, not logits: Keras's binary_accuracy would threshold logits at 0.5
    ("binary 0.1, 2 outputs", L.BinaryCrossentropy(label_smoothing=0.1), 2, "sigmoid", binary, binary_val),
]
cases = []
initial = {}
for name, loss, out, activation, y, y_val in CASES:
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(out, activation=activation)])
    if out not in initial:
        initial[out] = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(initial[out])
    acc = "categorical_accuracy" if name.startswith("categorical") else "binary_accuracy"
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=[acc])
    h = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, validation_data=(x_val, y_val))
    cases.append({"name": name, "loss": loss.get_config(), "outputs": out, "activation": activation, "metric": acc,
                  "y": y.ravel().tolist(), "y_val": y_val.ravel().tolist(),
                  "initial_weights": [w.ravel().tolist() for w in initial[out]],
                  "weights": [w.ravel().tolist() for w in model.get_weights()],
                  "epoch_loss": [float(v) for v in h.history["loss"]],
                  "epoch_accuracy": [float(v) for v in h.history[acc]],
                  "epoch_val_loss": [float(v) for v in h.history["val_loss"]],
                  "epoch_val_accuracy": [float(v) for v in h.history["val_" + acc]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "inputs": IN, "hidden": HIDDEN,
       "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.1,
       "x": x.ravel().tolist(), "x_val": x_val.ravel().tolist(), "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
