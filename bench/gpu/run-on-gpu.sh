#!/usr/bin/env bash
# On the GPU machine, from the repository root with .bundle/ carried along (see make-bundle.sh and README.md): the
# one command of a GPU session. Stages, in this order, each one optional:
#
#   cuda-tests     JUnit: the whole package dev.dendrite.backend.cuda, plus dev.dendrite.**.Cuda*Test elsewhere
#                  when the tests jar has them
#   opencl-tests   JUnit: dev.dendrite.backend.opencl plus OpenCl*Test elsewhere, on NVIDIA's OpenCL platform
#   cuda-bench     EpochBenchmark --backend cuda for $NETWORKS, and in TF32 for $TF32_NETWORKS, then the $EXTRA_RUNS
#                  A/Bs unless a cuda-ab stage is to come; then --profile for $PROFILE_NETWORKS (mlp512): device
#                  time per op from CUDA events, and cuda-profile.svg
#   cuda-ab        the $EXTRA_RUNS A/Bs as a stage of their own (PLAN=1 runs them after the PyTorch peer, so that a
#                  short call still has the headline ratios)
#   opencl-bench   EpochBenchmark --backend opencl for $OPENCL_NETWORKS (on the NVIDIA GPU)
#   gemm           GemmThroughput: ${GEMM_SIZE}^3 on cuda (cuBLAS), cuda-tf32 and opencl in one JVM
#   ops            JMH OpBenchmarks (every kernel family, the course's GEMM shapes) on $OPS_BACKENDS (cuda opencl)
#   scaling        EpochBenchmark time per sample against batch size and width on $SCALING_BACKENDS (cuda), and
#                  ScalingChart's gpu-scaling.svg
#   pytorch        bench/pytorch/peer.py, eager and graph, for $NETWORKS, and with --tf32 for $TF32_NETWORKS
#   step           where a replayed step's time goes for $STEP_NETWORKS (mlp512 bn256): graphs off, the GEMM
#                  choice per shape, and each kernel's duration under ncu (NCU_SKIP, NCU_COUNT, NCU_TIMEOUT)
#   dev            the kernel explorations of bench/gpu/dev (llm.c's dev/cuda manner: numbered versions of one
#                  kernel family, each checked against a float64 reference and timed in a graph beside cuBLAS),
#                  each program with its default shapes
#   trace          the same question with the kernels running as they normally do: bench/gpu/trace/kernel_trace.c
#                  (CUPTI activity records) under a short epoch of Dendrite and of PyTorch's one-graph step for
#                  $TRACE_NETWORKS (mlp512 bn256; TRACE_TRAIN=12800 images), then trace-report.md: each graph
#                  node's start, duration and the wait before it, the device's idle time in and between steps
#   compare        bench/pytorch/compare.py over $OUT (and $COMPARE_DIRS) into $OUT/comparison.md
#
# Every stage's output is tee'd into $OUT (the device tool's output folder; .bundle/out without one), together with
# summary.txt (one line per stage: ok / FAILED, seconds) and run-info.json (machine, date, command). A failing or
# timed-out stage does not stop the later ones; the exit status is 1 if any stage failed.
#
#   bash bench/gpu/run-on-gpu.sh [NETWORK...]        NETWORK... replaces $NETWORKS
#
# Knobs (environment):
#   ONLY="cuda-tests opencl-tests"   run only these stages, in this order (names above); SKIP_<STAGE>=1 skips one, e.g.
#                                    SKIP_CUDA_TESTS=1, SKIP_PYTORCH=1; SKIP_TESTS=1 / SKIP_BENCH=1 skip both test
#                                    stages / both Dendrite benchmark stages
#   NETWORKS="mlp512 bn256 mlp1024 wide4096"   OPENCL_NETWORKS="mlp512"   TF32_NETWORKS="wide4096" (TF32=1: all)
#   EPOCHS=3 WARMUP=1 TRAIN=60000    the epoch protocol, shared by EpochBenchmark and the PyTorch peer
#   PYTORCH_VARIANTS="eager graph"   PYTHON=python3   GEMM_SIZE=4096   GEMM_BACKENDS="cuda cuda-tf32 opencl"
#   PYTORCH_SPG=8 PYTORCH_SPG_NETWORKS="mlp512"   the pytorch stage also runs the graph variant with 8 steps per
#                                    graph for those networks (peer.py --steps-per-graph; the peer of an spe8 run)
#   TEST_TIMEOUT=420 BENCH_TIMEOUT=240 GEMM_TIMEOUT=240 PYTORCH_TIMEOUT=240   seconds per command (not per stage)
#   OPENCL_VENDOR_LIB=libnvidia-opencl.so.1 DENDRITE_OPENCL_DEVICE=NVIDIA   the OpenCL driver the stages register
#                                    and the device they must use (libpocl.so.2 and pthread test this on a CPU)
#   PLAN=1 | PLAN=2                  the two calls of a 15-minute session (README.md section 3): presets for ONLY,
#                                    NETWORKS, the timeouts and BUDGET, each overridable
#   BUDGET=330                       seconds for the whole run: every command is clipped to what is left, and one
#                                    with under 10 s left is skipped (noted in summary.txt), so the call ends on time
#   PROFILE_NETWORKS="mlp512"        networks cuda-bench also profiles op by op (empty: none)
#   EXTRA_RUNS="NAME:FLAG[,FLAG..] .." cuda-bench runs every network again per entry, with those JVM flags, into
#                                    cuda-NET-NAME (e.g. "nobranch:-Ddendrite.cuda.branches=false")
#   OPENCL_EXTRA_RUNS="NAME:FLAG.." the same for opencl-bench's networks, into opencl-NET-NAME
#   CUDA_SYNC=1                      -Ddendrite.cuda.sync=true: an asynchronous fault names the op that caused it
#   RETRY_SWITCHES="NAME:FLAG[,FLAG..] .."  when cuda-tests fails, its failing classes run again with -Ddendrite.cuda.sync,
#                                    then with all these paths off, then with each off alone until one passes (the
#                                    default: every path added since the last green device run); RETRY_TIMEOUT=60
#                                    seconds a rerun, RETRY_BUDGET=120 seconds for the single-path reruns together
#   OPENCL_RETRY_SWITCHES="NAME:FLAG[,FLAG..] .."  the same when opencl-tests fails (without the sync rerun); a path
#                                    it names is also off for opencl-bench
#   COMPARE_DIRS="dir ..."           more result folders for the compare stage (e.g. an earlier call's results)
#   DEV_PROGRAMS="gemm_lt_epilogue ..." DEV_BUDGET=120 DEV_TIMEOUT=60   the dev stage's programs to run first, in
#                                    order (the others follow), its seconds in all, and each program's at most
#   OPS_BACKENDS="cuda opencl" OPS_TIMEOUT=420
#   PACK=1                           at the end, everything in $OUT but summary.txt, comparison.md, trace-report.md
#                                    and run-info.json goes into results.tgz (the default when OUT is set: the
#                                    device tool returns at most 8 files); PACK=0 leaves the files as they are
#   SCALING_BACKENDS="cuda" SCALING_TRAIN=20000 SCALING_BATCHES="32 ... 8192" SCALING_WIDTHS="128 ... 8192"
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
b=.bundle
out=${OUT:-$b/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary=$out/summary.txt
# The switches of a path the OpenCL suite failed on (retry_tests), for opencl-bench (the stages are subshells).
opencl_flags_file=$out/.opencl-retry-flags
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

all_stages="cuda-tests opencl-tests cuda-bench cuda-ab opencl-bench gemm ops scaling step trace dev pytorch compare"

# The 15-minute session (README.md section 3): two calls of about six minutes, the issue's priorities first.
# A preset only fills knobs that are not already set, so any of them can still be overridden.
case "${PLAN:-}" in
  '') ;;
  1) # correct, then the three course networks against PyTorch: 174 s on 2026-12-04 (bench/gpu/README.md), the
     # course MLP with dropout (drop512), and an A/B of each path added since the last device call (about 3 s a run);
     # last, as the budget allows, mlp512's trace on both sides, in case the second call does not come
    : "${ONLY:=cuda-tests cuda-bench pytorch compare cuda-ab compare trace}"
    : "${NETWORKS:=mlp512 bn256 mlp1024 drop512}"
    : "${TF32_NETWORKS=}" "${TRACE_NETWORKS:=mlp512}" "${PYTORCH_SPG=8}" "${PYTORCH_SPG_NETWORKS=mlp512}"
    : "${EXTRA_RUNS=nopdl:-Ddendrite.cuda.pdl=false noprefetch:-Ddendrite.prefetchBatches=false nolt:-Ddendrite.cuda.lt=false val@mlp512:-Dbench.validation=10000 valissued@mlp512:-Dbench.validation=10000,-Ddendrite.recordEvaluation=false apart:-Ddendrite.fuseLayers=false keepdropout:-Ddendrite.fuseDropout=false nohandoff:-Ddendrite.fuseInputGradient=false,-Ddendrite.fuseActivationBackward=false,-Ddendrite.fuseDenseBatchNorm=false whole:-Ddendrite.updates.byLayer=false nocounters:-Ddendrite.fuseCounters=false nofuse:-Ddendrite.cuda.fuse=false noepilogue@mlp512:-Ddendrite.cuda.ltEpilogue=false norows@mlp512:-Ddendrite.cuda.rows=false nocarry@mlp512:-Ddendrite.updates.carry=false spe8:-Dbench.stepsPerExecution=8}"
    : "${PROFILE_NETWORKS=}" "${TEST_TIMEOUT:=170}" "${BENCH_TIMEOUT:=75}" "${PYTORCH_TIMEOUT:=60}" "${BUDGET:=330}" ;;
  2) # wide4096 in FP32 and TF32 against PyTorch (FP32 also without the 3xTF32 candidate, once more printing each
     # product's candidates and times (choice), and without by-layer updates: its Adam moves 1 GB a step, 89% of it
     # now beside the backward products; TF32 also without cuBLASLt's TF32 algorithms, nolt-tf32), the kernel explorations (dev, DEV_BUDGET 120 s: whether cuBLASLt's
     # epilogues and FP32 on the tensor cores pay), NVIDIA OpenCL, then where mlp512's, bn256's and wide4096's
     # steps go on both sides (trace), ncu last
    : "${ONLY:=cuda-bench pytorch compare dev opencl-tests opencl-bench trace gemm step}" "${NETWORKS:=wide4096}"
    : "${EXTRA_RUNS=no3x:-Ddendrite.cuda.3xtf32=false choice:-Ddendrite.gemm.verbose=true whole:-Ddendrite.updates.byLayer=false whole-tf32:-Ddendrite.updates.byLayer=false,-Ddendrite.cuda.tf32=true nolt-tf32:-Ddendrite.cuda.lt=false,-Ddendrite.cuda.tf32=true}"
    : "${OPENCL_EXTRA_RUNS=nodenseend@mlp512:-Ddendrite.opencl.denseEpilogue=false}"
    : "${STEP_NETWORKS:=mlp512 bn256}" "${TRACE_NETWORKS:=mlp512 bn256 wide4096}"
    : "${TF32_NETWORKS=wide4096}" "${PROFILE_NETWORKS=mlp512}" "${BENCH_TIMEOUT:=75}"
    : "${PYTORCH_TIMEOUT:=60}" "${TEST_TIMEOUT:=120}" "${BUDGET:=330}" ;;
  *) echo "run-on-gpu: unknown PLAN '$PLAN'; expected 1 or 2" >&2; exit 2 ;;
esac
# The paths that no device has run yet (added since session 15's green call 3, commit 611b79d): what
# retry_tests switches off when the CUDA suite fails. PDL first (CudaPdlTest skips its GPU tests without it, so
# a failure there names PDL; bench/gpu/README.md), then the others, most recent first.
: "${RETRY_SWITCHES=pdl:-Ddendrite.cuda.pdl=false epilogue:-Ddendrite.cuda.ltEpilogue=false rows:-Ddendrite.cuda.rows=false carry:-Ddendrite.updates.carry=false prefetch:-Ddendrite.prefetchBatches=false lt:-Ddendrite.cuda.lt=false receval:-Ddendrite.recordEvaluation=false 3xtf32:-Ddendrite.cuda.3xtf32=false counters:-Ddendrite.fuseCounters=false handoff:-Ddendrite.fuseInputGradient=false,-Ddendrite.fuseActivationBackward=false,-Ddendrite.fuseDenseBatchNorm=false pairs:-Ddendrite.fuseLayers=false bylayer:-Ddendrite.updates.byLayer=false vectoradam:-Ddendrite.cuda.vectorAdam=false fuse:-Ddendrite.cuda.fuse=false}"
# The same for the OpenCL suite (added since session 15's green OpenCL call 2, commit 8799dff), most recent first:
# the dense layers ending in their product, the last work-group's folds, one update op on a GPU (byLayer=true
# restores session 15's updates), the carried update, the tuner's choices (rule: no rows kernel, nothing timed),
# the counters in the last update, the hand-offs and pairs between layers, the folds fused into the next kernel.
: "${OPENCL_RETRY_SWITCHES=denseend:-Ddendrite.opencl.denseEpilogue=false lastgroup:-Ddendrite.opencl.lastGroup=false bylayer:-Ddendrite.updates.byLayer=true carry:-Ddendrite.updates.carry=false rule:-Ddendrite.opencl.gemm=rule counters:-Ddendrite.fuseCounters=false handoff:-Ddendrite.fuseInputGradient=false,-Ddendrite.fuseActivationBackward=false,-Ddendrite.fuseDenseBatchNorm=false pairs:-Ddendrite.fuseLayers=false fuse:-Ddendrite.opencl.fuse=false}"
networks=("$@")
# Lists are space-separated; commas are taken as spaces too.
list=${NETWORKS:-mlp512 bn256 mlp1024 wide4096}
[ ${#networks[@]} -gt 0 ] || read -r -a networks <<< "${list//,/ }"
list=${OPENCL_NETWORKS-mlp512}
read -r -a opencl_networks <<< "${list//,/ }"
if [ "${TF32:-0}" = 1 ]; then
  tf32_networks=("${networks[@]}")
else
  list=${TF32_NETWORKS-wide4096}
  read -r -a tf32_networks <<< "${list//,/ }"
fi
list=${PYTORCH_VARIANTS:-eager graph}
read -r -a pytorch_variants <<< "${list//,/ }"
list=${GEMM_BACKENDS:-cuda cuda-tf32 opencl}
read -r -a gemm_backends <<< "${list//,/ }"
epochs=${EPOCHS:-3}
warmup=${WARMUP:-1}
train=${TRAIN:-60000}
python=${PYTHON:-python3}

wanted() { # stage name -> whether to run it
  local stage=$1 var
  if [ -n "${ONLY:-}" ]; then
    case " $ONLY " in *" $stage "*) ;; *) return 1 ;; esac
  fi
  var=SKIP_$(echo "$stage" | tr 'a-z-' 'A-Z_')
  [ "${!var:-0}" = 1 ] && return 1
  case "$stage" in
    *-tests) [ "${SKIP_TESTS:-0}" = 1 ] && return 1 ;;
    *-bench) [ "${SKIP_BENCH:-0}" = 1 ] && return 1 ;;
  esac
  return 0
}
for s in ${ONLY:-}; do
  case " $all_stages " in *" $s "*) ;; *)
    echo "run-on-gpu: unknown stage '$s' in ONLY; expected some of: $all_stages" >&2; exit 2 ;;
  esac
done

failed=()
skipped=()
with_timeout() { # SECONDS COMMAND...: exit status 124 when it ran out of time
  local secs=$1
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 20 -s "${TIMEOUT_SIGNAL:-TERM}" "$secs" "$@"
  else
    "$@"
  fi
}
# run_step NAME LOG SECONDS COMMAND...: runs one command under a time limit, output tee'd to LOG, result to summary.
# With BUDGET set, no command runs past BUDGET seconds from the script's start (a 20 s reserve is kept for the
# compare stage), and a command with under 10 s left is skipped and noted: the device call then ends on time with
# every finished result in $OUT instead of being killed in the middle of a stage.
run_step() {
  local name=$1 log=$2 secs=$3 start rc left
  shift 3
  if [ -n "${BUDGET:-}" ]; then
    left=$((BUDGET - SECONDS))
    [ "$name" = compare ] || left=$((left - 20))
    if [ "$left" -lt 10 ]; then
      echo "$name: SKIPPED, the budget of ${BUDGET}s is spent" | tee -a "$summary"
      skipped+=("$name")
      last_rc=skipped
      return 0
    fi
    [ "$secs" -gt "$left" ] && secs=$left
  fi
  start=$SECONDS
  echo "== $name ($(date -u +%H:%M:%S) UTC, limit ${secs}s)"
  with_timeout "$secs" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  last_rc=$rc
  if [ "$rc" -eq 0 ]; then
    echo "$name: ok ($((SECONDS - start)) s)" >> "$summary"
  else
    [ "$rc" -eq 124 ] && echo "run-on-gpu: $name timed out after ${secs}s" | tee -a "$log"
    echo "$name: FAILED, exit status $rc$([ "$rc" -eq 124 ] && echo ", timed out") ($((SECONDS - start)) s)" >> "$summary"
    failed+=("$name")
  fi
  return 0
}
note() { echo "$*" | tee -a "$summary"; }

json_escape() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '%s' "$s"; }

# ------------------------------------------------------------------------------------------------ the machine
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || true
# The knobs that were set, written so that the command line can be pasted back.
knobs=
for name in $(env | grep -oE '^(PLAN|BUDGET|ONLY|SKIP_[A-Z_]+|NETWORKS|DEV_PROGRAMS|DEV_BUDGET|PROFILE_NETWORKS|EXTRA_RUNS|OPENCL_EXTRA_RUNS|[A-Z]+_TIMEOUT|OPENCL_NETWORKS|TF32_NETWORKS|TF32|EPOCHS|WARMUP|TRAIN|PYTORCH_VARIANTS|PYTORCH_SPG|PYTORCH_SPG_NETWORKS|GEMM_SIZE|GEMM_BACKENDS|CUDA_SYNC|RETRY_SWITCHES|OPENCL_RETRY_SWITCHES|STEP_NETWORKS|SMOKE_TIMEOUT|TRACE_NETWORKS|TRACE_NOPDL_NETWORKS|TRACE_TRAIN|NCU_[A-Z]+|PACK)=' \
    | tr -d = | sort); do
  value=${!name}
  case "$value" in *[[:space:]]*|'') knobs+="$name=\"$value\" " ;; *) knobs+="$name=$value " ;; esac
done
command="${knobs}bash bench/gpu/run-on-gpu.sh${*:+ $*}"
# The commit the bundle was built from (make-bundle.sh writes it): the device's copy of the tree may carry an older
# .git than its files (2026-12-04: every call reported the session's first commit).
commit=$(cat "$b/commit" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  printf '{\n  "date": "%s",\n  "host": "%s",\n  "gpu": "%s",\n  "driver": "%s",\n' "$started" \
    "$(json_escape "$(hostname 2>/dev/null || echo unknown)")" "$(json_escape "${gpu:-}")" \
    "$(json_escape "${driver:-}")"
  printf '  "cpus": %s,\n  "commit": "%s",\n  "command": "%s"\n}\n' "$(nproc 2>/dev/null || echo 0)" "$commit" \
    "$(json_escape "$command")"
} > "$out/run-info.json"
echo "run-on-gpu: $command (commit $commit), results in $out" | tee "$summary"

# ------------------------------------------------------------------------------------------------ Java
# The runtime and the jars travel packed (make-bundle.sh) and are unpacked into a temporary folder, not into .bundle:
# a rehearsal on a CPU machine then leaves nothing there (52 MB of runtime, 29 MB of stored jars) for the next device
# call to carry.
unpacked=$(mktemp -d "${TMPDIR:-/tmp}/dendrite-bundle.XXXXXX")
unpack() { # ARCHIVE: into $unpacked; tar needs the xz program for -J, Python's lzma module does the same without it
  tar -C "$unpacked" -xJf "$1" 2>/dev/null \
    || "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$1" "$unpacked" \
    || { echo "run-on-gpu: cannot unpack $1 (neither tar -J nor $python's tarfile)" >&2; return 1; }
}
java=$unpacked/jre/bin/java
need_java() {
  [ -x "$java" ] && return 0
  if [ ! -f "$b/jre.tar.xz" ]; then
    echo "run-on-gpu: no $b/jre.tar.xz: build .bundle with bench/gpu/make-bundle.sh and carry it" >&2; return 1
  fi
  unpack "$b/jre.tar.xz" || return 1
  [ -x "$java" ] || { echo "run-on-gpu: $b/jre.tar.xz held no jre/bin/java" >&2; return 1; }
  "$java" -version 2>&1 | head -1
}

# The jars: lib.tar.xz (a bundle of an older make-bundle.sh has lib/ itself). Not fatal when missing: the PyTorch
# and compare stages need no jar.
lib_dir=$root/$b/lib
if [ -f "$b/lib.tar.xz" ]; then
  lib_dir=$unpacked/lib
  unpack "$b/lib.tar.xz"
fi
[ -f "$lib_dir/dendrite.jar" ] \
  || echo "run-on-gpu: no $lib_dir/dendrite.jar: the Java stages will fail (build .bundle with make-bundle.sh)" >&2
cp_lib="$lib_dir/dendrite.jar:$lib_dir/dendrite-cuda.jar:$lib_dir/dendrite-opencl.jar:$lib_dir/dendrite-cli.jar"
for j in "$lib_dir"/deps/*.jar; do cp_lib="$cp_lib:$j"; done
tests_jar=$lib_dir/dendrite-tests.jar
bench_cp="$cp_lib:$lib_dir/dendrite-bench.jar"
if [ -d "$b/data/fashion-mnist" ]; then
  export DENDRITE_DATA="$root/$b/data/fashion-mnist"
  if ls "$b"/data/fashion-mnist/*.xz >/dev/null 2>&1; then
    # make-bundle.sh stores the training images as xz; both loaders read .gz (or raw) files.
    DENDRITE_DATA=$(mktemp -d)
    cp "$b"/data/fashion-mnist/*.gz "$DENDRITE_DATA"/
    for f in "$b"/data/fashion-mnist/*.xz; do
      if command -v xz >/dev/null 2>&1; then
        xz -dc "$f" | gzip -1 > "$DENDRITE_DATA/$(basename "$f" .xz).gz"
      else
        "${PYTHON:-python3}" -c 'import gzip, lzma, shutil, sys
with lzma.open(sys.argv[1]) as i, gzip.open(sys.argv[2], "wb", 1) as o: shutil.copyfileobj(i, o)' \
          "$f" "$DENDRITE_DATA/$(basename "$f" .xz).gz"
      fi
    done
  fi
elif [ -d /usr/share/datasets/fashion-mnist ]; then
  export DENDRITE_DATA=/usr/share/datasets/fashion-mnist
fi
# A JVM that crashes writes its report (the Java stack of the crashing thread: the test or op) where it comes back.
jvm_flags=(-Xmx8g "-XX:ErrorFile=$out/hs_err_%p.log")
[ "${CUDA_SYNC:-0}" = 1 ] && jvm_flags+=(-Ddendrite.cuda.sync=true)

# Test classes in the tests jar whose path matches a regular expression, as class names. The jlink'd JRE has no
# jar tool, so Python's zipfile reads the listing (unzip where there is no Python).
classes_matching() {
  local regex=$1
  if command -v "$python" >/dev/null 2>&1; then
    "$python" - "$tests_jar" "$regex" <<'EOF'
import re, sys, zipfile
pattern = re.compile(sys.argv[2])
for name in zipfile.ZipFile(sys.argv[1]).namelist():
    if pattern.fullmatch(name):
        print(name[:-len(".class")].replace("/", "."))
EOF
  elif command -v unzip >/dev/null 2>&1; then
    unzip -Z1 "$tests_jar" | grep -E "^($regex)\$" | sed -e 's/\.class$//' -e 's|/|.|g'
  else
    echo "run-on-gpu: neither $python nor unzip to list $tests_jar; only the package is selected" >&2
  fi
}

run_junit() { # NAME REPORT_DIR PACKAGE EXTRA_CLASS_REGEX
  # The tests are on the JVM's own class path, not only the launcher's: a test that starts a child JVM with
  # java.class.path (OpenClProgramBuildTest) needs to find its classes there.
  local name=$1 reports=$2 package=$3 regex=$4 selectors=() c
  if "$java" --list-modules 2>/dev/null | grep -q '^jdk\.zipfs'; then
    selectors=(--select-package "$package")
  else
    # Without jdk.zipfs JUnit cannot walk a jar (an older bundle): name the package's test classes instead.
    note "run-on-gpu: this JRE lacks jdk.zipfs; selecting the classes of $package one by one"
    for c in $(classes_matching "${package//.//}/[A-Za-z0-9_]*Tests?\.class"); do
      selectors+=(--select-class "$c")
    done
  fi
  for c in $(classes_matching "$regex"); do
    case "$c" in "$package".*) ;; *) selectors+=(--select-class "$c") ;; esac # the package has its own
  done
  echo "$name selects: ${selectors[*]}" | tee -a "$summary"
  junit_run "$name" "$reports" "${TEST_TIMEOUT:-420}" "${selectors[@]}"
}

junit_run() { # NAME REPORT_DIR SECONDS SELECTOR...: JVM flags beyond $jvm_flags from the caller's extra_jvm, if any
  local name=$1 reports=$2 secs=$3
  shift 3
  run_step "$name" "$out/$name.txt" "$secs" \
    "$java" "${jvm_flags[@]}" ${extra_jvm[@]+"${extra_jvm[@]}"} \
    -cp "$cp_lib:$tests_jar:$lib_dir/junit-platform-console-standalone.jar" \
    org.junit.platform.console.ConsoleLauncher execute --class-path "$cp_lib:$tests_jar" "$@" \
    --reports-dir "$reports" --details tree --disable-banner --fail-if-no-tests
}

# The test classes with a failure or an error in the JUnit XML reports under $1, one per line.
failed_classes() {
  "$python" bench/gpu/junit_failures.py "$1"
}

# When the CUDA or OpenCL suite fails (KIND: cuda or opencl), its failing classes run again in the same call: on CUDA
# first with every op waited for (an asynchronous fault then names its op), then with every path that no device has
# run yet switched off ($RETRY_SWITCHES, or $OPENCL_RETRY_SWITCHES: NAME:FLAG[,FLAG..] each), and where that passes,
# with each of those paths off alone, in order, until one passes: that path is the likely cause, and the rest of the
# call runs without it (noted in summary.txt; OpenCL's flags also go to $opencl_flags_file for opencl-bench), so that
# its benchmarks time code that passed its tests. The reruns' own results do not change the exit status.
retry_tests() {
  local kind=$1 classes=() selectors=() c run flags all=() extra_jvm kept=(${failed[@]+"${failed[@]}"}) switches
  local rerun_evidence= rerun_skipped_all=
  [ "$kind" = cuda ] && switches=${RETRY_SWITCHES:-} || switches=${OPENCL_RETRY_SWITCHES:-}
  read -r -a classes <<< "$(failed_classes "$out/junit-$kind" 2>/dev/null | tr '\n' ' ')"
  if [ ${#classes[@]} -eq 0 ]; then
    note "$kind-tests: no failing class in $out/junit-$kind (a crash or a timeout?); nothing rerun"
    return
  fi
  for c in "${classes[@]}"; do selectors+=(--select-class "$c"); done
  note "$kind-tests: failing classes ${classes[*]}; rerunning them"
  if [ "$kind" = cuda ] && [ "${CUDA_SYNC:-0}" != 1 ]; then
    extra_jvm=(-Ddendrite.cuda.sync=true)
    junit_run cuda-tests-sync "$out/junit-cuda-sync" "${RETRY_TIMEOUT:-60}" "${selectors[@]}"
  fi
  for run in $switches; do
    IFS=, read -r -a flags <<< "${run#*:}"
    all+=(${flags[@]+"${flags[@]}"})
  done
  if [ ${#all[@]} -gt 0 ]; then
    extra_jvm=("${all[@]}")
    junit_run "$kind-tests-without-new" "$out/junit-$kind-without-new" "${RETRY_TIMEOUT:-60}" "${selectors[@]}"
    if rerun_passed "$out/junit-$kind-without-new" "every new path off"; then
      [ -z "$rerun_evidence" ] || note "$kind-tests: $rerun_evidence"
      local named= started=$SECONDS
      for run in $switches; do
        # The benchmarks after this stage matter too: the single-path reruns stop after RETRY_BUDGET seconds.
        if [ $((SECONDS - started)) -ge "${RETRY_BUDGET:-120}" ]; then
          note "$kind-tests: the single-path reruns stopped at ${run%%:*} (RETRY_BUDGET=${RETRY_BUDGET:-120}s)"
          break
        fi
        IFS=, read -r -a flags <<< "${run#*:}"
        extra_jvm=(${flags[@]+"${flags[@]}"})
        junit_run "$kind-tests-without-${run%%:*}" "$out/junit-$kind-without-${run%%:*}" "${RETRY_TIMEOUT:-60}" \
          "${selectors[@]}"
        if rerun_passed "$out/junit-$kind-without-${run%%:*}" "${run%%:*} off"; then
          jvm_flags+=(${flags[@]+"${flags[@]}"})
          [ "$kind" = cuda ] || echo "${flags[*]}" > "$opencl_flags_file"
          if [ -n "$rerun_skipped_all" ]; then
            note "$kind-tests: the failing classes pass with ${run%%:*} off (${flags[*]}) by skipping what failed;" \
              "the rest of this call runs with it off, the safe course"
          else
            note "$kind-tests: the failing classes pass with ${run%%:*} off (${flags[*]}): the likely cause;" \
              "the rest of this call runs with it off"
          fi
          [ -z "$rerun_evidence" ] || note "$kind-tests: $rerun_evidence"
          named=1
          break
        fi
      done
      [ -n "$named" ] || note "$kind-tests: the failing classes pass with every new path off but with no single one" \
        "off: two paths together, or a flaky test; the rest of this call runs with the defaults"
    elif [ "$last_rc" != skipped ]; then
      note "$kind-tests: the failing classes fail with every new path off too (${all[*]}): not one of those paths"
    fi
  fi
  failed=(${kept[@]+"${kept[@]}"})
}

# Whether the rerun just made passed: its status 0. Its reports ($1, with $2 the paths it switched off) are compared
# with the failing run's: a test of a path skips where that path's switch is set (CudaPdlTest's with PDL off, a count
# of the default step's nodes with any of CudaTestSupport.STEP_SWITCHES), so where every test that failed skipped
# instead of passing, the rerun shows that they concern those paths, not that one is at fault. Switching it off for
# the rest of the call is still the safe course; $rerun_evidence says so for the notes (empty where all ran), and
# $rerun_skipped_all is 1 where every failing test skipped.
rerun_passed() {
  rerun_evidence=
  rerun_skipped_all=
  [ "$last_rc" = 0 ] || return 1
  local skipped rc=0
  skipped=$("$python" bench/gpu/junit_failures.py --skipped-failures "$out/junit-$kind" "$1" | tr '\n' ' ') || rc=$?
  if [ "$rc" = 3 ]; then
    rerun_skipped_all=1
    rerun_evidence="with $2, every test that failed skipped instead of passing (${skipped% }): they test what that"
    rerun_evidence+=" switches off, which is not shown to be at fault"
  elif [ -n "$skipped" ]; then
    rerun_evidence="with $2, some tests that failed skipped instead of passing: ${skipped% }"
  fi
}

# NVIDIA's OpenCL platform is installed on the GPU machine but not registered: an ICD folder of our own names it,
# and leaves PoCL out, so the only device is the GPU. JOCL opens libOpenCL.so by that name, which only a -dev
# package provides; a link to the loader's libOpenCL.so.1 in the same folder stands in for it.
opencl_env_ready=
opencl_env() {
  [ -n "$opencl_env_ready" ] && return 0
  local dir loader
  dir=$(mktemp -d "${TMPDIR:-/tmp}/dendrite-ocl.XXXXXX")
  echo "${OPENCL_VENDOR_LIB:-libnvidia-opencl.so.1}" > "$dir/nvidia.icd"
  export OCL_ICD_VENDORS=$dir
  # The system's loader (ocl-icd, which reads OCL_ICD_VENDORS) first; CUDA's own copy only as a last resort.
  loader=
  for c in "$(ldconfig -p 2>/dev/null | awk '/libOpenCL\.so\.1 .*x86-64/ {print $NF; exit}')" \
           /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /lib/x86_64-linux-gnu/libOpenCL.so.1 \
           /usr/local/cuda/lib64/libOpenCL.so.1 /usr/local/cuda/targets/x86_64-linux/lib/libOpenCL.so.1; do
    if [ -n "$c" ] && [ -e "$c" ]; then loader=$c; break; fi
  done
  if [ -n "$loader" ]; then
    ln -sf "$loader" "$dir/libOpenCL.so"
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    note "run-on-gpu: no OpenCL ICD loader (libOpenCL.so.1) found; the OpenCL stages will fail"
  fi
  # Fail loudly rather than fall back to another device: the selector must match NVIDIA's platform.
  export DENDRITE_OPENCL_DEVICE=${DENDRITE_OPENCL_DEVICE:-NVIDIA}
  note "OpenCL: OCL_ICD_VENDORS=$dir (nvidia.icd -> $(cat "$dir/nvidia.icd")), loader ${loader:-none}," \
    "DENDRITE_OPENCL_DEVICE=$DENDRITE_OPENCL_DEVICE"
  # What the backends find, OpenCL's device included (dendrite info), before anything is measured on it; not
  # where the budget could not run the stage anyway.
  if [ -n "${BUDGET:-}" ] && [ $((BUDGET - SECONDS)) -lt 40 ]; then
    opencl_env_ready=1
    return 0
  fi
  with_timeout 120 "$java" -cp "$cp_lib" dev.dendrite.cli.Main info 2>&1 | tee "$out/opencl-device.txt"
  if grep -qi "opencl: .*$DENDRITE_OPENCL_DEVICE" "$out/opencl-device.txt"; then
    note "OpenCL device: $(grep -o 'opencl: .*' "$out/opencl-device.txt" | head -1)"
  else
    note "run-on-gpu: warning: dendrite info shows no OpenCL device matching '$DENDRITE_OPENCL_DEVICE'" \
      "(see opencl-device.txt)"
  fi
  opencl_env_ready=1
}

# ------------------------------------------------------------------------------------------------ stages
# Whether this call's JVMs run without PDL already (a rerun or the smoke run turned it off).
pdl_off() {
  [[ " ${jvm_flags[*]} " == *" -Ddendrite.cuda.pdl=false "* ]]
}

# Twenty replayed mlp512 steps before the suite, with PDL as the suite will run it: a kernel that waited forever
# under programmatic launch would otherwise cost every later stage its time limit. On a timeout only, the rest of
# the call runs without PDL (a failure is the suite's to name).
smoke_run() { # NAME [JVM FLAG...]: the smoke run's epoch, with this call's JVM flags and those given
  local name=$1
  shift
  run_step "$name" "$out/$name.txt" "${SMOKE_TIMEOUT:-45}" "$java" "${jvm_flags[@]}" "$@" -cp "$bench_cp" \
    dev.dendrite.bench.EpochBenchmark --network mlp512 --backend cuda --epochs 1 --warmup 0 --train 2560 \
    ${DENDRITE_DATA:+--data "$DENDRITE_DATA"}
}

pdl_smoke() {
  pdl_off && return 0
  smoke_run pdl-smoke
  if [ "$last_rc" = 124 ]; then
    jvm_flags+=(-Ddendrite.cuda.pdl=false)
    note "pdl-smoke: timed out; the rest of this call runs with -Ddendrite.cuda.pdl=false"
  elif [ "$last_rc" != 0 ] && [ "$last_rc" != skipped ]; then
    # EpochBenchmark reads the step graph's shape through the driver's edge query (native/launch countEdges), whose
    # first GPU run this may be: once more without it, and if that passes, the rest of the call goes without it.
    smoke_run pdl-smoke-noshape -Ddendrite.cuda.graphShape=false
    if [ "$last_rc" = 0 ]; then
      jvm_flags+=(-Ddendrite.cuda.graphShape=false)
      note "pdl-smoke: failed with the graph's shape read, passed without; the rest of this call runs with" \
        "-Ddendrite.cuda.graphShape=false"
    fi
  fi
}

stage_cuda_tests() {
  if need_java; then
    pdl_smoke
    run_junit cuda-tests "$out/junit-cuda" dev.dendrite.backend.cuda \
      'dev/dendrite/([a-z0-9]+/)*Cuda[A-Za-z0-9]*Tests?\.class'
    [ "$last_rc" = 0 ] || [ "$last_rc" = skipped ] || retry_tests cuda
  else failed+=(cuda-tests); echo "cuda-tests: FAILED, no Java" >> "$summary"; fi
  pdl_sass
}

# CudaPdlTest checks the PTX; this checks the sm_90 machine code that the GPU runs: no kernel may touch global memory
# before its programmatic-launch wait (bench/gpu/pdl_sass_check.py). Needs cuobjdump, which the device image has.
pdl_sass() {
  local cuobjdump fatbin=$out/dendrite_kernels.fatbin
  cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null) || {
    note "pdl-sass: no cuobjdump here; the sm_90 machine code was not checked"; return 0; }
  "$python" -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
    "$lib_dir/dendrite-cuda.jar" dev/dendrite/kernels/cuda/dendrite_kernels.fatbin > "$fatbin" || {
    note "pdl-sass: no fatbin in $lib_dir/dendrite-cuda.jar"; return 0; }
  # Straight to files: the dump is megabytes, and only the check's summary line belongs in the call's output.
  if with_timeout 60 "$cuobjdump" --dump-sass --gpu-architecture sm_90 "$fatbin" > "$out/pdl-sass-dump.txt" \
      2> "$out/pdl-sass-dump.err"; then
    "$python" bench/gpu/pdl_sass_check.py "$out/pdl-sass-dump.txt" > "$out/pdl-sass.txt" 2>&1
    note "$(tail -1 "$out/pdl-sass.txt") (pdl-sass.txt)"
    gzip -f "$out/pdl-sass-dump.txt"
  else
    note "pdl-sass: cuobjdump failed ($(head -c 300 "$out/pdl-sass-dump.err"))"
  fi
  rm -f "$fatbin"
}

stage_opencl_tests() {
  if need_java; then
    # A subshell keeps the OpenCL environment away from the CUDA stages that follow.
    (
      failed=() # this subshell's own failures decide its exit status
      opencl_env
      # CI=true turns "no OpenCL device" from a skip into a failure in OpenClTestSupport: a skipped suite here
      # would look like a pass.
      export CI=true
      run_junit opencl-tests "$out/junit-opencl" dev.dendrite.backend.opencl \
        'dev/dendrite/([a-z0-9]+/)*OpenCl[A-Za-z0-9]*Tests?\.class'
      [ "$last_rc" = 0 ] || [ "$last_rc" = skipped ] || retry_tests opencl
      [ ${#failed[@]} -eq 0 ]
    ) || { failed+=(opencl-tests); }
  else failed+=(opencl-tests); echo "opencl-tests: FAILED, no Java" >> "$summary"; fi
}

epoch_run() { # FILE_STEM EPOCHBENCHMARK_ARG...: one EpochBenchmark run, output and JSON named by FILE_STEM in $out;
              # JVM flags beyond $jvm_flags come from the caller's extra_jvm array, if it has one
  local stem=$1
  shift
  run_step "$stem" "$out/$stem.txt" "${BENCH_TIMEOUT:-240}" \
    "$java" "${jvm_flags[@]}" ${extra_jvm[@]+"${extra_jvm[@]}"} -cp "$bench_cp" dev.dendrite.bench.EpochBenchmark \
    "$@" ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --json "$out/$stem.json"
}

bench() { # BACKEND NETWORK FILE_STEM [JVM FLAG...]: the epoch protocol of $EPOCHS, $WARMUP and $TRAIN
  local backend=$1 net=$2 stem=$3
  shift 3
  local extra_jvm=("$@")
  epoch_run "$stem" --network "$net" --backend "$backend" --epochs "$epochs" --warmup "$warmup" --train "$train"
}

# A/B in the same call: each NAME:FLAG[,FLAG...] of $EXTRA_RUNS runs every network again with those JVM flags;
# NAME@NET[+NET..] only those networks. With arguments: BACKEND RUNS NETWORK... (OpenCL's, $OPENCL_EXTRA_RUNS).
extra_runs() {
  local backend=${1:-cuda} runs=${2-${EXTRA_RUNS:-}} run name flags only net
  local nets=("${networks[@]}")
  [ $# -gt 2 ] && nets=("${@:3}")
  for run in $runs; do
    name=${run%%:*}
    only=
    [[ "$name" == *@* ]] && only="+${name#*@}+" && name=${name%%@*}
    IFS=, read -r -a flags <<< "${run#*:}"
    for net in "${nets[@]}"; do
      [ -z "$only" ] || [[ "$only" == *"+$net+"* ]] || continue
      bench "$backend" "$net" "$backend-$net-$name" "${flags[@]}"
    done
  done
}

# The A/B runs as a stage of their own, so that a plan can put the PyTorch peer before them.
stage_cuda_ab() {
  if need_java; then
    extra_runs
  else failed+=(cuda-ab); echo "cuda-ab: FAILED, no Java" >> "$summary"; fi
}

stage_cuda_bench() {
  if need_java; then
    for net in "${networks[@]}"; do
      bench cuda "$net" "cuda-$net"
    done
    for net in ${tf32_networks[@]+"${tf32_networks[@]}"}; do
      bench cuda "$net" "cuda-$net-tf32" -Ddendrite.cuda.tf32=true
    done
    # Without a cuda-ab stage to come, the A/B runs follow here.
    wanted cuda-ab || extra_runs
    # Where a step's time goes: CUDA events around every op (issued one by one), then a chart of the shares.
    profiles=()
    for net in ${PROFILE_NETWORKS-mlp512}; do
      epoch_run "cuda-$net-profile" --network "$net" --backend cuda --epochs 1 --warmup 1 --train "$train" \
        --profile true
      [ -f "$out/cuda-$net-profile.json" ] && profiles+=("$out/cuda-$net-profile.json")
    done
    if [ ${#profiles[@]} -gt 0 ]; then
      run_step cuda-profile-chart "$out/cuda-profile-chart.txt" 60 "$java" -cp "$bench_cp" \
        dev.dendrite.bench.ProfileChart "$out/cuda-profile.svg" "${profiles[@]}"
    fi
  else failed+=(cuda-bench); echo "cuda-bench: FAILED, no Java" >> "$summary"; fi
}

stage_step() {
  # Where a replayed step's time goes, for $STEP_NETWORKS (default mlp512 bn256): the same epoch with every op
  # issued one by one (graphs off), the GEMM candidates' times per shape, and, where Nsight Compute is there, each
  # kernel's own duration inside replayed steps (ncu's node-level graph profiling, clocks left alone), against
  # which the graph step's time shows the gaps between kernels.
  if need_java; then
    local net ncu
    for net in ${STEP_NETWORKS:-mlp512 bn256}; do
      bench cuda "$net" "cuda-$net-nograph" -Ddendrite.cuda.graphs=false
      bench cuda "$net" "cuda-$net-gemm-choice" -Ddendrite.gemm.verbose=true
      if command -v ncu >/dev/null 2>&1; then
        # 12,800 images: a warm-up epoch of 100 or 200 steps (the GEMM choice is made there), then the kernels
        # of a few replayed steps of the measured epoch.
        ncu=(ncu --clock-control none --graph-profiling node --launch-skip "${NCU_SKIP:-3000}"
             --launch-count "${NCU_COUNT:-80}" --metrics gpu__time_duration.sum --csv)
        # The GEMM choices of the normal run just above: under ncu's serialised replays the tuner's timing would
        # pick other kernels (it chose the slow own kernels in both sessions of 2026-12-04).
        local choices=()
        [ -s "$out/cuda-$net-gemm-choice.txt" ] && choices=("-Ddendrite.gemm.choices=$out/cuda-$net-gemm-choice.txt")
        run_step "ncu-$net" "$out/ncu-$net.txt" "${NCU_TIMEOUT:-90}" "${ncu[@]}" \
          "$java" "${jvm_flags[@]}" ${choices[@]+"${choices[@]}"} -cp "$bench_cp" dev.dendrite.bench.EpochBenchmark \
          --network "$net" \
          --backend cuda --epochs 1 --warmup 1 --train 12800 ${DENDRITE_DATA:+--data "$DENDRITE_DATA"}
        # The peer's one-graph step under the same lens: how many kernels, and how long each.
        run_step "ncu-$net-pytorch-graph" "$out/ncu-$net-pytorch-graph.txt" "${NCU_TIMEOUT:-90}" "${ncu[@]}" \
          "$python" bench/pytorch/peer.py --network "$net" --variant graph --epochs 1 --warmup 1 --train 12800 \
          ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --out "$(mktemp -d)"
      else
        note "ncu-$net: no ncu on this machine; kernel durations not measured"
      fi
    done
  else failed+=(step); echo "step: FAILED, no Java" >> "$summary"; fi
}

# The folder holding CUDA library file $1 (libcupti.so.13, libcublas.so.13): the loader's cache, the CUDA toolkit's
# folders, else the pip copies PyTorch uses. Nothing (status 1) where none has it.
cuda_lib_dir() {
  local lib=$1 d f
  f=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
  [ -n "$f" ] && { dirname "$f"; return 0; }
  for d in /usr/local/cuda/extras/CUPTI/lib64 /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           /usr/local/cuda-*/extras/CUPTI/lib64 /usr/local/cuda-*/lib64 /usr/local/cuda-*/lib; do
    [ -e "$d/$lib" ] && { echo "$d"; return 0; }
  done
  f=$("$python" -c 'import glob, site, sys
for s in site.getsitepackages():
    for p in glob.glob(s + "/nvidia/**/" + sys.argv[1] + "*", recursive=True):
        print(p); sys.exit()' "$lib" 2>/dev/null)
  [ -n "$f" ] && { dirname "$f"; return 0; }
  return 1
}

stage_trace() {
  # Where a replayed step's time goes with every kernel running as it normally does (ncu in the step stage replays
  # each alone): the CUDA driver loads kernel_trace (CUDA_INJECTION64_PATH) into one short epoch of Dendrite and of
  # PyTorch's one-graph step, and trace_report.py reads the last 100 replays of each step graph.
  local lib=$lib_dir/libkernel_trace.so dir net traces=() stem
  if [ ! -f "$lib" ]; then
    note "trace: no $lib (make-bundle.sh builds it where gcc and CUPTI's headers are); nothing traced"
    failed+=(trace); return
  fi
  if ! dir=$(cuda_lib_dir libcupti.so.13); then
    note "trace: no libcupti.so.13 on this machine; nothing traced"; failed+=(trace); return
  fi
  need_java || { failed+=(trace); echo "trace: FAILED, no Java" >> "$summary"; return; }
  local inject=(env "CUDA_INJECTION64_PATH=$lib" "LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  for net in ${TRACE_NETWORKS:-mlp512 bn256}; do
    stem=trace-cuda-$net
    run_step "$stem" "$out/$stem.txt" "${TRACE_TIMEOUT:-60}" "${inject[@]}" "KERNEL_TRACE_OUT=$out/$stem.csv" \
      "$java" "${jvm_flags[@]}" -cp "$bench_cp" dev.dendrite.bench.EpochBenchmark --network "$net" --backend cuda \
      --epochs 1 --warmup 1 --train "${TRACE_TRAIN:-12800}" ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} \
      --json "$out/$stem.json"
    [ -s "$out/$stem.csv" ] && traces+=("Dendrite cuda $net=$out/$stem.csv")
    stem=trace-pytorch-$net
    # SIGINT at the time limit: Python then exits through its handlers, and the tracer's exit flush still runs.
    TIMEOUT_SIGNAL=INT run_step "$stem" "$out/$stem.txt" "${TRACE_TIMEOUT:-60}" "${inject[@]}" "KERNEL_TRACE_OUT=$out/$stem.csv" \
      "$python" bench/pytorch/peer.py --network "$net" --variant graph --epochs 1 --warmup 1 \
      --train "${TRACE_TRAIN:-12800}" ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --out "$(mktemp -d)"
    [ -s "$out/$stem.csv" ] && traces+=("PyTorch one graph $net=$out/$stem.csv")
  done
  # With PDL a kernel starts (its blocks placed, waiting) before the one it depends on ends, so its duration holds
  # that wait: the same network without PDL gives each kernel's own time beside the PDL trace's span.
  if ! pdl_off; then
    for net in ${TRACE_NOPDL_NETWORKS-mlp512}; do
      stem=trace-cuda-$net-nopdl
      run_step "$stem" "$out/$stem.txt" "${TRACE_TIMEOUT:-60}" "${inject[@]}" "KERNEL_TRACE_OUT=$out/$stem.csv" \
        "$java" "${jvm_flags[@]}" -Ddendrite.cuda.pdl=false -cp "$bench_cp" dev.dendrite.bench.EpochBenchmark \
        --network "$net" --backend cuda --epochs 1 --warmup 1 --train "${TRACE_TRAIN:-12800}" \
        ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --json "$out/$stem.json"
      [ -s "$out/$stem.csv" ] && traces+=("Dendrite cuda $net without PDL=$out/$stem.csv")
    done
  fi
  if [ ${#traces[@]} -gt 0 ]; then
    run_step trace-report "$out/trace-report.txt" 60 "$python" bench/gpu/trace/trace_report.py \
      --out "$out/trace-report.md" "${traces[@]}"
  fi
}

stage_dev() {
  # Each exploration in .bundle/dev (make-bundle.sh: bench/gpu/dev/*.cu, stripped, as xz) with its default shapes,
  # those in $DEV_PROGRAMS first, in that order, then the rest; cuBLAS, which they open at run time, from the folder
  # where the CUDA backend finds it too. The stage as a whole stops after DEV_BUDGET seconds, so that the stages
  # after it keep their time: a program that would start with less than 10 s of it left is skipped.
  local dir program name found env_vars=() programs=() stage_start=$SECONDS secs
  dir=$(mktemp -d)
  if [ -z "${DENDRITE_CUBLAS:-}" ] && found=$(cuda_lib_dir libcublas.so.13); then
    env_vars=("DENDRITE_CUBLAS=$found/libcublas.so.13" "LD_LIBRARY_PATH=$found${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  fi
  if ! ls "$b"/dev/*.xz >/dev/null 2>&1; then
    note "dev: no programs in $b/dev (make-bundle.sh builds them where nvcc is)"; failed+=(dev); return
  fi
  for name in ${DEV_PROGRAMS-gemm_lt_epilogue gemm_wide_fp32 gemm_3xtf32_mma launch_latency gemm_forward wgrad_adam}; do
    [ -f "$b/dev/$name.xz" ] && programs+=("$b/dev/$name.xz")
  done
  for program in "$b"/dev/*.xz; do
    case " ${programs[*]} " in *" $program "*) ;; *) programs+=("$program") ;; esac
  done
  for program in "${programs[@]}"; do
    name=$(basename "$program" .xz)
    secs=$((${DEV_BUDGET:-120} - (SECONDS - stage_start)))
    if [ "$secs" -lt 10 ]; then
      note "dev-$name: SKIPPED, the dev stage's ${DEV_BUDGET:-120}s are spent"; skipped+=("dev-$name"); continue
    fi
    [ "$secs" -gt "${DEV_TIMEOUT:-60}" ] && secs=${DEV_TIMEOUT:-60}
    if command -v xz >/dev/null 2>&1; then
      xz -dc "$program" > "$dir/$name"
    else
      "$python" -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as i, open(sys.argv[2], "wb") as o: shutil.copyfileobj(i, o)' "$program" "$dir/$name"
    fi
    chmod +x "$dir/$name"
    run_step "dev-$name" "$out/dev-$name.txt" "$secs" env ${env_vars[@]+"${env_vars[@]}"} "$dir/$name"
  done
}

stage_opencl_bench() {
  if need_java; then
    (
      failed=()
      opencl_env
      for net in ${opencl_networks[@]+"${opencl_networks[@]}"}; do
        # The tuner's times per GEMM shape on NVIDIA's OpenCL ("dendrite gemm (opencl)" lines, once per shape): which
        # tiled variant, split or rows it keeps there has never been read off a GPU.
        # Each recorded step's launches ("dendrite opencl step:" lines): how many a step takes there, and which.
        # With the switches of a path the OpenCL suite failed on (retry_tests), if it named one.
        read -r -a flags <<< "$(cat "$opencl_flags_file" 2>/dev/null)"
        bench opencl "$net" "opencl-$net" -Ddendrite.gemm.verbose=true -Ddendrite.opencl.printSteps=true \
          ${flags[@]+"${flags[@]}"}
      done
      [ ${#opencl_networks[@]} -eq 0 ] || extra_runs opencl "${OPENCL_EXTRA_RUNS:-}" "${opencl_networks[@]}"
      [ ${#failed[@]} -eq 0 ]
    ) || failed+=(opencl-bench)
  else failed+=(opencl-bench); echo "opencl-bench: FAILED, no Java" >> "$summary"; fi
}

stage_gemm() {
  if need_java; then
    (
      failed=()
      case " ${gemm_backends[*]} " in *" opencl "*) opencl_env ;; esac
      run_step gemm "$out/gemm.txt" "${GEMM_TIMEOUT:-240}" \
        "$java" "${jvm_flags[@]}" -cp "$bench_cp" dev.dendrite.bench.GemmThroughput \
        --backend "$(IFS=,; echo "${gemm_backends[*]}")" --size "${GEMM_SIZE:-4096}" --json-dir "$out"
      [ ${#failed[@]} -eq 0 ]
    ) || failed+=(gemm)
  else failed+=(gemm); echo "gemm: FAILED, no Java" >> "$summary"; fi
}

stage_ops() {
  # Per-op micro-benchmarks (issue: JMH for each kernel family on every backend), one JSON for all backends.
  if ! ls "$lib_dir"/jmh/jmh-core-*.jar >/dev/null 2>&1; then
    failed+=(ops); echo "ops: FAILED, no JMH in $lib_dir/jmh: build the bundle with JMH=1" | tee -a "$summary"
  elif need_java; then
    (
      failed=()
      list=${OPS_BACKENDS:-cuda opencl}
      read -r -a ops_backends <<< "${list//,/ }"
      case " ${ops_backends[*]} " in *" opencl "*) opencl_env ;; esac
      jmh_cp="$bench_cp"
      for j in "$lib_dir"/jmh/*.jar; do jmh_cp="$jmh_cp:$j"; done
      run_step ops "$out/jmh-ops.txt" "${OPS_TIMEOUT:-420}" \
        "$java" "${jvm_flags[@]}" -cp "$jmh_cp" org.openjdk.jmh.Main OpBenchmarks \
        -p backend="$(IFS=,; echo "${ops_backends[*]}")" -wi 2 -i 3 -w 500ms -r 500ms -f 1 \
        -rf json -rff "$out/jmh-ops.json"
      [ ${#failed[@]} -eq 0 ]
    ) || failed+=(ops)
  else failed+=(ops); echo "ops: FAILED, no Java" >> "$summary"; fi
}

stage_scaling() {
  # Time per training sample against batch size (784-512-512-10, Adam) and against width (784-W-W-10, Adam,
  # batch 128), per backend in $SCALING_BACKENDS, drawn like the CPU curves in bench/RESULTS.md.
  if need_java; then
    (
      failed=()
      list=${SCALING_BACKENDS:-cuda}
      read -r -a scaling_backends <<< "${list//,/ }"
      case " ${scaling_backends[*]} " in *" opencl "*) opencl_env ;; esac
      scaling_train=${SCALING_TRAIN:-20000}
      for be in "${scaling_backends[@]}"; do
        for bs in ${SCALING_BATCHES:-32 64 128 256 512 1024 2048 4096 8192}; do
          epoch_run "$be-scaling-batch-$bs" --network mlp512 --batch "$bs" --backend "$be" --epochs 2 --warmup 1 \
            --train "$scaling_train"
        done
        for w in ${SCALING_WIDTHS:-128 256 512 1024 2048 4096 8192}; do
          epoch_run "$be-scaling-width-$w" --width "$w" --backend "$be" --epochs 2 --warmup 1 \
            --train "$scaling_train"
        done
      done
      run_step scaling-chart "$out/scaling-chart.txt" 60 "$java" -cp "$bench_cp" dev.dendrite.bench.ScalingChart \
        "$out" "$out/gpu-scaling.svg" "${scaling_backends[@]}"
      [ ${#failed[@]} -eq 0 ]
    ) || failed+=(scaling)
  else failed+=(scaling); echo "scaling: FAILED, no Java" >> "$summary"; fi
}

stage_pytorch() {
  if "$python" -c 'import torch' 2>/dev/null; then
    "$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "available:",
      torch.cuda.is_available())' | tee -a "$summary"
    for net in "${networks[@]}"; do
      for v in "${pytorch_variants[@]}"; do
        run_step "pytorch-$net-$v" "$out/pytorch-$net-$v.txt" "${PYTORCH_TIMEOUT:-240}" \
          "$python" bench/pytorch/peer.py --network "$net" --variant "$v" --epochs "$epochs" --warmup "$warmup" \
          --train "$train" ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --out "$out"
      done
    done
    for net in ${tf32_networks[@]+"${tf32_networks[@]}"}; do
      for v in "${pytorch_variants[@]}"; do
        run_step "pytorch-$net-$v-tf32" "$out/pytorch-$net-$v-tf32.txt" "${PYTORCH_TIMEOUT:-240}" \
          "$python" bench/pytorch/peer.py --network "$net" --variant "$v" --epochs "$epochs" --warmup "$warmup" \
          --train "$train" ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --out "$out" --tf32
      done
    done
    # Several steps per graph, the fair peer of Dendrite's stepsPerExecution runs (EXTRA_RUNS' spe8).
    if [ -n "${PYTORCH_SPG:-}" ]; then
      for net in ${PYTORCH_SPG_NETWORKS:-${networks[*]}}; do
        run_step "pytorch-$net-graph-spg$PYTORCH_SPG" "$out/pytorch-$net-graph-spg$PYTORCH_SPG.txt" \
          "${PYTORCH_TIMEOUT:-240}" "$python" bench/pytorch/peer.py --network "$net" --variant graph \
          --steps-per-graph "$PYTORCH_SPG" --epochs "$epochs" --warmup "$warmup" --train "$train" \
          ${DENDRITE_DATA:+--data "$DENDRITE_DATA"} --out "$out"
      done
    fi
  else
    note "pytorch: FAILED, $python cannot import torch: $("$python" -c 'import torch' 2>&1 | tail -1)"
    failed+=(pytorch)
  fi
}

stage_compare() {
  # shellcheck disable=SC2086  # COMPARE_DIRS is a list of folders
  # $out last: where a file name is in several folders, compare.py takes the last.
  run_step compare "$out/compare.txt" 60 "$python" bench/pytorch/compare.py ${COMPARE_DIRS:-} "$out" \
    -o "$out/comparison.md"
}

# The stages in the order ONLY names them (the order above without ONLY): a session puts first what matters most.
for stage in ${ONLY:-$all_stages}; do
  wanted "$stage" && "stage_${stage//-/_}"
done

echo "== summary ($summary)"
cat "$summary"
# The device tool brings back at most 8 files from $OUT (2026-12-04, the first run on an H200 lost 25 of 33):
# everything but the summary, the comparison, trace-report.md and run-info.json goes into one results.tgz. PACK=0
# keeps the files.
if [ "${PACK:-${OUT:+1}}" = 1 ]; then
  ( cd "$out" && find . -mindepth 1 -maxdepth 1 ! -name summary.txt ! -name comparison.md ! -name run-info.json \
      ! -name trace-report.md \
      ! -name results.tgz -print0 | sort -z | tar --null -T - -czf results.tgz --remove-files ) \
    && echo "run-on-gpu: the other results are in $out/results.tgz (tar -xzf it beside summary.txt)"
fi
[ ${#skipped[@]} -eq 0 ] || echo "run-on-gpu: skipped for time: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-on-gpu: failed: ${failed[*]}"
  exit 1
fi
exit 0
