"""Writes the fixture that KerasTrainableTest checks Dendrite's frozen layers against: Keras 3's
`layer.trainable = False`, trained in Keras.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/trainable_fixture.py \
        java/core/src/test/resources/dev/dendrite/model/keras-trainable.json

The net: 6 -> Dense(8, relu, no bias, kernel L2(0.05)) -> BatchNormalization -> Dense(8, relu) -> Dense(3, softmax), from
initial weights drawn here (the batch norm's moving statistics too, away from 0 and 1, so that its inference mode
shows). Each case freezes some layers (by index in model.layers), compiles Adam(0.05) with the case's options and
trains 2 epochs of 4 batches of 8 in order (shuffle=False): the weights after the 8 steps and each epoch's loss
(the frozen Dense's penalty is not in it: Keras penalises trainable weights only). "layers" holds each layer's Keras
config, "trainable" included. Cases: nothing frozen; the first Dense and the batch norm (the course's reuse of lower
layers); the middle Dense (gradients flow through it); the batch norm alone (inference mode while training); and
three with options whose update spans all parameters (global_clipnorm, alone and with weight decay, which must
not shrink the frozen weights either; use_ema with gradient accumulation).
Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261208)
L, R = keras.layers, keras.regularizers
IN, HIDDEN, OUT, BATCH, STEPS, EPOCHS, RATE = 6, 8, 3, 8, 4, 2, 0.05
x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
y = rng.integers(0, OUT, BATCH * STEPS).astype(np.int32)


def net():
    return keras.Sequential([
        keras.Input((IN,)),
        # No bias before the batch norm, as usual: it would cancel it, leaving a gradient of rounding noise that
        # Adam scales up to full steps, different in every backend's rounding
        L.Dense(HIDDEN, activation="relu", use_bias=False, kernel_regularizer=R.L2(0.05)),
        L.BatchNormalization(),
        L.Dense(HIDDEN, activation="relu"),
        L.Dense(OUT, activation="softmax"),
    ])


model = net()
initial = []
for w in model.get_weights():
    initial.append(rng.normal(0, 0.5, w.shape).astype(np.float32))
initial[3] = rng.normal(0.2, 0.3, HIDDEN).astype(np.float32)   # moving mean
initial[4] = rng.uniform(0.5, 2.0, HIDDEN).astype(np.float32)  # moving variance

CASES = [
    ("nothing frozen", [], {}),
    ("first dense and batch norm frozen", [0, 1], {}),
    ("middle dense frozen", [2], {}),
    ("batch norm frozen", [1], {}),
    ("first dense and batch norm frozen, global_clipnorm 0.5", [0, 1], {"global_clipnorm": 0.5}),
    ("first dense and batch norm frozen, global_clipnorm 0.5, weight_decay 0.1", [0, 1],
     {"global_clipnorm": 0.5, "weight_decay": 0.1}),
    ("middle dense frozen, use_ema, gradient_accumulation_steps 2", [2],
     {"use_ema": True, "ema_momentum": 0.8, "gradient_accumulation_steps": 2}),
]
cases = []
for name, frozen, options in CASES:
    model = net()
    model.set_weights(initial)
    for i in frozen:
        model.layers[i].trainable = False
    model.compile(optimizer=keras.optimizers.Adam(RATE, **options), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    cases.append({"name": name, "frozen": frozen, "options": options,
                  "layers": [{"class_name": layer.__class__.__name__, "config": layer.get_config()}
                             for layer in model.layers],
                  "weights": [np.asarray(w).ravel().tolist() for w in model.get_weights()],
                  "loss": [float(v) for v in history.history["loss"]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "python": platform.python_version(),
       "inputs": IN, "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": RATE,
       "x": x.ravel().tolist(), "y": y.tolist(),
       "initial_weights": [w.ravel().tolist() for w in initial], "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1, default=lambda o: None)
    f.write("\n")
