"""Reads a log folder that Dendrite's TensorBoard callback (or `dendrite train --tensorboard DIR`) wrote, with
TensorBoard's own reader, and prints what TensorBoard will plot: each run's scalar tags with their (step, value)
points and each histogram tag with its steps and counts. Exits non-zero if a run has no scalars.

    /tmp/tv/bin/python bench/tensorboard/read_logs.py DIR

(/tmp/tv: a venv with `pip install tensorboard`.) Optionally compare against a history CSV (`--history FILE`, as
`dendrite train --history` writes it): every epoch's train and val_ value must equal the event's to float32
precision.
"""
import argparse
import csv
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

parser = argparse.ArgumentParser()
parser.add_argument("logdir")
parser.add_argument("--history")
args = parser.parse_args()

runs = {}
for run in ("train", "validation"):
    path = os.path.join(args.logdir, run)
    if not os.path.isdir(path):
        continue
    acc = EventAccumulator(path, size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    if not tags["scalars"]:
        sys.exit(f"{path}: no scalars")
    runs[run] = acc
    print(f"== {run}")
    for tag in tags["scalars"]:
        points = [(e.step, round(e.value, 6)) for e in acc.Scalars(tag)]
        print(f"  {tag}: {points}")
    for tag in tags["histograms"]:
        print(f"  {tag}: " + ", ".join(f"step {e.step}: {int(e.histogram_value.num)} values in "
                                        f"[{e.histogram_value.min:.4g}, {e.histogram_value.max:.4g}]"
                                        for e in acc.Histograms(tag)))

if args.history:
    with open(args.history) as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for key in rows[0]:
        if key in ("epoch", "epoch_time_s"):
            continue
        run, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
        events = {e.step: e.value for e in runs[run].Scalars("epoch_" + name)}
        for step, row in enumerate(rows):  # the CSV's epochs count from 1, TensorBoard's steps from 0
            want, got = float(row[key]), events[step]
            if abs(want - got) > 1e-6 * max(1.0, abs(want)):
                sys.exit(f"{key} epoch {row['epoch']}: history {want}, TensorBoard {got}")
            checked += 1
    print(f"history: {checked} values equal TensorBoard's to float32 precision")
