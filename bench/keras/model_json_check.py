"""Reads JSON that Dendrite's Sequential.toJson() wrote with keras.models.model_from_json, as a Keras user would.

Run (Keras 3 on JAX):
    KERAS_BACKEND=jax /tmp/kv/bin/python bench/keras/model_json_check.py model.json [params]

Prints Keras's summary, whether the model came back compiled (with which optimizer, learning rate, loss and
metrics), and checks that Keras writes the model out again with every value Dendrite wrote (Keras adds the
defaults Dendrite leaves out). With params, also that the parameter count is that number. Exits non-zero on a
mismatch.
"""
import json
import sys

import numpy as np
import keras


def subset(path, ours, theirs, problems):
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            problems.append(f"{path}: Keras has {theirs!r}")
            return
        for k, v in ours.items():
            if k not in theirs:
                problems.append(f"{path}.{k}: not in Keras's JSON")
            else:
                subset(f"{path}.{k}", v, theirs[k], problems)
    elif isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            problems.append(f"{path}: {ours!r} against Keras's {theirs!r}")
            return
        for i, (a, b) in enumerate(zip(ours, theirs)):
            subset(f"{path}[{i}]", a, b, problems)
    elif isinstance(ours, float) or isinstance(theirs, float):
        if np.float32(ours) != np.float32(theirs):
            problems.append(f"{path}: {ours!r} against Keras's {theirs!r}")
    elif ours != theirs:
        problems.append(f"{path}: {ours!r} against Keras's {theirs!r}")


text = open(sys.argv[1]).read()
model = keras.models.model_from_json(text)
model.summary()
print("compiled:", model.compiled)
if model.compiled:
    opt = model.optimizer
    print("optimizer:", type(opt).__name__, "learning rate", float(opt.learning_rate))
    print("loss:", model.loss, "metrics:", model.get_compile_config().get("metrics"))
problems = []
subset("model", json.loads(text), json.loads(model.to_json()), problems)
if len(sys.argv) > 2 and model.count_params() != int(sys.argv[2]):
    problems.append(f"params: Keras counts {model.count_params()}, expected {sys.argv[2]}")
for p in problems:
    print("MISMATCH", p)
print("OK" if not problems else f"{len(problems)} mismatches")
sys.exit(1 if problems else 0)
