"""Writes the fixture that EventFileTest checks Dendrite's TensorBoard event encoding against: events built with
TensorBoard's own protocol-buffer classes and framed by its own RecordWriter (masked CRC32C), as hex.

    /tmp/tv/bin/python bench/tensorboard/events_fixture.py \
        java/core/src/test/resources/dev/dendrite/callbacks/tensorboard-events.json

(/tmp/tv: a venv with `pip install tensorboard`; no TensorFlow needed.) The events: the file-version event, scalars
(a step of 0, which proto3 leaves out, and a value of 0, which it keeps: simple_value is in a oneof; a negative
value; a long step), and histograms of float32
values (with a NaN, which is left out of the counts) in 30 equal-width buckets from min to max, and of one repeated
value (one bucket). The histogram's bucketing is Dendrite's rule, computed here on its own in float64.
"""
import io
import json
import sys

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.proto.histogram_pb2 import HistogramProto
from tensorboard.summary.writer.record_writer import RecordWriter


def framed(event):
    buf = io.BytesIO()
    RecordWriter(buf).write(event.SerializeToString())
    return buf.getvalue().hex()


def histogram(values):
    v = np.asarray(values, dtype=np.float32)
    v = v[np.isfinite(v)].astype(np.float64)
    lo, hi = float(v.min()), float(v.max())
    k = 30 if hi > lo else 1
    width = (hi - lo) / k
    limits = [hi if i == k - 1 else lo + width * (i + 1) for i in range(k)]
    counts = [0.0] * k
    for x in v:
        counts[0 if k == 1 else int(min(k - 1, np.floor((x - lo) / width)))] += 1
    total, squares = 0.0, 0.0
    for x in v:  # in order, as Dendrite sums (numpy's pairwise sum may differ in the last bit)
        total += float(x)
        squares += float(x) * float(x)
    return HistogramProto(min=lo, max=hi, num=float(len(v)), sum=total, sum_squares=squares, bucket_limit=limits,
                          bucket=counts)


cases = [{"kind": "file_version", "wall_time": 1700000000.25,
          "record": framed(event_pb2.Event(wall_time=1700000000.25, file_version="brain.Event:2"))}]
for wall, step, tag, value in [(1700000001.5, 3, "epoch_loss", 0.4375), (1700000002.0, 0, "epoch_accuracy", 0.0),
                               (1700000003.125, 123456789012, "batch_loss", -2.5e-3)]:
    value = float(np.float32(value))
    e = event_pb2.Event(wall_time=wall, step=step,
                        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))
    cases.append({"kind": "scalar", "wall_time": wall, "step": step, "tag": tag, "value": value,
                  "record": framed(e)})
rng = np.random.default_rng(20261207)
for wall, step, tag, values in [
        (1700000004.5, 2, "dense/kernel/histogram", np.append(rng.normal(0, 0.3, 50).astype(np.float32), np.nan)),
        (1700000005.0, 7, "dense/bias/histogram", np.full(4, 0.125, dtype=np.float32))]:
    e = event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, histo=histogram(values))]))
    cases.append({"kind": "histogram", "wall_time": wall, "step": step, "tag": tag,
                  "values": [None if np.isnan(x) else float(x) for x in values], "record": framed(e)})
with open(sys.argv[1], "w") as f:
    json.dump({"cases": cases}, f, indent=1)
    f.write("\n")
