#!/usr/bin/env bash
# Compiles blas_abi.cu against the real cuBLAS headers: the check that the hand-made declarations of cuBLAS and
# cuBLASLt (common.cuh's, and native/launch/cublaslt_api.h's, which the backend and the emulator use) match the
# libraries (argument counts and sizes, enum values, the heuristic result's layout). Run it after changing them.
# The headers come from an NVIDIA cuBLAS wheel (nvidia-cublas, CUDA 13), given as a file or fetched by pip into a
# temporary folder, or from CUBLAS_INCLUDE:
#
#   bash bench/gpu/dev/check/blas_abi.sh [path/to/nvidia_cublas-13*.whl]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nvcc=$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
include=${CUBLAS_INCLUDE:-}
if [ -z "$include" ]; then
  wheel=${1:-}
  if [ -z "$wheel" ]; then
    python3 -m pip download --quiet --no-deps --retries 0 --dest "$tmp" 'nvidia-cublas>=13,<14' >&2
    wheel=$(ls "$tmp"/nvidia_cublas-*.whl | head -1)
  fi
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$wheel" "$tmp/wheel"
  include=$(dirname "$(find "$tmp/wheel" -name cublasLt.h | head -1)")
fi
"$nvcc" -std=c++17 -arch=sm_90 -I"$include" -c -o "$tmp/blas_abi.o" "$here/blas_abi.cu"
echo "blas_abi: common.cuh's and native/launch/cublaslt_api.h's declarations match the headers in $include"
