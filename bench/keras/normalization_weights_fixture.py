"""Writes the fixture that KerasNormalizationWeightsTest checks against: BatchNormalization and LayerNormalization
with Keras 3's arguments for their weights (initializers, regularizers, constraints), built and trained in Keras.

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/normalization_weights_fixture.py \
        java/core/src/test/resources/dev/dendrite/layers/keras-normalization-weights.json

The net: 6 -> Dense(8, relu) -> BatchNormalization(gamma from 1.5, beta from 0.05, moving variance from 2, gamma
L2(0.05), beta L1(0.02), gamma MaxNorm(2.5), beta MaxNorm(0.3)) -> Dense(8) -> LayerNormalization(beta from 0.1,
gamma L1L2(0.01, 0.02), beta NonNeg) -> Dense(3, softmax). "layers" holds each layer's Keras config, which Dendrite rebuilds the net
from, so Keras's argument names are read as Keras writes them. "built" holds the normalisation layers' weights as
Keras's initializers made them (gamma 1.5 starts with a norm of 4.2, past the MaxNorm). "initial_weights" are those,
with Dense weights drawn here. Each case trains from them with Adam(0.05), sparse categorical cross-entropy, batch 8,
2 epochs of 4 batches in order (shuffle=False): "regularized and constrained" as above, and "plain" (the same layers
without penalties or constraints, to show that the fixture tells them apart); the weights after the 8 steps (the
moving statistics too) and each epoch's loss (penalties included, as Keras logs it). Deterministic: a fixed seed,
float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(20261207)
L, C, R, I = keras.layers, keras.constraints, keras.regularizers, keras.initializers
IN, HIDDEN, OUT, BATCH, STEPS, EPOCHS, RATE = 6, 8, 3, 8, 4, 2, 0.05

x = rng.normal(0, 1, (BATCH * STEPS, IN)).astype(np.float32)
y = rng.integers(0, OUT, BATCH * STEPS).astype(np.int32)


# No L1 penalty on a weight that starts at 0 or that NonNeg clamps to 0: there the penalty's gradient is a choice,
# and Keras on JAX takes d|w|/dw = 1 at w = 0, Dendrite (as Keras on TensorFlow, and PyTorch) 0.
def net(regularized):
    extra_bn = dict(gamma_regularizer=R.L2(0.05), beta_regularizer=R.L1(0.02), gamma_constraint=C.MaxNorm(2.5),
                    beta_constraint=C.MaxNorm(0.3)) if regularized else {}
    extra_ln = dict(gamma_regularizer=R.L1L2(0.01, 0.02), beta_constraint=C.NonNeg()) if regularized else {}
    return keras.Sequential([
        keras.Input((IN,)),
        L.Dense(HIDDEN, activation="relu"),
        L.BatchNormalization(gamma_initializer=I.Constant(1.5), beta_initializer=I.Constant(0.05),
                             moving_variance_initializer=I.Constant(2.0), **extra_bn),
        L.Dense(HIDDEN),
        L.LayerNormalization(beta_initializer=I.Constant(0.1), **extra_ln),
        L.Dense(OUT, activation="softmax"),
    ])


built = net(True)
built_weights = {layer.name: [np.asarray(w).tolist() for w in layer.get_weights()] for layer in built.layers
                 if not isinstance(layer, L.Dense)}
initial = []
for layer in built.layers:
    for w in layer.get_weights():
        initial.append(rng.normal(0, 0.5, w.shape).astype(np.float32) if isinstance(layer, L.Dense) else w)

cases = []
for name, regularized in [("regularized and constrained", True), ("plain", False)]:
    model = net(regularized)
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.Adam(RATE), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    cases.append({"name": name, "layers": [{"class_name": layer.__class__.__name__, "config": layer.get_config()}
                                           for layer in model.layers],
                  "weights": [np.asarray(w).ravel().tolist() for w in model.get_weights()],
                  "loss": [float(v) for v in history.history["loss"]]})

out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "python": platform.python_version(),
       "inputs": IN, "batch_size": BATCH, "epochs": EPOCHS, "learning_rate": RATE,
       "x": x.ravel().tolist(), "y": y.tolist(),
       "built": [built_weights[layer.name] for layer in built.layers if layer.name in built_weights],
       "initial_weights": [np.asarray(w).ravel().tolist() for w in initial], "cases": cases}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1, default=lambda o: None)
    f.write("\n")
