"""Keras 3's model.to_json() for ModelJsonTest.

Run from the repository root (Keras 3 on JAX):
    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/model_json_fixture.py \
        > java/core/src/test/resources/dev/dendrite/model/keras-model-json.json

A course model (Rescaling, Flatten, Dense with He and LeCun initialisation and an L2 penalty, BatchNormalization,
Dropout, LeakyReLU, a softmax output) compiled with Nadam: its to_json() string as Keras writes it, its parameter
count, and the same model's JSON uncompiled. ModelJsonTest reads the strings with Sequential.fromJson, as
keras.models.model_from_json would, and writes them back with toJson.
"""
import json
import sys

import keras

keras.utils.set_random_seed(7)


def course_model():
    return keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu", kernel_initializer="he_normal",
                           kernel_regularizer=keras.regularizers.l2(1e-4)),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(100, activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dense(10, activation="softmax"),
    ], name="course")


compiled = course_model()
compiled.compile(optimizer=keras.optimizers.Nadam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
plain = course_model()
json.dump({
    "keras": keras.__version__,
    "compiled": compiled.to_json(),
    "uncompiled": plain.to_json(),
    "params": int(compiled.count_params()),
    "layer_names": [layer.name for layer in compiled.layers],
}, sys.stdout, indent=1)
sys.stdout.write("\n")
