"""Writes Keras 3 files of a model that was compiled and then saved before any training step, with a smoothing loss
(the fixtures of KerasFileTest's compiledButUntrained test):

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/keras_untrained_fixture.py java/core/src/test/resources/dev/dendrite/model

- keras-untrained-smoothing.keras and .h5: Input(6) -> Dense(4, relu) -> Dense(3, softmax), compiled with Adam(0.01)
  and CategoricalCrossentropy(label_smoothing=0.1). Keras builds an optimizer's slots at its first step, so these
  files hold only its step count and learning rate.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

keras.utils.set_random_seed(7)
m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                      keras.layers.Dense(3, activation="softmax")])
m.compile(keras.optimizers.Adam(0.01), keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
          metrics=["accuracy"])
for ext in ("keras", "h5"):
    m.save(os.path.join(sys.argv[1], "keras-untrained-smoothing." + ext))
