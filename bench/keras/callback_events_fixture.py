"""The callback events Keras 3 calls in fit (with validation), evaluate and predict, for CallbackEventsKerasTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/callback_events_fixture.py \
        > java/core/src/test/resources/dev/dendrite/callbacks/keras_callback_events.json

A softmax layer on 4 features with fixed weights, SGD(0.1), sparse categorical cross-entropy and accuracy;
10 training rows in batches of 4 (the last batch of 2), 13 validation rows and 14 test rows, in batches of 4 too
(three full batches, enough for Dendrite to record the batches on a GPU), no shuffling. A callback records every
hook Keras calls, in order, with the batch or epoch number and the logs it was given (numbers only: predict's batch
logs hold the batch's outputs, recorded by their keys), and the callback's self.params at each begin event. The
Java test repeats the calls with the same weights and data and compares the events, the keys and the values.
"""
import json
import sys

import numpy as np
import keras

rng = np.random.default_rng(20261207)
F = np.float32

x = rng.normal(size=(10, 4)).astype(F)
y = rng.integers(0, 3, size=10).astype(np.int32)
xv = rng.normal(size=(13, 4)).astype(F)
yv = rng.integers(0, 3, size=13).astype(np.int32)
xt = rng.normal(size=(14, 4)).astype(F)
yt = rng.integers(0, 3, size=14).astype(np.int32)
kernel = (rng.normal(size=(4, 3)) * 0.5).astype(F)
bias = (rng.normal(size=3) * 0.1).astype(F)

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.layers[0].set_weights([kernel, bias])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

events = []


def clean(logs):
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, (int, float, np.floating)) or (hasattr(v, "shape") and v.shape == ()):
            out[k] = float(v)
        else:
            out[k] = None  # not a number (predict's outputs): the key is kept
    return out


class Recorder(keras.callbacks.Callback):
    pass


params = {}
phase = ["fit"]


def hook(name, indexed):
    if indexed:
        def f(self, i, logs=None):
            events.append({"event": name, "index": int(i), "logs": clean(logs)})
    else:
        def f(self, logs=None):
            events.append({"event": name, "index": None, "logs": clean(logs)})
            if name.endswith("_begin"):  # what self.params holds then
                params[phase[0] + " " + name] = dict(self.params)
    return f


for name in ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
             "on_predict_end"]:
    setattr(Recorder, name, hook(name, False))
for name in ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
             "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"]:
    setattr(Recorder, name, hook(name, True))

rec = Recorder()
model.fit(x, y, batch_size=4, epochs=2, validation_data=(xv, yv), shuffle=False, verbose=0, callbacks=[rec])
fit_events = events
events = []
phase[0] = "evaluate"
model.evaluate(xt, yt, batch_size=4, verbose=0, callbacks=[rec])
evaluate_events = events
events = []
phase[0] = "predict"
model.predict(xt, batch_size=4, verbose=0, callbacks=[rec])
predict_events = events

json.dump({
    "keras": keras.__version__,
    "x": x.tolist(), "y": y.tolist(), "xv": xv.tolist(), "yv": yv.tolist(), "xt": xt.tolist(), "yt": yt.tolist(),
    "kernel": kernel.tolist(), "bias": bias.tolist(),
    "fit": fit_events, "evaluate": evaluate_events, "predict": predict_events, "params": params,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
