#!/usr/bin/env bash
# CPU scaling curves: time per training sample of 784-512-512-10 (Adam) against batch size, and of 784-W-W-10
# (Adam, batch 128) against width, each point a median of EPOCHS epochs after one warm-up, then a chart.
#
#   bash bench/run-cpu-scaling.sh            # writes bench/results/cpu-scaling-*.json and cpu-scaling.svg
#
# Environment: BATCHES, WIDTHS, TRAIN (images per epoch; default 10000 so the widest nets stay in minutes),
# EPOCHS (2), SKIP_BUILD=1 to reuse the last build, MVN_FLAGS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
BATCHES=${BATCHES:-32 64 128 256 512 1024 2048 4096 8192}
WIDTHS=${WIDTHS:-128 256 512 1024 2048 4096 8192}
TRAIN=${TRAIN:-10000}
EPOCHS=${EPOCHS:-2}
RESULTS=bench/results
mkdir -p "$RESULTS"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q ${MVN_FLAGS:-} -DskipTests package
fi
run() {
  java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.EpochBenchmark \
      --backend cpu --train "$TRAIN" --epochs "$EPOCHS" --warmup 1 "$@" 2>/dev/null | grep -v WARNING
}
echo "== batch size (784-512-512-10, Adam, $TRAIN images; load $(cut -d' ' -f1-3 /proc/loadavg))"
for b in $BATCHES; do
  run --network mlp512 --batch "$b" --json "$RESULTS/cpu-scaling-batch-$b.json"
done
echo "== width (784-W-W-10, Adam, batch 128, $TRAIN images; load $(cut -d' ' -f1-3 /proc/loadavg))"
for w in $WIDTHS; do
  run --width "$w" --json "$RESULTS/cpu-scaling-width-$w.json"
done
java -cp bench/target/dendrite-bench.jar dev.dendrite.bench.ScalingChart "$RESULTS" "$RESULTS/cpu-scaling.svg"
