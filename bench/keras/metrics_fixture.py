"""Keras 3's metric values on outputs chosen to separate the definitions, for MetricsKerasTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python bench/keras/metrics_fixture.py \
        > java/core/src/test/resources/dev/dendrite/metrics/keras_metrics.json

Each case is a model output (y_pred), targets (dense rows, or class indices when "sparse"), the batch sizes the
metric state is updated with, and the value Keras gives for each metric name. Names are resolved by Keras's own
compile_utils.get_metric, so "accuracy" becomes binary, categorical or sparse categorical accuracy exactly as
model.compile(metrics=[...]) would make it. Vector results (f1_score, average=None) are lists.
"""
import json
import sys

import numpy as np
import keras
from keras.src.trainers import compile_utils

rng = np.random.default_rng(20261202)
F = np.float32


def on_thresholds(n):
    """Values exactly on AUC's evenly spaced thresholds i/199 (float32), where > and >= disagree."""
    return (rng.integers(0, 200, size=n) / F(199)).astype(F)


def case(name, y_pred, y_true, sparse, metrics, batches):
    y_pred = np.asarray(y_pred, dtype=F)
    y_true = np.asarray(y_true, dtype=np.int32 if sparse else F)
    out = {}
    for m in metrics:
        metric = compile_utils.get_metric(m, y_true[:1], y_pred[:1])
        start = 0
        for b in batches:
            metric.update_state(y_true[start:start + b], y_pred[start:start + b])
            start += b
        assert start == len(y_pred)
        r = np.asarray(metric.result(), dtype=np.float64)
        out[m] = r.tolist()
    return {"name": name, "sparse": sparse, "cols": int(y_pred.shape[1]), "batches": batches,
            "y_pred": y_pred.astype(np.float64).tolist(), "y_true": y_true.tolist(), "metrics": out,
            "resolved": {m: type(compile_utils.get_metric(m, y_true[:1], y_pred[:1])).__name__ for m in metrics}}


cases = []

# A multi-unit sigmoid output with multi-label 0/1 targets: Keras 3's "accuracy" is categorical here, while
# binary_accuracy is per output. Ties: outputs of exactly 0.5 (not above the threshold), equal row maxima (argmax
# takes the first; f1 marks every maximum), values on AUC thresholds.
n, c = 64, 4
p = rng.random((n, c)).astype(F)
p[:8] = 0.5
p[8:16, :2] = 0.75
p[16:32] = on_thresholds(16 * c).reshape(16, c)
t = (rng.random((n, c)) < 0.4).astype(F)
t[40:44] = 0
cases.append(case("multi_unit_sigmoid", p, t, False,
                  ["accuracy", "acc", "binary_accuracy", "categorical_accuracy", "top_k_categorical_accuracy",
                   "precision", "recall", "auc", "f1_score"], [10, 30, 24]))

# A one-unit output: "accuracy" is binary accuracy at 0.5; f1_score (threshold None) predicts every row positive.
n = 50
p = rng.random((n, 1)).astype(F)
p[:6] = 0.5
p[6:20, 0] = on_thresholds(14)
t = (rng.random((n, 1)) < 0.5).astype(F)
cases.append(case("one_unit", p, t, False, ["accuracy", "binary_accuracy", "precision", "recall", "auc",
                                             "f1_score"], [16, 16, 18]))

# Softmax over 7 classes with class-index labels: sparse accuracies, ties in the top-k rank (ties count for the
# label) and in the arg-max (the first index wins).
n, c = 60, 7
logits = rng.normal(size=(n, c)).astype(F)
p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
p[:10] = F(1) / c
p[10:20, :3] = p[10:20, :3].max(axis=1, keepdims=True)
labels = rng.integers(0, c, size=n)
cases.append(case("softmax_sparse", p, labels, True,
                  ["accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"], [32, 28]))

# The same outputs with one-hot targets: categorical accuracy and top-k, and the confusion metrics on one-hot
# rows (which class-index labels are read as).
onehot = np.eye(c, dtype=F)[labels]
cases.append(case("softmax_onehot", p, onehot, False,
                  ["accuracy", "categorical_accuracy", "top_k_categorical_accuracy", "precision", "recall", "auc",
                   "f1_score"], [32, 28]))

# A regression output (3 values a row, dense targets): the error metrics, by short and long name and by class.
n, c = 40, 3
p = rng.normal(0, 2, (n, c)).astype(F)
t = (p + rng.normal(0, 0.7, (n, c))).astype(F)
t[:5] = p[:5]  # exact rows
cases.append(case("regression", p, t, False,
                  ["mae", "mse", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error"],
                  [16, 16, 8]))

json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": cases},
          sys.stdout, indent=1)
sys.stdout.write("\n")
