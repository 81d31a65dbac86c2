"""Writes the fixture that KerasConstraintsTest checks Dendrite's weight constraints against: each constraint of
Keras 3 applied to fixed weights, and a small net trained with constraints on its kernels and a bias.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/constraints_fixture.py \
        java/core/src/test/resources/dev/dendrite/constraints/keras-constraints.json

Part one, "direct": a 6x4 kernel and a 4-vector bias drawn once (norms on both sides of the bounds), and for each
case the constraint's serialized form (what Dendrite's Constraint.get reads) and its output on both.
Part two, "training": 5 -> Dense(7, relu, kernel MaxNorm(0.8), bias NonNeg) -> Dense(3, softmax, kernel UnitNorm),
Adam(0.05) (alone, and with use_ema and gradient_accumulation_steps 2), sparse categorical cross-entropy, batch 8,
2 epochs of 4 batches in order (shuffle=False), from initial weights written alongside; the weights after the 8
steps and the loss of each epoch. Adam's large rate
moves the weights past the bounds at every step, so each step's projection shows in the result.
Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261206)
C = keras.constraints

kernel = (rng.normal(0, 1, (6, 4)) * np.array([0.2, 0.6, 1.0, 2.0])).astype(np.float32)
bias = rng.normal(0, 1.5, (4,)).astype(np.float32)
CASES = [
    ("MaxNorm", C.MaxNorm()),
    ("MaxNorm(0.8)", C.MaxNorm(max_value=0.8)),
    ("MaxNorm(1.5, axis 1)", C.MaxNorm(max_value=1.5, axis=1)),
    ("MinMaxNorm(0.5, 1.5, rate 0.7)", C.MinMaxNorm(min_value=0.5, max_value=1.5, rate=0.7)),
    ("MinMaxNorm(1, 2, axis -1)", C.MinMaxNorm(min_value=1.0, max_value=2.0, axis=-1)),
    ("UnitNorm", C.UnitNorm()),
    ("UnitNorm(axis 1)", C.UnitNorm(axis=1)),
    ("NonNeg", C.NonNeg()),
]
direct = []
for name, c in CASES:
    entry = {"name": name, "serialized": C.serialize(c),
             "kernel": np.asarray(c(keras.ops.convert_to_tensor(kernel))).tolist()}
    if c.get_config().get("axis", 0) in (0, -1):  # a vector has one axis
        entry["bias"] = np.asarray(c(keras.ops.convert_to_tensor(bias))).tolist()
    direct.append(entry)

IN, HIDDEN, OUT, BATCH, STEPS, EPOCHS = 5, 7, 3, 8, 4, 2
x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
y = rng.integers(0, OUT, BATCH * STEPS).astype(np.int32)


def net():
    return keras.Sequential([
        keras.Input((IN,)),
        keras.layers.Dense(HIDDEN, activation="relu", kernel_constraint=C.MaxNorm(0.8), bias_constraint=C.NonNeg()),
        keras.layers.Dense(OUT, activation="softmax", kernel_constraint=C.UnitNorm()),
    ])


keras.utils.set_random_seed(1)
model = net()
initial = [(rng.normal(0, 0.6, w.shape)).astype(np.float32) for w in model.get_weights()]
training = {
    "inputs": IN, "hidden": HIDDEN, "outputs": OUT, "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.05,
    "layers": [layer.get_config() for layer in model.layers],
    "x": x.ravel().tolist(), "y": y.tolist(),
    "initial_weights": [w.ravel().tolist() for w in initial],
    "cases": [],
}
# Plain Adam, and Adam with a moving average of the weights and gradients accumulated over 2 steps: where Keras
# applies the constraints against those (after the update and the average; on every step, also those that only
# accumulate).
for name, options in [("adam", {}), ("adam, use_ema, gradient_accumulation_steps 2",
                                     {"use_ema": True, "ema_momentum": 0.8, "gradient_accumulation_steps": 2})]:
    model = net()
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.Adam(0.05, **options), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    training["cases"].append({"name": name, "options": options,
                              "weights": [w.ravel().tolist() for w in model.get_weights()],
                              "loss": [float(v) for v in history.history["loss"]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "python": platform.python_version(),
       "kernel": kernel.ravel().tolist(), "kernel_shape": list(kernel.shape), "bias": bias.tolist(),
       "direct": direct, "training": training}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1, default=lambda o: None)
    f.write("\n")
