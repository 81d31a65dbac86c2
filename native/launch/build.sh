#!/usr/bin/env bash
# Builds libdendrite_launch.so: the native calls the CUDA backend needs and JCuda 12.6 does not bind (launch.c: the
# driver's cuLaunchKernelEx for programmatic dependent launch, cuGraphGetEdges_v2; cublaslt.c: cuBLASLt's products).
# It opens the driver and cuBLASLt with dlopen, so it needs neither them nor the CUDA toolkit to build; where cuda.h
# exists (CUDA_HOME, /usr/local/cuda), layout_check.c is compiled first and stops the build if driver_types.h
# disagrees with it (cublaslt_api.h is checked against cublasLt.h by bench/gpu/dev/check/blas_abi.sh).
#
#   usage: native/launch/build.sh OUTPUT_SO
#   (Maven runs it on Linux x86-64 when gcc exists; see java/cuda/pom.xml. Needs gcc and a JDK's jni.h:
#   $JAVA_HOME/include.)
set -euo pipefail

output=${1:?usage: build.sh OUTPUT_SO}
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-gcc}
sources=("$here/launch.c" "$here/driver_types.h" "$here/layout_check.c" "$here/cublaslt.c" "$here/cublaslt_api.h" "$0")

fresh=1
if [ -f "$output" ]; then
  for s in "${sources[@]}"; do
    [ "$output" -nt "$s" ] || fresh=0
  done
  if [ "$fresh" = 1 ]; then
    echo "launch/build.sh: $output is up to date"
    exit 0
  fi
fi

jdk=${JAVA_HOME:-}
if [ -z "$jdk" ] || [ ! -f "$jdk/include/jni.h" ]; then
  jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")
fi
if [ ! -f "$jdk/include/jni.h" ]; then
  # Not a build failure: without the library the CUDA backend launches through JCuda and says why PDL is off.
  echo "launch/build.sh: warning: no jni.h under \$JAVA_HOME/include ($jdk); libdendrite_launch.so not built" >&2
  exit 0
fi

for dir in ${CUDA_HOME:+"$CUDA_HOME/include"} /usr/local/cuda/include; do
  if [ -f "$dir/cuda.h" ]; then
    # Edge data came with CUDA 12.3: an older toolkit's header has nothing to compare the library's types with.
    if ! grep -q CU_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC "$dir/cuda.h"; then
      echo "launch/build.sh: $dir/cuda.h is older than CUDA 12.3; driver_types.h not checked against it"
      break
    fi
    "$cc" -std=c11 -fsyntax-only -Wall -Werror -I "$dir" -I "$here" "$here/layout_check.c"
    echo "launch/build.sh: driver_types.h matches $dir/cuda.h"
    break
  fi
done

mkdir -p "$(dirname "$output")"
"$cc" -shared -fPIC -O2 -Wall -Wextra -Werror -std=gnu11 -I "$jdk/include" -I "$jdk/include/linux" -I "$here" \
  -Wl,-soname,libdendrite_launch.so -Wl,-z,noexecstack -Wl,--no-undefined \
  -o "$output.tmp" "$here/launch.c" "$here/cublaslt.c" -ldl -lpthread
mv "$output.tmp" "$output"
echo "launch/build.sh: built $output"
