# Keras peer of RmsCheck.java: Fashion-MNIST, 512-512-10 relu, RMSprop(1e-4, rho 0.9, momentum 0.9, centered), 5 epochs.
# KERAS_BACKEND=jax python rms_check_keras.py  (the files of Debian's dataset-fashion-mnist package)
import gzip, time, numpy as np, keras
d = "/usr/share/datasets/fashion-mnist/"
def images(f): return np.frombuffer(gzip.open(d + f).read(), np.uint8, offset=16).reshape(-1, 28, 28)
def labels(f): return np.frombuffer(gzip.open(d + f).read(), np.uint8, offset=8)
x, y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
xt, yt = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
keras.utils.set_random_seed(1)
m = keras.Sequential([keras.Input((28, 28)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                      keras.layers.Dense(512, "relu"), keras.layers.Dense(512, "relu"), keras.layers.Dense(10, "softmax")])
m.compile(keras.optimizers.RMSprop(1e-4, rho=0.9, momentum=0.9, epsilon=1e-7, centered=True),
          "sparse_categorical_crossentropy", metrics=["accuracy"])
t0 = time.time()
h = m.fit(x[10000:], y[10000:], batch_size=128, epochs=5, validation_data=(x[:10000], y[:10000]), verbose=0)
print(f"fit {time.time() - t0:.1f} s; val_accuracy per epoch {[round(v, 4) for v in h.history['val_accuracy']]}; "
      f"test accuracy {m.evaluate(xt, yt, verbose=0)[1]:.4f}")
