"""Opens in Keras the .keras files Dendrite wrote, and checks that Keras predicts and trains on as Dendrite does.

    cd /work/main && mvn -B -ntp -q test -pl java/core -Dtest=KerasFileWriteTest \
        -Ddendrite.keras.dump=/tmp/keras-dump
    cd /tmp && KERAS_BACKEND=jax /tmp/kv/bin/python /work/main/bench/keras/keras_file_writer_check.py /tmp/keras-dump

For each NAME.keras beside a NAME.json (written by KerasFileWriteTest: x, y, Dendrite's predictions, and Dendrite's
weights after one more epoch of batch 8 without shuffling), this loads the file with keras.saving.load_model (the
architecture, the weights, the compile configuration and Adam's step count and moments), predicts x, trains one
epoch the same way and compares. Tolerances are KerasFileTest's: predictions 2e-6, weights after the epoch
2e-5 + 1e-4 * |w| (float32 sums in another order over 8 steps). Exits 1 on any difference above them.
"""
import glob
import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402



def flat(model):
    """The weights in Dendrite's order: Keras's, without a Normalization's count."""
    return [w.ravel() for layer in model.layers for w in layer.get_weights()
            if not (isinstance(layer, keras.layers.Normalization) and w.shape == ())]


failed = False
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.keras")))
if not files:
    sys.exit("no .keras files in " + sys.argv[1])
for path in files:
    expected = json.load(open(path[: -len(".keras")] + ".json"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(path)
    for w in caught:
        print("  warning:", w.message)
    x = np.array(expected["x"], dtype=np.float32).reshape([len(expected["y"])] + expected["sample_shape"])
    y = np.array(expected["y"], dtype=np.int32)
    predictions = model.predict(x, batch_size=len(x), verbose=0).ravel()
    p_diff = float(np.max(np.abs(predictions - np.array(expected["predictions"], dtype=np.float32))))
    print(f"{os.path.basename(path)}: Keras {keras.__version__} loaded {model.name}: "
          f"{len(model.layers)} layers, optimizer {type(model.optimizer).__name__} "
          f"at step {int(model.optimizer.iterations.numpy())}; predictions differ by at most {p_diff:.3g}")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    if expected["weights_after_one_more_epoch"] is None:  # random layers: Keras's draws are not Dendrite's
        print("  one more epoch in Keras ran (random layers: weights not compared)")
        failed |= p_diff > 2e-6
        continue
    ours = [np.array(w, dtype=np.float32).ravel() for w in expected["weights_after_one_more_epoch"]]
    theirs = flat(model)
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    w_excess = max(float(np.max(np.abs(a - b) - (2e-5 + 1e-4 * np.abs(a)))) for a, b in zip(ours, theirs))
    w_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))
    # control: the same file with the optimizer started afresh must end elsewhere, or the check proves nothing
    control = keras.saving.load_model(path)
    control.compile(optimizer=type(control.optimizer).from_config(control.optimizer.get_config()),
                    loss=control.loss)
    control.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    c_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(flat(control), theirs))
    print(f"  after one more epoch in Keras, weights differ from Dendrite's by at most {w_diff:.3g} "
          f"(with the optimizer started afresh instead: {c_diff:.3g})")
    failed |= c_diff < 1e-5 and len(model.optimizer.variables) > 2  # a rule with state beside step and rate
    if p_diff > 2e-6 or w_excess > 0:
        print("  FAILED")
        failed = True
sys.exit(1 if failed else 0)
