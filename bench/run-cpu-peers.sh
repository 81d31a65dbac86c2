#!/usr/bin/env bash
# Dendrite's CPU epoch benchmark and its Deeplearning4j peer, back to back on this machine, then the ratios.
#
#   bench/run-cpu-peers.sh                      # mlp512, 1 warm-up + 3 measured epochs on 50,000 images
#   NETWORK=bn256 EPOCHS=5 bench/run-cpu-peers.sh
#
# Builds Dendrite (mvn install, so that the separate DL4J project can depend on its IDX reader) and bench/dl4j
# (which downloads DL4J 1.0.0-M2.1 and its linux-x86_64 natives, about 150 MB, on first use), runs
# EpochBenchmark --backend cpu, then Dl4jEpochBenchmark once per DL4J configuration, each in its own JVM:
#
#   default    no OpenMP variables (DL4J as it comes: its OpenMP threads spin-wait between ops)
#   passive    OMP_WAIT_POLICY=PASSIVE (threads sleep instead of spinning)
#   threads1   OMP_NUM_THREADS=1
#   threads2   OMP_NUM_THREADS=2
#
# and writes bench/results/cpu-<network>-dendrite.json, cpu-<network>-dl4j-<config>.json and a summary,
# cpu-<network>-peers.json. Ratio = Dendrite's median epoch time / DL4J's; below 1 means Dendrite is faster.
#
# Environment: NETWORK (mlp512 | bn256 | mlp1024 | wide4096), EPOCHS (3), WARMUP (1), TRAIN (50000), CONFIGS (the four
# above), RESULTS (bench/results), ND4J_CLASSIFIER (the nd4j-native natives: linux-x86_64-avx512 where the CPU
# has AVX-512F, else linux-x86_64), SKIP_BUILD=1 to reuse the last build, MVN (mvn), MVN_FLAGS (e.g. -o).
set -euo pipefail
export LC_NUMERIC=C

cd "$(dirname "$0")/.."
NETWORK=${NETWORK:-mlp512}
EPOCHS=${EPOCHS:-3}
WARMUP=${WARMUP:-1}
TRAIN=${TRAIN:-50000}
CONFIGS=${CONFIGS:-default passive threads1 threads2}
RESULTS=${RESULTS:-bench/results}
MVN=${MVN:-mvn}
MVN_FLAGS=${MVN_FLAGS:-}
if [[ -z ${ND4J_CLASSIFIER:-} ]]; then
    if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
        ND4J_CLASSIFIER=linux-x86_64-avx512
    else
        ND4J_CLASSIFIER=linux-x86_64
    fi
fi

# Every run starts from the same environment: none of these inherited from the caller's shell.
CLEAN_ENV=(env -u OMP_NUM_THREADS -u OMP_WAIT_POLICY -u OMP_PROC_BIND -u GOMP_SPINCOUNT -u OPENBLAS_NUM_THREADS)

config_env() {
    case "$1" in
        default) ;;
        passive) echo OMP_WAIT_POLICY=PASSIVE ;;
        threads1) echo OMP_NUM_THREADS=1 ;;
        threads2) echo OMP_NUM_THREADS=2 ;;
        passive1) echo OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 ;;
        passive2) echo OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 ;;
        *) echo "unknown configuration '$1' (default, passive, threads1, threads2, passive1, passive2)" >&2; exit 2 ;;
    esac
}
for c in $CONFIGS; do config_env "$c" >/dev/null; done

# A number from one of the benchmarks' pretty-printed JSON files.
field() { sed -n "s/^ *\"$2\": *\([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1" | head -n 1; }
# ND4J's start-up log, less the noise: keeps which native build it loaded and its thread counts.
quiet() { sed -u -e '/optimization level\|threads used/b' -e '/ INFO /d' -e '/^ *\(GCC\|STD version\|DEFAULT_ENGINE\|HAVE_\|$\)/d'; }
load() { sed 's/.*load average: //' /proc/loadavg 2>/dev/null | awk '{print $1", "$2", "$3}'; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "== building Dendrite (mvn install: the DL4J project reuses its IDX reader) and bench/dl4j ($ND4J_CLASSIFIER)"
    $MVN -q $MVN_FLAGS -DskipTests install
    $MVN -q $MVN_FLAGS -f bench/dl4j/pom.xml package -Dnd4j.classifier="$ND4J_CLASSIFIER"
fi
DL4J_CP="bench/dl4j/target/classes:$(cat bench/dl4j/target/classpath.txt)"
COMMON=(--network "$NETWORK" --epochs "$EPOCHS" --warmup "$WARMUP" --train "$TRAIN")
mkdir -p "$RESULTS"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loads=()

echo "== Dendrite EpochBenchmark --backend cpu ${COMMON[*]}   (load average $(load))"
loads+=("dendrite: $(load)")
"${CLEAN_ENV[@]}" java --add-modules jdk.incubator.vector -cp bench/target/dendrite-bench.jar dev.dendrite.bench.EpochBenchmark \
    --backend cpu "${COMMON[@]}" --json "$RESULTS/cpu-$NETWORK-dendrite.json"
dendrite=$(field "$RESULTS/cpu-$NETWORK-dendrite.json" median_epoch_s)

best=""; best_config=""; default_time=""
for c in $CONFIGS; do
    vars=$(config_env "$c")
    echo "== DL4J [$c] ${vars:-(no OpenMP variables)} ${COMMON[*]}   (load average $(load))"
    loads+=("dl4j-$c: $(load)")
    # shellcheck disable=SC2086 # vars is a list of NAME=value words
    { "${CLEAN_ENV[@]}" $vars java -cp "$DL4J_CP" dev.dendrite.bench.dl4j.Dl4jEpochBenchmark "${COMMON[@]}" \
        --config "$c" --json "$RESULTS/cpu-$NETWORK-dl4j-$c.json" 2>&1 1>&3 | quiet >&2; } 3>&1
    t=$(field "$RESULTS/cpu-$NETWORK-dl4j-$c.json" median_epoch_s)
    if [[ $c == default ]]; then default_time=$t; fi
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$t; best_config=$c
    fi
done
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo
echo "== $NETWORK, $TRAIN images, median of $EPOCHS epochs after $WARMUP warm-up ($started .. $finished, $(nproc) cores)"
printf '%-16s %7.3f s/epoch  test accuracy %s\n' "Dendrite cpu" "$dendrite" \
    "$(field "$RESULTS/cpu-$NETWORK-dendrite.json" test_accuracy)"
summary_configs=""
for c in $CONFIGS; do
    f="$RESULTS/cpu-$NETWORK-dl4j-$c.json"
    printf '%-16s %7.3f s/epoch  test accuracy %s   Dendrite/DL4J %s\n' "DL4J $c" "$(field "$f" median_epoch_s)" \
        "$(field "$f" test_accuracy)" "$(ratio "$dendrite" "$(field "$f" median_epoch_s)")"
    summary_configs+="${summary_configs:+,}
    \"$c\": {\"env\": \"$(config_env "$c")\", \"median_epoch_s\": $(field "$f" median_epoch_s), \"test_accuracy\": $(field "$f" test_accuracy)}"
done
echo "Dendrite / DL4J best ($best_config): $(ratio "$dendrite" "$best")"
if [[ -n $default_time ]]; then echo "Dendrite / DL4J default:        $(ratio "$dendrite" "$default_time")"; fi
echo "load averages (1, 5, 15 min) at the start of each run: ${loads[*]}"

{
    echo "{"
    echo "  \"network\": \"$NETWORK\", \"train_images\": $TRAIN, \"epochs\": $EPOCHS, \"warmup_epochs\": $WARMUP,"
    echo "  \"started\": \"$started\", \"finished\": \"$finished\", \"cores\": $(nproc), \"nd4j_classifier\": \"$ND4J_CLASSIFIER\","
    echo "  \"load_averages\": \"${loads[*]}\","
    echo "  \"dendrite_median_epoch_s\": $dendrite,"
    echo "  \"dl4j\": {$summary_configs},"
    echo "  \"dl4j_best_config\": \"$best_config\", \"dl4j_best_median_epoch_s\": $best,"
    echo "  \"ratio_dendrite_to_dl4j_best\": $(ratio "$dendrite" "$best")${default_time:+,}"
    if [[ -n $default_time ]]; then
        echo "  \"ratio_dendrite_to_dl4j_default\": $(ratio "$dendrite" "$default_time")"
    fi
    echo "}"
} > "$RESULTS/cpu-$NETWORK-peers.json"
echo "wrote $RESULTS/cpu-$NETWORK-*.json"
