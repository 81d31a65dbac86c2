"""Keras 3 reference values for Dendrite's LayerNormalization (LayerNormalizationKerasParityTest).

Runs keras.layers.LayerNormalization (axis=-1) on fixed inputs and writes, per case, the inputs, gamma, beta, the
upstream gradient dy, and Keras's output y with the gradients of sum(y * dy) with respect to x, gamma and beta
(jax.grad through layer.stateless_call) to layer_normalization.json beside this script.

    KERAS_BACKEND=jax /work/main/.venv-peers/bin/python layer_normalization.py

Everything is float32, as Keras computes it; the inputs come from a fixed numpy seed and are stored in the
fixture, so the Java test needs nothing but the JSON.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

CASES = [
    # name, sample shape, epsilon, center, scale, offset of x, spread of x
    ("flat_defaults", (7,), 1e-3, True, True, 0.5, 2.0),
    ("two_axes_no_center", (2, 4), 1e-3, False, True, 0.0, 1.0),
    ("wide_no_scale_small_eps", (33,), 1e-5, True, False, 100.0, 3.0),
    ("single_feature", (1,), 1e-3, True, True, 0.0, 1.0),
]
ROWS = 5


def run(rng, name, shape, eps, center, scale, offset, spread):
    x = (offset + spread * rng.standard_normal((ROWS,) + shape)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    layer = keras.layers.LayerNormalization(axis=-1, epsilon=eps, center=center, scale=scale)
    layer.build(x.shape)
    features = shape[-1]
    gamma = (1 + 0.5 * rng.standard_normal(features)).astype(np.float32)
    beta = rng.standard_normal(features).astype(np.float32)
    weights = ([gamma] if scale else []) + ([beta] if center else [])
    layer.set_weights(weights)
    trainable = [jnp.asarray(v.value) for v in layer.trainable_variables]

    def objective(xv, tv):
        y, _ = layer.stateless_call(tv, [], xv)
        return jnp.sum(y * dy), y

    (_, y), (dx, dparams) = jax.value_and_grad(objective, argnums=(0, 1), has_aux=True)(jnp.asarray(x), trainable)
    dparams = [np.asarray(g) for g in dparams]
    return {
        "name": name,
        "rows": ROWS,
        "shape": list(shape),
        "epsilon": eps,
        "center": center,
        "scale": scale,
        "x": x.ravel().tolist(),
        "dy": dy.ravel().tolist(),
        "gamma": gamma.tolist() if scale else None,
        "beta": beta.tolist() if center else None,
        "y": np.asarray(y).ravel().tolist(),
        "dx": np.asarray(dx).ravel().tolist(),
        "dgamma": dparams[0].tolist() if scale else None,
        "dbeta": dparams[-1].tolist() if center else None,
    }


def main():
    rng = np.random.default_rng(20261202)
    out = {
        "generator": "java/src/test/resources/dev/dendrite/keras/layer_normalization.py",
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "jax": jax.__version__,
        "cases": [run(rng, *case) for case in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_normalization.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
