"""Keras 3 reference values for Dendrite's activation and preprocessing layers (LayerKerasParityTest).

Runs each layer in Keras 3 (JAX backend) on fixed inputs and writes, per case, the layer's Keras config, its
output, and the gradients of sum(output * g) with respect to the input (and to PReLU's alpha), plus the
statistics Normalization.adapt learns. Inputs avoid the kinks, where Keras on JAX and on TensorFlow disagree
(the conventions there are checked by the conformance suite instead).

    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python bench/keras/layer_parity.py \
        > java/core/src/test/resources/dev/dendrite/layers/keras-layers.json
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

ROWS, FEATURES = 4, 6
rng = np.random.default_rng(20261202)


def away_from(x, points, gap=1e-2):
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + 2 * gap
    return x


x = away_from(rng.normal(0, 2, (ROWS, FEATURES)).astype(np.float32), [0.0, 0.25, 0.5, 1.5, 6.0])
g = rng.normal(0, 1, (ROWS, FEATURES)).astype(np.float32)
adapt_data = (rng.normal(3, 5, (50, FEATURES)) * np.arange(1, FEATURES + 1)).astype(np.float32)
alpha = rng.uniform(-0.5, 0.5, (FEATURES,)).astype(np.float32)

L = keras.layers
cases = [
    ("LeakyReLU", L.LeakyReLU()),
    ("LeakyReLU(0.1)", L.LeakyReLU(negative_slope=0.1)),
    ("ReLU", L.ReLU()),
    ("ReLU(max 6)", L.ReLU(max_value=6.0)),
    ("ReLU(max 1.5, slope 0.2, threshold 0.25)", L.ReLU(max_value=1.5, negative_slope=0.2, threshold=0.25)),
    ("ReLU(slope 0.1, threshold 0.5)", L.ReLU(negative_slope=0.1, threshold=0.5)),
    ("ELU", L.ELU()),
    ("ELU(0.5)", L.ELU(alpha=0.5)),
    ("PReLU", L.PReLU()),
    ("Softmax", L.Softmax()),
    ("Rescaling", L.Rescaling(scale=1.0 / 255, offset=-0.5)),
    ("Normalization adapted", L.Normalization()),
    ("Normalization adapted, axis None", L.Normalization(axis=None)),
    ("Normalization given", L.Normalization(mean=[0.5, -1, 2, 0, 3, 1], variance=[1, 4, 0.25, 9, 2, 0])),
]

out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "x": x.tolist(), "g": g.tolist(),
       "adapt_data": adapt_data.tolist(), "prelu_alpha": alpha.tolist(), "cases": []}
for label, layer in cases:
    layer.build((None, FEATURES))
    if isinstance(layer, L.PReLU):
        layer.alpha.assign(alpha)
    if label.startswith("Normalization adapted"):
        layer.adapt(adapt_data)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def objective(tv, xv):
        y, _ = layer.stateless_call(tv, non_trainable, xv)
        return jnp.sum(y * g), y

    (dtv, dx), y = jax.grad(objective, argnums=(0, 1), has_aux=True)(trainable, jnp.asarray(x))
    case = {"label": label, "class_name": type(layer).__name__, "config": layer.get_config(),
            "y": np.asarray(y).tolist(), "dx": np.asarray(dx).tolist()}
    if dtv:
        case["dalpha"] = np.asarray(dtv[0]).reshape(-1).tolist()
    if label.startswith("Normalization adapted"):
        case["adapted_mean"] = np.asarray(layer.adapt_mean.value).reshape(-1).tolist()
        case["adapted_variance"] = np.asarray(layer.adapt_variance.value).reshape(-1).tolist()
    out["cases"].append(case)

print(json.dumps(out, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
