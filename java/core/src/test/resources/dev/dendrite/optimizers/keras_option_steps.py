"""Prints Keras 3's weights after each of 50 optimizer steps with the options Dendrite implements (schedules, EMA,
gradient accumulation), from fixed weights and gradients: the fixture keras_option_steps.tsv that
KerasOptionStepsTest replays through UpdatePlan.

Re-run from the repository root:
  KERAS_BACKEND=jax /work/main/.venv-peers/bin/python \
      java/core/src/test/resources/dev/dendrite/optimizers/keras_option_steps.py \
      > java/core/src/test/resources/dev/dendrite/optimizers/keras_option_steps.tsv

Each line: case name, step (0-based; "final" after finalize_variable_values, as fit ends), the weights. The
gradients come first, as lines named "grad" (step, values), so that the replay reads the same float32 values.
"""
import keras
import numpy as np
from keras import optimizers

W0 = [0.5, -0.3, 0.8]
STEPS = 50
# The first eight are the hand-picked ones of the first version; the rest are drawn once, rounded to 4 decimals.
GRADS = [[0.2, -0.1, 0.4], [-0.3, 0.25, 0.1], [0.05, 0.3, -0.2], [0.4, -0.35, 0.15],
         [-0.1, 0.2, 0.3], [0.25, 0.05, -0.4], [-0.2, -0.15, 0.1], [0.3, 0.1, 0.2]]
GRADS += np.round(np.random.default_rng(2026).uniform(-0.5, 0.5, (STEPS - len(GRADS), 3)), 4).tolist()
S = optimizers.schedules
CASES = {
    "sgd_momentum_ema": lambda: optimizers.SGD(0.1, momentum=0.9, use_ema=True, ema_momentum=0.7),
    "sgd_ema_overwrite": lambda: optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3),
    "adam_accumulate3": lambda: optimizers.Adam(0.01, gradient_accumulation_steps=3),
    "adam_accumulate2_ema": lambda: optimizers.Adam(0.01, gradient_accumulation_steps=2, use_ema=True,
                                                    ema_momentum=0.5, ema_overwrite_frequency=2),
    "rmsprop_cosine_warmup": lambda: optimizers.RMSprop(S.CosineDecay(0.0, 4, alpha=0.1, warmup_target=0.02,
                                                                      warmup_steps=3)),
    "adam_piecewise_accumulate2": lambda: optimizers.Adam(S.PiecewiseConstantDecay([2, 5], [0.05, 0.02, 0.01]),
                                                          gradient_accumulation_steps=2),
}

print("# Keras %s on %s: case, step, weights" % (keras.__version__, keras.backend.backend()))
for step, g in enumerate(GRADS):
    print("grad\t%d\t%s" % (step, ",".join(repr(float(x)) for x in np.array(g, dtype="float32"))))
for name, make in CASES.items():
    opt = make()
    w = keras.Variable(np.array(W0, dtype="float32"))
    opt.build([w])
    for step, g in enumerate(GRADS):
        opt.apply([np.array(g, dtype="float32")], [w])
        print("%s\t%d\t%s" % (name, step, ",".join(repr(float(x)) for x in np.asarray(w.value))))
    opt.finalize_variable_values([w])
    print("%s\tfinal\t%s" % (name, ",".join(repr(float(x)) for x in np.asarray(w.value))))
