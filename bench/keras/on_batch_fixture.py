"""Keras 3's train_on_batch, test_on_batch and predict_on_batch on fixed weights, for KerasOnBatchTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/on_batch_fixture.py \
        > java/core/src/test/resources/dev/dendrite/model/keras-on-batch.json

A 5-8-3 net (relu, softmax) with fixed weights, Adam(0.01), sparse categorical cross-entropy and accuracy: three
train_on_batch calls on three batches of 6 rows (the third with sample weights), each followed by a test_on_batch
on a held-out batch; then predict_on_batch. Records what each call returns (Keras 3 resets the metrics at each
call, so each holds that batch's loss, computed before the step's update, and its accuracy), the weights after
each step and the predictions.
"""
import json
import sys

import numpy as np
import keras

rng = np.random.default_rng(20261207)
F = np.float32
batches = [(rng.normal(size=(6, 5)).astype(F), rng.integers(0, 3, size=6).astype(np.int32)) for _ in range(3)]
weights3 = rng.uniform(0.2, 2.0, size=6).astype(F)
xt = rng.normal(size=(7, 5)).astype(F)
yt = rng.integers(0, 3, size=7).astype(np.int32)

model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
initial = [(rng.normal(size=w.shape) * 0.5).astype(F) for w in model.get_weights()]
model.set_weights(initial)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

steps = []
for i, (x, y) in enumerate(batches):
    sw = weights3 if i == 2 else None
    train = model.train_on_batch(x, y, sample_weight=sw, return_dict=True)
    test = model.test_on_batch(xt, yt, return_dict=True)
    steps.append({"train": {k: float(v) for k, v in train.items()}, "test": {k: float(v) for k, v in test.items()},
                  "weights": [w.ravel().tolist() for w in model.get_weights()]})

json.dump({
    "keras": keras.__version__,
    "batches": [{"x": x.ravel().tolist(), "y": y.tolist()} for x, y in batches],
    "sample_weight_3": weights3.tolist(),
    "x_test": xt.ravel().tolist(), "y_test": yt.tolist(),
    "initial_weights": [w.ravel().tolist() for w in initial],
    "steps": steps,
    "predictions": np.asarray(model.predict_on_batch(xt)).ravel().tolist(),
}, sys.stdout, indent=1)
sys.stdout.write("\n")
