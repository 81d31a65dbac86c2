"""Writes the fixture that KerasClassWeightTest trains against: small classifiers trained in Keras 3 with
fit(class_weight=...), from initial weights and batches this script draws and writes alongside.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/class_weight_fixture.py \
        java/core/src/test/resources/dev/dendrite/model/keras-class-weight.json

Each case: 4 inputs -> Dense(6, relu) -> an output layer (softmax over 3 classes, or one sigmoid unit), SGD(0.1),
batch 8, 2 epochs of 4 batches in order (shuffle=False), validation data of 12 rows. The class weights leave a class
out (weight 1), weigh one 0, or weigh the rare class 5x. The fixture holds the weights after the 8 steps and, per
epoch, the loss (Keras weighs it), the accuracy and the validation loss (Keras weighs neither). Deterministic: a
fixed seed, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261207)
IN, HIDDEN, CLASSES, BATCH, STEPS, EPOCHS, VAL = 4, 6, 3, 8, 4, 2, 12
n = BATCH * STEPS
x = rng.normal(0, 1, (n, IN)).astype(np.float32)
xv = rng.normal(0, 1, (VAL, IN)).astype(np.float32)
# Imbalanced labels from a noisy linear rule, so that the weights matter.
labels = np.clip(np.round(x[:, 0] + 0.5 * x[:, 1] + rng.normal(0, 0.5, n)), 0, 2).astype(np.int32)
labels_v = np.clip(np.round(xv[:, 0] + 0.5 * xv[:, 1]), 0, 2).astype(np.int32)
binary = (x[:, 0] - 0.3 * x[:, 2] > 0.8).astype(np.float32).reshape(n, 1)
binary_v = (xv[:, 0] - 0.3 * xv[:, 2] > 0.8).astype(np.float32).reshape(VAL, 1)


def net(outputs, activation):
    return keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"),
                             keras.layers.Dense(outputs, activation=activation)])


cases = []
for name, loss, outputs, class_weight in [
        ("sparse, class 1 left out", "sparse_categorical_crossentropy", CLASSES, {0: 0.5, 2: 3.0}),
        ("sparse, a weight of 0", "sparse_categorical_crossentropy", CLASSES, {0: 0.0, 1: 2.0, 2: 1.5}),
        ("categorical", "categorical_crossentropy", CLASSES, {0: 0.25, 1: 1.5, 2: 4.0}),
        ("binary", "binary_crossentropy", 1, {0: 1.0, 1: 5.0})]:
    model = net(outputs, "softmax" if outputs > 1 else "sigmoid")
    initial = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"])
    if loss == "sparse_categorical_crossentropy":
        y, yv = labels, labels_v
    elif loss == "categorical_crossentropy":
        y, yv = np.eye(CLASSES, dtype=np.float32)[labels], np.eye(CLASSES, dtype=np.float32)[labels_v]
    else:
        y, yv = binary, binary_v
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, class_weight=class_weight,
                        validation_data=(xv, yv))
    cases.append({"name": name, "loss": loss, "outputs": outputs,
                  "class_weight": {str(k): v for k, v in class_weight.items()},
                  "y": np.asarray(y).ravel().tolist(), "y_val": np.asarray(yv).ravel().tolist(),
                  "initial_weights": [w.ravel().tolist() for w in initial],
                  "weights": [w.ravel().tolist() for w in model.get_weights()],
                  "epoch_loss": [float(v) for v in history.history["loss"]],
                  "epoch_accuracy": [float(v) for v in history.history["accuracy"]],
                  "epoch_val_loss": [float(v) for v in history.history["val_loss"]]})
out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "inputs": IN, "hidden": HIDDEN,
       "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": 0.1,
       "x": x.ravel().tolist(), "x_val": xv.ravel().tolist(), "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
