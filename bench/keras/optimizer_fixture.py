"""Writes the fixture that KerasOptimizerReplayTest replays: a small dense net trained for 50 steps in Keras 3
with each optimizer and gradient option that Dendrite implements, from initial weights and batches this script
draws and writes alongside the results.

    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python bench/keras/optimizer_fixture.py \
        java/core/src/test/resources/dev/dendrite/optimizers/keras-optimizers-50-steps.json

The net is 6 -> Dense(8, relu) -> Dense(3, softmax) with sparse categorical cross-entropy, batch 16, 50 batches
in order (fit with shuffle=False, one epoch). Every case starts from the same weights; the fixture holds each
case's optimizer name and Keras's own get_config() (what Dendrite's Optimizer.fromConfig reads), the weights
after the 50 steps and the epoch's mean loss. Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import platform
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

IN, HIDDEN, OUT = 6, 8, 3
BATCH, STEPS = 16, 50
SEED = 20261202

# (case name, Keras optimizer) in the order the Java test reports them. Learning rates are chosen so that 50
# steps move the weights well beyond rounding (Adadelta and Lion at Keras's defaults barely move in 50 steps).
CASES = [
    ("sgd", lambda: keras.optimizers.SGD(learning_rate=0.1)),
    ("adam", lambda: keras.optimizers.Adam(learning_rate=0.01)),
    ("adamw", lambda: keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)),
    ("adamw defaults", lambda: keras.optimizers.AdamW()),
    ("adamax", lambda: keras.optimizers.Adamax(learning_rate=0.01)),
    ("nadam", lambda: keras.optimizers.Nadam(learning_rate=0.01)),
    ("nadam defaults", lambda: keras.optimizers.Nadam()),
    ("lion", lambda: keras.optimizers.Lion(learning_rate=0.003)),
    ("adadelta", lambda: keras.optimizers.Adadelta(learning_rate=1.0)),
    ("ftrl", lambda: keras.optimizers.Ftrl(learning_rate=0.1)),
    ("ftrl regularised", lambda: keras.optimizers.Ftrl(
        learning_rate=0.1, learning_rate_power=-0.3, initial_accumulator_value=0.2, l1_regularization_strength=0.001,
        l2_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.02, beta=0.1)),
    ("lamb", lambda: keras.optimizers.Lamb(learning_rate=0.01)),
    ("lamb weight_decay clipvalue", lambda: keras.optimizers.Lamb(learning_rate=0.01, weight_decay=0.05,
                                                                    clipvalue=0.05)),
    ("adam clipnorm", lambda: keras.optimizers.Adam(learning_rate=0.01, clipnorm=0.05)),
    ("adam global_clipnorm", lambda: keras.optimizers.Adam(learning_rate=0.01, global_clipnorm=0.05)),
    ("sgd clipvalue", lambda: keras.optimizers.SGD(learning_rate=0.1, clipvalue=0.02)),
    ("sgd clipnorm", lambda: keras.optimizers.SGD(learning_rate=0.1, clipnorm=0.05)),
    ("sgd momentum weight_decay", lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.05)),
    ("rmsprop weight_decay clipnorm",
     lambda: keras.optimizers.RMSprop(learning_rate=0.01, weight_decay=0.05, clipnorm=0.1)),
    ("nadam global_clipnorm weight_decay",
     lambda: keras.optimizers.Nadam(learning_rate=0.01, global_clipnorm=0.1, weight_decay=0.02)),
    # Adafactor: factored row/column accumulators on the two kernels, full ones on the biases. At Keras's defaults
    # (rate 0.001) a step is about 1e-3 of each kernel's RMS; the larger rates move the weights further, and the
    # last case changes every hyperparameter so that the clip threshold and both epsilons matter.
    ("adafactor defaults", lambda: keras.optimizers.Adafactor()),
    ("adafactor", lambda: keras.optimizers.Adafactor(learning_rate=0.1)),
    ("adafactor options", lambda: keras.optimizers.Adafactor(
        learning_rate=0.05, beta_2_decay=-0.5, epsilon_1=1e-3, epsilon_2=0.05, clip_threshold=0.5,
        relative_step=False)),
    ("adafactor clipnorm weight_decay",
     lambda: keras.optimizers.Adafactor(learning_rate=0.1, clipnorm=0.1, weight_decay=0.05)),
]


def model_with(weights):
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(OUT, activation="softmax")])
    model.set_weights(weights)
    return model


def plain(config):
    """get_config() with numpy scalars turned into JSON numbers."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in config.items()}


def main(out_path):
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(BATCH * STEPS, IN)).astype(np.float32)
    y = rng.integers(0, OUT, size=BATCH * STEPS).astype(np.int32)
    w0 = [rng.normal(scale=0.5, size=(IN, HIDDEN)).astype(np.float32),
          rng.normal(scale=0.1, size=HIDDEN).astype(np.float32),
          rng.normal(scale=0.5, size=(HIDDEN, OUT)).astype(np.float32),
          rng.normal(scale=0.1, size=OUT).astype(np.float32)]
    cases = []
    for name, make in CASES:
        keras.utils.set_random_seed(SEED)
        model = model_with(w0)
        optimizer = make()
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        assert int(optimizer.iterations.numpy()) == STEPS, name
        cases.append({
            "name": name,
            "optimizer": type(optimizer).__name__.lower(),
            "config": plain(optimizer.get_config()),
            "loss": float(history.history["loss"][0]),
            "weights": [w.reshape(-1).tolist() for w in model.get_weights()],
        })
    fixture = {
        "made_by": "bench/keras/optimizer_fixture.py",
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "python": platform.python_version(),
        "net": {"inputs": IN, "hidden": HIDDEN, "hidden_activation": "relu", "outputs": OUT,
                "output_activation": "softmax", "loss": "sparse_categorical_crossentropy"},
        "batch_size": BATCH,
        "steps": STEPS,
        "x": x.reshape(-1).tolist(),
        "y": y.tolist(),
        "initial_weights": [w.reshape(-1).tolist() for w in w0],
        "cases": cases,
    }
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    os.replace(tmp, out_path)
    print(f"wrote {len(cases)} cases to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         "java/core/src/test/resources/dev/dendrite/optimizers/keras-optimizers-50-steps.json")
