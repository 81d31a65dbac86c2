"""Keras 3's serialized form of configured metrics, for MetricObjectsTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python bench/keras/metric_configs_fixture.py \
        > java/core/src/test/resources/dev/dendrite/metrics/keras_metric_configs.json

Each entry is keras.saving.serialize_keras_object(metric), the form a .keras file's compile_config holds in its
"metrics" list; Dendrite's model file stores metric objects the same way and makes them again from it.
"""
import json

import keras

metrics = [
    keras.metrics.TopKCategoricalAccuracy(k=3),
    keras.metrics.SparseTopKCategoricalAccuracy(k=2),
    keras.metrics.F1Score(average="macro"),
    keras.metrics.F1Score(threshold=0.4),
    keras.metrics.AUC(num_thresholds=50),
    keras.metrics.Precision(thresholds=0.3),
    keras.metrics.Recall(),
    keras.metrics.BinaryAccuracy(threshold=0.7),
    keras.metrics.CategoricalAccuracy(),
    keras.metrics.SparseCategoricalAccuracy(),
]
print(json.dumps([keras.saving.serialize_keras_object(m) for m in metrics], indent=1))
