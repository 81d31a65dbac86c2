"""Writes the legacy HDF5 model files (model.save("m.h5")) that KerasFileTest loads with Sequential.load, and what
Keras predicts from them.

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/keras_legacy_h5_fixture.py \
        /work/main/java/core/src/test/resources/dev/dendrite/model

Writes into that folder:
- keras3-legacy-model.h5: Input(6) -> Dense(8, relu) -> BatchNormalization -> Dropout(0.2) -> Dense(3, softmax),
  compiled with Adam(0.01), sparse categorical cross-entropy and accuracy, trained 3 epochs, saved by Keras 3.15's
  own legacy writer (h5py: root attributes model_config and training_config as JSON strings, model_weights/<layer>
  groups listing weight_names, variable-length string attributes);
- keras2-model.h5: the same weights in the layout tf.keras 2.x (TensorFlow 2.4 to 2.15) wrote, built here with h5py
  because Keras 2 is not installed: layer_names and weight_names as fixed-length byte strings, weights named
  "dense/kernel:0", a Keras 2 model_config (an InputLayer with batch_input_shape, initializers without "module",
  dtype "float32") and training_config (optimizer_config, metrics as nested MeanMetricWrapper lists);
- keras2-model-no-input-layer.h5: the same in the layout of TensorFlow before 2.4, whose Sequential config has no
  InputLayer (the first Dense carries batch_input_shape);
- keras-legacy.json: x and Keras's predictions of the model (both files hold the same weights).
Deterministic: fixed seeds, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1]
keras.utils.set_random_seed(20261207)
rng = np.random.default_rng(20261207)
x = rng.normal(0.0, 1.0, (20, 6)).astype(np.float32)
y = rng.integers(0, 3, 20).astype(np.int32)
L = keras.layers
model = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                          L.Dropout(0.2), L.Dense(3, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=5, epochs=3, verbose=0)
model.save(os.path.join(out, "keras3-legacy-model.h5"))

initializer = {"class_name": "GlorotUniform", "config": {"seed": None}}
zeros = {"class_name": "Zeros", "config": {}}
ones = {"class_name": "Ones", "config": {}}


def dense(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": initializer, "bias_initializer": zeros, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


keras2_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 6], "dtype": "float32", "sparse": False,
                                            "ragged": False, "name": "dense_input"}},
    dense("dense", 8, "relu"),
    {"class_name": "BatchNormalization", "config": {
        "name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [1], "momentum": 0.99,
        "epsilon": 0.001, "center": True, "scale": True, "beta_initializer": zeros, "gamma_initializer": ones,
        "moving_mean_initializer": zeros, "moving_variance_initializer": ones, "beta_regularizer": None,
        "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}},
    {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.2,
                                         "noise_shape": None, "seed": None}},
    dense("dense_1", 3, "softmax")]}, "keras_version": "2.15.0", "backend": "tensorflow"}
keras2_training = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
    "weighted_metrics": None, "loss_weights": None,
    "optimizer_config": {"class_name": "Custom>Adam", "config": {
        "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
        "is_legacy_optimizer": False, "learning_rate": 0.009999999776482582, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}}}
weights = {"dense": ["kernel", "bias"], "batch_normalization": ["gamma", "beta", "moving_mean", "moving_variance"],
           "dense_1": ["kernel", "bias"]}
with h5py.File(os.path.join(out, "keras2-model.h5"), "w") as f:
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(keras2_config)
    f.attrs["training_config"] = json.dumps(keras2_training)
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([b"dense_input", b"dense", b"batch_normalization", b"dropout", b"dense_1"])
    g.attrs["backend"] = b"tensorflow"
    g.attrs["keras_version"] = b"2.15.0"
    layers = [layer for layer in model.layers if layer.weights]
    g.create_group("dense_input").attrs["weight_names"] = np.array([], dtype="S1")
    g.create_group("dropout").attrs["weight_names"] = np.array([], dtype="S1")
    for layer, name in zip(layers, ["dense", "batch_normalization", "dense_1"]):
        lg = g.create_group(name)
        lg.attrs["weight_names"] = np.array([f"{name}/{w}:0".encode() for w in weights[name]])
        for w, value in zip(weights[name], layer.get_weights()):
            lg.create_dataset(f"{name}/{w}:0", data=value)

# TensorFlow before 2.4 wrote no InputLayer: the first layer carried batch_input_shape (Dense(8, input_shape=(6,)))
first = dense("dense", 8, "relu")
first["config"]["batch_input_shape"] = [None, 6]
keras2_config["config"]["layers"] = [first] + keras2_config["config"]["layers"][2:]
with h5py.File(os.path.join(out, "keras2-model.h5"), "r") as src, \
        h5py.File(os.path.join(out, "keras2-model-no-input-layer.h5"), "w") as f:
    for k, v in src.attrs.items():
        f.attrs[k] = v
    f.attrs["model_config"] = json.dumps(keras2_config)
    src.copy("model_weights", f)
    del f["model_weights/dense_input"]
    f["model_weights"].attrs["layer_names"] = np.array([b"dense", b"batch_normalization", b"dropout", b"dense_1"])

with open(os.path.join(out, "keras-legacy.json"), "w") as f:
    json.dump({"keras_version": keras.__version__, "x": x.ravel().tolist(),
               "predictions": model.predict(x, verbose=0).ravel().tolist()}, f)
