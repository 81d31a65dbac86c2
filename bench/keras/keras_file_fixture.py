"""Writes the Keras 3 files that KerasFileTest loads with Sequential.load and Sequential.loadWeights, and what Keras
itself computes from them.

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/keras_file_fixture.py \
        /work/main/java/core/src/test/resources/dev/dendrite/model

Writes into that folder:
- keras-model.keras: a course-style Sequential (Input(6) -> Normalization adapted to the data -> Dense(8, relu,
  kernel L2) -> BatchNormalization -> Dropout(0.2) -> Dense(8) -> LeakyReLU(0.1) -> Dense(8, selu) ->
  Activation("tanh") -> Dense(3, softmax)), compiled with Adam(0.01), sparse categorical cross-entropy and
  accuracy, trained 3 epochs so that every weight and the batch norm's moving statistics moved, then model.save;
- keras-model.weights.h5: the same weights from model.save_weights;
- keras-model-no-input.keras: Dense(4, relu) -> Dense(3, softmax) built without an Input (build_config only),
  not compiled;
- keras-functional.keras: a Functional model of the same kind, which Dendrite refuses by name;
- keras-adam-resume.keras: Input(6) -> Dense(8, relu, no bias) -> BatchNormalization -> Dense(3, softmax) with
  Adam(0.01), trained 2 epochs (batch 8, shuffle=False) and saved with the optimizer's moments and step count;
  Keras then trains it one more epoch the same way, and the fixture keeps the weights after that epoch
  ("resumed_weights"), what loading the file with its optimizer state and training on must give;
- keras-model.json: x, y, Keras's predictions of both models and the first model's evaluate() loss and accuracy,
  its layers' weights (model.get_weights(), flat, Keras's order), the resumed weights and the versions.
Deterministic: fixed seeds, float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1]
keras.utils.set_random_seed(20261207)
rng = np.random.default_rng(20261207)
L = keras.layers
x = rng.normal(3.0, 2.0, (40, 6)).astype(np.float32)
y = rng.integers(0, 3, 40).astype(np.int32)

norm = L.Normalization()
norm.adapt(x)
model = keras.Sequential([
    keras.Input((6,)),
    norm,
    L.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
    L.BatchNormalization(),
    L.Dropout(0.2),
    L.Dense(8),
    L.LeakyReLU(negative_slope=0.1),
    L.Dense(8, activation="selu"),
    L.Activation("tanh"),
    L.Dense(3, activation="softmax"),
], name="course_model")
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=8, epochs=3, verbose=0)
model.save(os.path.join(out, "keras-model.keras"))
model.save_weights(os.path.join(out, "keras-model.weights.h5"))
loss, accuracy = model.evaluate(x, y, batch_size=40, verbose=0)

bare = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(3, activation="softmax")])
bare.build((None, 6))
bare.save(os.path.join(out, "keras-model-no-input.keras"))

inputs = keras.Input((6,))
functional = keras.Model(inputs, L.Dense(3, activation="softmax")(L.Dense(4)(inputs)))
functional.save(os.path.join(out, "keras-functional.keras"))

# No bias before the batch norm: its gradient would be rounding noise, which Adam scales up to full steps
resume = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu", use_bias=False), L.BatchNormalization(),
                           L.Dense(3, activation="softmax")])
resume.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
resume.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
resume.save(os.path.join(out, "keras-adam-resume.keras"))
resume.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)

fixture = {
    "keras_version": keras.__version__, "backend": keras.backend.backend(), "python": platform.python_version(),
    "x": x.ravel().tolist(), "y": y.tolist(), "inputs": 6,
    "predictions": model.predict(x, verbose=0).ravel().tolist(),
    "no_input_predictions": bare.predict(x, verbose=0).ravel().tolist(),
    "loss": float(loss), "accuracy": float(accuracy),
    "weights": [np.asarray(w).ravel().tolist() for w in model.get_weights()],
    "layer_names": [layer.name for layer in model.layers],
    "resumed_weights": [np.asarray(w).ravel().tolist() for w in resume.get_weights()],
}
with open(os.path.join(out, "keras-model.json"), "w") as f:
    json.dump(fixture, f)
