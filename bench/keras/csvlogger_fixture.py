"""The bytes Keras 3's CSVLogger writes for given epoch logs, for CSVLoggerKerasTest.

Run from the repository root:
    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python bench/keras/csvlogger_fixture.py \
        java/core/src/test/resources/dev/dendrite/callbacks

Writes csvlogger_plain.csv (separator ",", a first epoch without val_ keys, so Keras adds their columns and writes
NA) and csvlogger_append.csv (the same file, then a second fit appended with separator ";"). The logs use values
whose Python repr needs care: 0.1 + 0.2, 1e-05, 0.0001, 123.0, 2.5e16, nan, inf, a float32 widened to a double.
CSVLoggerKerasTest feeds the same logs (listed in the test) to Dendrite's CSVLogger and compares the bytes.
"""
import os
import sys

from keras.callbacks import CSVLogger

out = sys.argv[1]
EPOCHS_A = [
    {"loss": 0.1 + 0.2, "accuracy": 0.40707963705062866, "learning_rate": 0.0001},
    {"loss": 1e-05, "accuracy": 123.0, "learning_rate": 0.0001, "val_loss": 2.5e16, "val_accuracy": float("nan")},
]
EPOCHS_B = [
    {"loss": float("inf"), "val_loss": 0.5},
    {"loss": 3.0, "val_loss": -0.0},
]


def fit(path, sep, append, epochs):
    cb = CSVLogger(path, separator=sep, append=append)
    cb.on_train_begin()
    for e, logs in enumerate(epochs):
        cb.on_epoch_end(e, dict(logs))
    cb.on_train_end()


plain = os.path.join(out, "csvlogger_plain.csv")
fit(plain, ",", False, EPOCHS_A)
appended = os.path.join(out, "csvlogger_append.csv")
if os.path.exists(appended):
    os.remove(appended)
fit(appended, ",", True, EPOCHS_A)
fit(appended, ";", True, EPOCHS_B)
