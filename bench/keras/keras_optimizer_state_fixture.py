"""Writes Keras 3 .keras files of one small model trained with each optimizer whose state Dendrite reads beside
plain Adam's, and the weights Keras reaches after one more epoch from each, for KerasFileTest.

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/keras_optimizer_state_fixture.py \
        /work/main/java/core/src/test/resources/dev/dendrite/model

Writes keras-state-<name>.keras (Input(6) -> Dense(8, relu, no bias) -> BatchNormalization -> Dense(3, softmax),
trained 2 epochs of batch 8 without shuffling, then saved with the optimizer's variables), for five of the rules
keras-state-<name>.h5 (the same model saved in the legacy HDF5 format, whose optimizer_weights list the same
variables), and
keras-optimizer-state.json: x, y and, per file, the weights after Keras trains one more epoch the same way (what
Dendrite must reach when it loads the file and trains on). Deterministic: fixed seeds, float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(20261207)
x = rng.normal(0.0, 1.0, (40, 6)).astype(np.float32)
y = rng.integers(0, 3, 40).astype(np.int32)
O = keras.optimizers
optimizers = {
    "sgd-momentum": lambda: O.SGD(0.05, momentum=0.9),
    "rmsprop-centered-momentum": lambda: O.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: O.Adagrad(0.05),
    "adadelta": lambda: O.Adadelta(1.0),
    "adamax": lambda: O.Adamax(0.01),
    "adam-amsgrad": lambda: O.Adam(0.01, amsgrad=True),
    "nadam": lambda: O.Nadam(0.01),
    "lion": lambda: O.Lion(0.001),
    "lamb": lambda: O.Lamb(0.01),
    "ftrl": lambda: O.Ftrl(0.05),
}
# the legacy .h5 path reads the same variables through the same code: five rules are enough to show it
legacy = {"sgd-momentum", "rmsprop-centered-momentum", "adagrad", "adadelta", "adamax"}
resumed = {}
for name, make in optimizers.items():
    keras.utils.set_random_seed(20261207)
    # No bias before the batch norm: its gradient would be rounding noise, which adaptive rules scale up
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu", use_bias=False),
                              keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=make(), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model.save(os.path.join(out, f"keras-state-{name}.keras"))
    if name in legacy:  # the legacy format: the same variables, by name
        model.save(os.path.join(out, f"keras-state-{name}.h5"))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    resumed[name] = [np.asarray(w).ravel().tolist() for w in model.get_weights()]

with open(os.path.join(out, "keras-optimizer-state.json"), "w") as f:
    json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "python": platform.python_version(), "x": x.ravel().tolist(), "y": y.tolist(),
               "resumed_weights": resumed}, f)
