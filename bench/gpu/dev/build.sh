#!/usr/bin/env bash
# Builds every kernel exploration in bench/gpu/dev (one program per .cu file) for the H200 (sm_90), into OUT_DIR
# (default .bundle/dev, which make-bundle.sh fills and run-on-gpu.sh's dev stage runs). cudart is linked
# statically; cuBLAS is opened at run time (common.cuh), since this machine has CUDA's compiler but no cuBLAS.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${OUT_DIR:-$root/.bundle/dev}
nvcc=$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")
mkdir -p "$out"
for src in "$root"/bench/gpu/dev/*.cu; do
  name=$(basename "$src" .cu)
  "$nvcc" -O3 -std=c++17 -arch=sm_90 -lineinfo -o "$out/$name" "$src" -ldl
  echo "dev/build.sh: built $out/$name"
done
