import os, gzip, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np, keras
D = "/usr/share/datasets/fashion-mnist"
def idx(name, off):
    return np.frombuffer(gzip.open(os.path.join(D, name)).read(), np.uint8, offset=off)
xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
m = keras.saving.load_model(sys.argv[1])
print("keras on the file: test loss %.6f" % m.evaluate(xte, xte, batch_size=500, verbose=0))
h = m.fit(xtr, xtr, epochs=1, batch_size=128, verbose=0, shuffle=True)
print("keras, one more epoch from the loaded file: train loss %.6f, test loss %.6f" % (h.history["loss"][0], m.evaluate(xte, xte, batch_size=500, verbose=0)))
