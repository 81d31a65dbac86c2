"""Writes the fixture that KerasActivityRegularizationTest trains against: small classifiers with Keras 3's
ActivityRegularization layer, trained in Keras from initial weights and batches this script draws and writes alongside.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/activity_regularization_fixture.py \
        java/core/src/test/resources/dev/dendrite/layers/keras-activity-regularization.json

The net is 8 -> Dense(6, ACTIVATION) -> ActivityRegularization(l1, l2) -> Dense(3, softmax), SGD(0.1), batch 8,
2 epochs of 4 batches in order (shuffle=False), with validation data (the penalty is part of Keras's validation loss
too). Cases: the sparse code of Geron's sparse autoencoder (sigmoid, l1), an l2 one, and both after relu (whose zeros
meet the penalty's kink). Each case: the layers' configs, the weights after the 8 steps, and each epoch's loss and
val_loss. Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261207)
IN, HIDDEN, OUT, BATCH, STEPS, EPOCHS, VAL = 8, 6, 3, 8, 4, 2, 16
x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
y = rng.integers(0, OUT, BATCH * STEPS)
x_val = rng.normal(0, 1, (VAL, IN)).astype(np.float32)
y_val = rng.integers(0, OUT, VAL)
initial = None
cases = []
for name, activation, l1, l2 in [("sigmoid l1", "sigmoid", 0.05, 0.0), ("sigmoid l2", "sigmoid", 0.0, 0.1),
                                 ("relu l1 l2", "relu", 0.05, 0.05)]:
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation=activation),
                              keras.layers.ActivityRegularization(l1=l1, l2=l2),
                              keras.layers.Dense(OUT, activation="softmax")])
    if initial is None:
        initial = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    h = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, validation_data=(x_val, y_val))
    cases.append({"name": name, "activation": activation, "config": model.layers[1].get_config(),
                  "weights": [w.ravel().tolist() for w in model.get_weights()],
                  "epoch_loss": [float(v) for v in h.history["loss"]],
                  "epoch_val_loss": [float(v) for v in h.history["val_loss"]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "inputs": IN, "hidden": HIDDEN,
       "outputs": OUT, "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.1,
       "x": x.ravel().tolist(), "y": y.tolist(), "x_val": x_val.ravel().tolist(), "y_val": y_val.tolist(),
       "initial_weights": [w.ravel().tolist() for w in initial], "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
