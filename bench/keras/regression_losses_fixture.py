"""Writes the fixture that KerasRegressionLossesTest trains against: a small regression net trained in Keras 3 with
each regression loss Dendrite implements (mean squared error, mean absolute error, Huber at delta 1 and 0.3,
log-cosh),
from initial weights and batches this script draws and writes alongside.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/regression_losses_fixture.py \
        java/core/src/test/resources/dev/dendrite/losses/keras-regression-losses.json

The net is 5 -> Dense(8, relu) -> Dense(2) (linear), SGD(0.05), batch 8, 2 epochs of 4 batches in order
(shuffle=False). Targets have errors of a few units at the start, so Huber's linear tails and MAE's signs are in
play. Each case: the loss's Keras config, the weights after the 8 steps, the loss of each epoch. Deterministic: a
fixed seed, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261206)
IN, HIDDEN, OUT, BATCH, STEPS, EPOCHS = 5, 8, 2, 8, 4, 2
x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
y = (x[:, :2] * np.array([2.0, -1.5]) + rng.normal(0, 1.5, (BATCH * STEPS, OUT))).astype(np.float32)
model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dense(OUT)])
initial = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
L = keras.losses
cases = []
for name, loss in [("mse", "mse"), ("mae", "mae"), ("huber", "huber"), ("Huber(0.3)", L.Huber(delta=0.3)),
                   ("log_cosh", "log_cosh")]:
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(OUT)])
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    delta = 0.3 if isinstance(loss, L.Huber) else (1.0 if loss == "huber" else None)
    cases.append({"name": name, "loss": loss if isinstance(loss, str) else "huber", "delta": delta,
                  "weights": [w.ravel().tolist() for w in model.get_weights()],
                  "epoch_loss": [float(v) for v in history.history["loss"]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "inputs": IN, "hidden": HIDDEN,
       "outputs": OUT, "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.05,
       "x": x.ravel().tolist(), "y": y.ravel().tolist(), "initial_weights": [w.ravel().tolist() for w in initial],
       "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
