"""Writes the fixture that KerasSampleWeightTest trains against: small nets trained in Keras 3 with
fit(sample_weight=...), from initial weights and batches this script draws and writes alongside.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/sample_weight_fixture.py \
        java/core/src/test/resources/dev/dendrite/model/keras-sample-weight.json

Each case: 4 inputs -> Dense(6, relu) -> an output layer (softmax over 3 classes, one sigmoid unit, or 2 linear
units), SGD(0.1), batch 8, 2 epochs of 4 batches in order (shuffle=False), 40 samples of which validation_split 0.2
holds out the last 8 with their weights (Keras weighs val_loss then), or 12 validation rows given apart (weighted
only where given with weights of their own).
Weights are drawn in [0, 3), every fifth one 0. The fixture holds the weights after the 8 steps and, per epoch, the
loss (weighted), the accuracy or mae (not weighted) and the validation loss. Deterministic: a fixed seed, float32,
the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261208)
IN, HIDDEN, CLASSES, BATCH, EPOCHS, N, VAL = 4, 6, 3, 8, 2, 40, 12
x = rng.normal(0, 1, (N, IN)).astype(np.float32)
xv = rng.normal(0, 1, (VAL, IN)).astype(np.float32)
sw = rng.uniform(0, 3, N).astype(np.float32)
sw[::5] = 0
sw_v = rng.uniform(0, 3, VAL).astype(np.float32)
labels = np.clip(np.round(x[:, 0] + 0.5 * x[:, 1] + 1), 0, 2).astype(np.int32)
labels_v = np.clip(np.round(xv[:, 0] + 0.5 * xv[:, 1] + 1), 0, 2).astype(np.int32)
onehot, onehot_v = np.eye(CLASSES, dtype=np.float32)[labels], np.eye(CLASSES, dtype=np.float32)[labels_v]
binary = (x[:, 0] - 0.3 * x[:, 2] > 0.2).astype(np.float32).reshape(N, 1)
regress = np.stack([2 * x[:, 0] - x[:, 3], x[:, 1] * x[:, 2]], axis=1).astype(np.float32)

cases = []
for name, loss, outputs, activation, metric, y, validation in [
        ("sparse, validation split", "sparse_categorical_crossentropy", CLASSES, "softmax", "accuracy", labels,
         0.2),
        ("categorical, validation data apart", "categorical_crossentropy", CLASSES, "softmax", "accuracy", onehot,
         (xv, onehot_v)),
        ("sparse, weighted validation data", "sparse_categorical_crossentropy", CLASSES, "softmax", "accuracy",
         labels, (xv, labels_v, sw_v)),
        ("binary, validation split", "binary_crossentropy", 1, "sigmoid", "accuracy", binary, 0.2),
        ("mse, validation split", "mse", 2, None, "mae", regress, 0.2)]:
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(outputs, activation=activation)])
    initial = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=[metric])
    kwargs = {"validation_split": validation} if isinstance(validation, float) else {"validation_data": validation}
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, sample_weight=sw, **kwargs)
    case = {"name": name, "loss": loss, "outputs": outputs, "activation": activation, "metric": metric,
            "y": np.asarray(y).ravel().tolist(), "initial_weights": [w.ravel().tolist() for w in initial],
            "weights": [w.ravel().tolist() for w in model.get_weights()],
            "epoch_loss": [float(v) for v in history.history["loss"]],
            "epoch_metric": [float(v) for v in history.history[metric]],
            "epoch_val_loss": [float(v) for v in history.history["val_loss"]]}
    if isinstance(validation, float):
        case["validation_split"] = validation
    else:
        case["y_val"] = np.asarray(validation[1]).ravel().tolist()
        if len(validation) == 3:
            case["val_sample_weight"] = validation[2].tolist()
    cases.append(case)
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "inputs": IN, "hidden": HIDDEN,
       "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.1, "x": x.ravel().tolist(),
       "x_val": xv.ravel().tolist(), "sample_weight": sw.tolist(), "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
