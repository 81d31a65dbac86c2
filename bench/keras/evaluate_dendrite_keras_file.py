"""Evaluates in Keras a Fashion-MNIST model that `dendrite train -o model.keras` wrote, on the 10,000 test images,
with the preprocessing Dendrite fitted (kept in the file's metadata.json, which Keras does not read):

    java --add-modules jdk.incubator.vector -jar java/cli/target/dendrite-cli.jar train --epochs 3 \
        --preprocess standardize -o /tmp/fashion.keras
    java --add-modules jdk.incubator.vector -jar java/cli/target/dendrite-cli.jar evaluate -m /tmp/fashion.keras
    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/evaluate_dendrite_keras_file.py \
        /tmp/fashion.keras /usr/share/datasets/fashion-mnist

Prints Keras's test loss and accuracy, which should be Dendrite's evaluate's.
"""
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fashion_data import load  # noqa: E402

path, data = sys.argv[1], sys.argv[2]
_, _, x, y = load(data)
x = x.reshape(-1, 784).astype(np.float32)
y = y.astype(np.int32)
with zipfile.ZipFile(path) as z:
    metadata = json.loads(z.read("metadata.json"))
pre = json.loads(metadata["dendrite"]["metadata"].get("preprocessing", "null") or "null")
if pre is not None and pre["kind"] != "none":
    x = (x - np.array(pre["offset"], np.float32)) / np.array(pre["divisor"], np.float32)
model = keras.saving.load_model(path)
model.summary()
x = x.reshape((-1,) + tuple(model.input_shape[1:]))  # Dendrite preprocesses flat pixels; the model takes 28x28
loss, accuracy = model.evaluate(x, y, batch_size=1000, verbose=0)
print(f"Keras {keras.__version__} on {os.path.basename(path)}: test loss {loss:.4f} - test accuracy {accuracy:.4f}"
      f" ({len(y)} images, preprocessing {pre['kind'] if pre else 'none'})")
# Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; Dendrite's loss is the exact log-softmax of the
# logits. The last layer's logits give both, so a difference in the 4th digit can be traced to the clip.
logits_model = keras.Sequential(model.layers[:-1] + [keras.layers.Dense.from_config(
    {**model.layers[-1].get_config(), "activation": "linear"})])
logits_model.build(model.input_shape)
logits_model.layers[-1].set_weights(model.layers[-1].get_weights())
z = np.asarray(logits_model.predict(x, batch_size=1000, verbose=0), np.float64)
log_p = z - z.max(axis=1, keepdims=True)
log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
print(f"  the same predictions' loss without Keras's clip (float64 log-softmax): {-log_p[np.arange(len(y)), y].mean():.4f}")
