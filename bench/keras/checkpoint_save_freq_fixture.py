"""Keras 3's ModelCheckpoint with save_freq=n (batches), for KerasCheckpointSaveFreqTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/checkpoint_save_freq_fixture.py \
        > java/core/src/test/resources/dev/dendrite/model/keras-checkpoint-save-freq.json

A 5-8-3 net (relu, softmax) with fixed weights, SGD(0.1), sparse categorical cross-entropy and accuracy, trained on
22 rows in batches of 4 (6 batches an epoch, the last of 2 rows), unshuffled, for 2 epochs and then 1 more in a
second fit. ModelCheckpoint(save_freq=4, save_best_only=True, monitor="loss") writes
"e{epoch:02d}-b{batch:02d}-{loss:.4f}.weights.h5": the saves land every 4th batch counted across epochs and fits,
the file names carry the batch logs' running mean loss, and save_best_only skips the points where it did not
improve. Recorded: each point where the callback decided (epoch, batch, the file name, the loss, whether it saved) and the
weights in each saved file.
"""
import json
import os
import sys
import tempfile

import numpy as np
import keras

rng = np.random.default_rng(20261208)
F = np.float32
x = rng.normal(size=(22, 5)).astype(F)
y = rng.integers(0, 3, size=22).astype(np.int32)

model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
initial = [(rng.normal(size=w.shape) * 0.5).astype(F) for w in model.get_weights()]
model.set_weights(initial)
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

folder = tempfile.mkdtemp()
decisions = []


class Recording(keras.callbacks.ModelCheckpoint):
    def _save_model(self, epoch, batch, logs):
        path = self._get_file_path(epoch, batch, logs)
        before = os.path.exists(path)
        super()._save_model(epoch, batch, logs)
        decisions.append({"epoch": epoch + 1, "batch": batch + 1, "file": os.path.basename(path),
                          "loss": float(logs["loss"]), "saved": not before and os.path.exists(path)})


checkpoint = Recording(os.path.join(folder, "e{epoch:02d}-b{batch:02d}-{loss:.4f}.weights.h5"), monitor="loss",
                       save_best_only=True, save_weights_only=True, save_freq=4)
model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[checkpoint])
model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[checkpoint])

saved = {}
probe = keras.models.clone_model(model)
for d in decisions:
    if d["saved"]:
        probe.load_weights(os.path.join(folder, d["file"]))
        saved[d["file"]] = [w.ravel().tolist() for w in probe.get_weights()]

json.dump({
    "keras": keras.__version__,
    "x": x.ravel().tolist(), "y": y.tolist(),
    "initial_weights": [w.ravel().tolist() for w in initial],
    "decisions": decisions,
    "saved_weights": saved,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
