"""Prints Keras 3's learning-rate schedule values at chosen steps: the fixture keras_schedules.tsv that
ScheduleConformanceTest compares the device-computed rates with (cpu, PoCL; CUDA where present).

Re-run from the repository root:
  KERAS_BACKEND=jax /work/main/.venv-peers/bin/python \
      java/src/test/resources/dev/dendrite/optimizers/keras_schedules.py \
      > java/src/test/resources/dev/dendrite/optimizers/keras_schedules.tsv

Each line: Keras's serialized schedule (keras.optimizers.schedules.serialize, as JSON), a step, Keras's value (float32,
printed with 9 significant digits so that it round-trips).
"""
import json

import keras
import numpy as np
from keras import optimizers

S = optimizers.schedules
SCHEDULES = [
    S.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.5),
    S.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.5, staircase=True),
    S.InverseTimeDecay(0.05, decay_steps=3, decay_rate=0.8),
    S.InverseTimeDecay(0.05, decay_steps=3, decay_rate=0.8, staircase=True),
    S.PiecewiseConstantDecay([10, 25, 40], [1.0, 0.5, 0.25, 0.1]),
    S.PolynomialDecay(0.1, decay_steps=30),
    S.PolynomialDecay(0.1, decay_steps=30, end_learning_rate=0.01, power=2.0, cycle=True),
    S.CosineDecay(0.2, decay_steps=40),
    S.CosineDecay(0.2, decay_steps=40, alpha=0.1),
    S.CosineDecay(0.0, decay_steps=40, alpha=0.05, warmup_target=0.3, warmup_steps=12),
    S.CosineDecayRestarts(0.2, first_decay_steps=10),
    S.CosineDecayRestarts(0.2, first_decay_steps=10, t_mul=1.0, m_mul=0.5, alpha=0.1),
    S.CosineDecayRestarts(0.2, first_decay_steps=6, t_mul=1.5, m_mul=0.8, alpha=0.0),
]
STEPS = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 20, 24, 25, 26, 30, 31, 39, 40, 41, 45, 51, 52, 60, 77, 100, 250, 1000]

print("# Keras %s on %s: serialized schedule, step, value" % (keras.__version__, keras.backend.backend()))
for s in SCHEDULES:
    ser = json.dumps(S.serialize(s), sort_keys=True)
    for step in STEPS:
        v = np.float32(s(step))
        print("%s\t%d\t%s" % (ser, step, np.format_float_positional(v, precision=9, unique=False, trim="-")))
