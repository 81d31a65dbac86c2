#!/usr/bin/env bash
# On the GPU machine, from the repository root with .bundle/ carried along (see make-bundle.sh and README.md):
# unpacks the Java runtime, runs the CUDA tests (conformance suite first), then the end-to-end benchmark.
# Writes reports and JSON results under $OUT (the device tool's output folder) or .bundle/out.
#
#   bash bench/gpu/run-on-gpu.sh [NETWORK...]     default networks: mlp512 bn256 mlp1024 wide4096
#   EPOCHS=3 WARMUP=1 SKIP_TESTS=1 SKIP_BENCH=1 TF32=1 change what runs.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
b=.bundle
out=${OUT:-$b/out}
mkdir -p "$out"

if [ ! -x "$b/jre/bin/java" ]; then
  tar -C "$b" -xJf "$b/jre.tar.xz" || { echo "run-on-gpu: cannot unpack $b/jre.tar.xz" >&2; exit 1; }
fi
java=$b/jre/bin/java
"$java" -version 2>&1 | head -1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true

cp_lib="$b/lib/dendrite.jar"
for j in "$b"/lib/deps/*.jar; do cp_lib="$cp_lib:$j"; done
export DENDRITE_DATA="$root/$b/data/fashion-mnist"
jvm_flags=(-Xmx8g)
if [ "${TF32:-0}" = 1 ]; then jvm_flags+=(-Ddendrite.cuda.tf32=true); fi

status=0
if [ "${SKIP_TESTS:-0}" != 1 ]; then
  echo "== CUDA tests"
  "$java" "${jvm_flags[@]}" -jar "$b/lib/junit-platform-console-standalone.jar" execute \
    --class-path "$cp_lib:$b/lib/dendrite-tests.jar" \
    --select-class dev.dendrite.backend.cuda.CudaBackendConformanceTest \
    --select-class dev.dendrite.backend.cuda.CudaAvailabilityTest \
    --select-class dev.dendrite.backend.cuda.CudaKernelNamesTest \
    --select-class dev.dendrite.backend.cuda.CublasForwardingLibraryTest \
    --reports-dir "$out/junit" --details tree --disable-banner 2>&1 | tee "$out/cuda-tests.txt"
  test_status=${PIPESTATUS[0]}
  [ "$test_status" -eq 0 ] || status=$test_status
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
  networks=("$@")
  [ ${#networks[@]} -gt 0 ] || networks=(mlp512 bn256 mlp1024 wide4096)
  for net in "${networks[@]}"; do
    echo "== EpochBenchmark $net on cuda"
    "$java" "${jvm_flags[@]}" -cp "$cp_lib:$b/lib/dendrite-bench.jar" dev.dendrite.bench.EpochBenchmark \
      --network "$net" --backend cuda --epochs "${EPOCHS:-3}" --warmup "${WARMUP:-1}" \
      --data "$DENDRITE_DATA" --json "$out/cuda-$net.json" 2>&1 | tee "$out/cuda-$net.txt"
    bench_status=${PIPESTATUS[0]}
    [ "$bench_status" -eq 0 ] || status=$bench_status
  done
fi
exit "$status"
