"""Writes the fixture that KerasActivationsTest checks Dendrite's activations against: every element-wise activation
Keras 3 accepts by name in Dense(..., activation=NAME) that Dendrite implements, evaluated by Keras itself at the
same float32 points, with its derivative from JAX's autodiff (the gradient Keras's fit would use on JAX).

    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/activations_fixture.py \
        java/core/src/test/resources/dev/dendrite/backend/cpu/keras-activations.json

The points: a grid over [-8, 8] in steps of 1/8 (every kink of these functions lies on it: 0, +-0.5, +-1, +-3, 6),
points 1e-3 beside each kink, a few large values (+-20, +-30, +-88, +-100) and 200 normal draws of spread 4. Not
the kinks' float neighbours: there Keras's own float arithmetic moves the point onto the kink (x + 3 rounds to 6 for
x = 2.9999998 in hard_sigmoid, and XLA on the CPU flushes a subnormal x to 0), so JAX's derivative is the kink's.
Deterministic: a fixed seed, float32, the CPU.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

NAMES = ["linear", "relu", "sigmoid", "tanh", "selu", "elu", "leaky_relu", "gelu", "swish", "silu",
         "softplus", "softsign", "relu6", "hard_sigmoid", "hard_silu", "hard_swish", "mish", "exponential", "celu",
         "log_sigmoid", "tanh_shrink", "hard_tanh", "soft_shrink", "hard_shrink", "sparse_plus", "sparse_sigmoid",
         "squareplus"]

rng = np.random.default_rng(20261207)
kinks = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0], dtype=np.float32)
neighbours = np.concatenate([kinks + np.float32(1e-3), kinks - np.float32(1e-3)]).astype(np.float32)
x = np.concatenate([np.arange(-64, 65, dtype=np.float32) / np.float32(8), neighbours,
                    np.array([20, -20, 30, -30, 88, -88, 100, -100], dtype=np.float32),
                    rng.normal(0, 4, 200).astype(np.float32)]).astype(np.float32)


def number(v):
    """A float32 value as JSON text: its shortest decimal that reads back as the same float32, or "Infinity",
    "-Infinity" or "NaN" as Java's Float.parseFloat spells them (JSON has no non-finite numbers; exponential
    overflows at the large points)."""
    v = np.float32(v)
    if np.isfinite(v):
        return str(v)
    return '"NaN"' if np.isnan(v) else ('"Infinity"' if v > 0 else '"-Infinity"')


def numbers(values):
    return "[" + ", ".join(number(v) for v in values) + "]"


lines = []
for name in NAMES:
    f = keras.activations.get(name)
    y = np.asarray(f(jnp.asarray(x)), dtype=np.float32)
    dy = np.asarray(jax.grad(lambda v: jnp.sum(f(v)))(jnp.asarray(x)), dtype=np.float32)
    lines.append('  {"name": "%s",\n   "y": %s,\n   "dy": %s}' % (name, numbers(y), numbers(dy)))
text = ('{"keras_version": "%s", "jax_version": "%s", "backend": "%s",\n "x": %s,\n "cases": [\n%s\n]}\n'
        % (keras.__version__, jax.__version__, keras.backend.backend(), numbers(x), ",\n".join(lines)))
json.loads(text)  # well-formed
with open(sys.argv[1], "w") as fh:
    fh.write(text)
