"""Prints, for each Keras model file given (a softmax classifier of Fashion-MNIST, as bench/keras/fashion_keras_model.py
writes), Keras's own test loss and the exact cross-entropy of the same predictions: the last Dense layer's logits from
Keras, then log-softmax in float64. Keras's sparse categorical cross-entropy on probabilities clips each at 1e-7
first; Dendrite's loss (softmax and cross-entropy fused, from the logits) has no clip, so its evaluate repeats the
exact figure, which differs from Keras's where a test image's probability for its class is below 1e-7 (with a
CategoricalCrossentropy's label_smoothing, for any class: every class then has a share of the target).

    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/exact_test_loss.py /tmp/a.keras ...
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fashion_data import load  # noqa: E402

_, _, x, y = load()
x = x.astype(np.float32)
y = y.astype(np.int64)
for path in sys.argv[1:]:
    m = keras.saving.load_model(path)
    features = keras.Model(m.inputs, m.layers[-2].output)
    h = np.asarray(features.predict(x, batch_size=1000, verbose=0), np.float64)
    kernel, bias = [np.asarray(w, np.float64) for w in m.layers[-1].get_weights()]
    z = h @ kernel + bias
    z -= z.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    smoothing = m.loss.get_config().get("label_smoothing", 0.0) if hasattr(m.loss, "get_config") else 0.0
    if smoothing:  # CategoricalCrossentropy on one-hot labels, smoothed as Keras smooths them
        t = np.eye(10)[y] * (1 - smoothing) + smoothing / 10
        ce = -(t * log_p).sum(1)
        keras_loss, keras_accuracy = m.evaluate(x, np.eye(10, dtype=np.float32)[y], batch_size=1000, verbose=0)
    else:
        ce = -log_p[np.arange(len(y)), y]
        keras_loss, keras_accuracy = m.evaluate(x, y, batch_size=1000, verbose=0)
    clipped = (log_p < np.log(1e-7)).any(1) if smoothing else ce > -np.log(1e-7)
    print("%s: Keras loss %.6f accuracy %.4f; exact cross-entropy %.4f; images below p = 1e-7: %d"
          % (os.path.basename(path), keras_loss, keras_accuracy, ce.mean(), int(clipped.sum())))
