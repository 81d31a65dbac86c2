#!/usr/bin/env bash
# Dendrite's CPU backend against PyTorch (CPU build, eager) and Keras 3 (JAX backend) on the same networks, data and
# epoch, alternating in the same run, then the ratios per network with the CPU model and instruction set.
#
#   bench/run-cpu-side-by-side.sh                       # mlp512 bn256 mlp1024, two rounds: about 10 minutes
#   NETWORKS=mlp512 ROUNDS=3 bench/run-cpu-side-by-side.sh
#   OLD_JAR=/tmp/old/dendrite-bench.jar bench/run-cpu-side-by-side.sh   # also an older Dendrite build, alternating
#   ISA=avx2 bench/run-cpu-side-by-side.sh              # all three limited to AVX2 on an AVX-512 machine
#
# Protocol (EpochBenchmark's, which bench/pytorch/peer.py and bench/keras/peer.py copy): one epoch = the first TRAIN
# Fashion-MNIST training images (default 50,000) scaled to [0, 1], shuffled, partial last batch included, no
# validation; the figure is the median of EPOCHS timed epochs after WARMUP untimed ones, each program in its own
# process. Within a round every network runs Dendrite, then each peer; the next round runs them in reverse order,
# so that a load that changes during the run weighs on both sides. Every run gets the same cores: THREADS (default
# all) through taskset when fewer than all, and torch.set_num_threads(THREADS); the JVM and JAX size their thread
# pools from the cores they may use.
#
# The peers run from a virtual environment in VENV (default .venv-peers, ignored by git). When it is missing it is
# created with `python3 -m venv` and `pip install torch keras jax jaxlib`, which works offline where pip is set up
# with a local wheel folder or index; when that fails, the script says so and measures Dendrite alone.
#
# Writes OUT/round<N>/{dendrite,dendrite-old}-<network>.json, pytorch-<network>-eager.json, keras-<network>.json, and
# OUT/summary.md with the ratios (Dendrite / peer: below 1 means Dendrite is faster), the load averages and the CPU
# time the host stole from each run.
#
# ISA=avx2 approximates an AVX2-only CPU on an AVX-512 one: Dendrite's JVM gets -XX:UseAVX=2 (256-bit preferred
# vectors, so the AVX2 GEMM tile), PyTorch ATEN_CPU_CAPABILITY=avx2, MKL_ENABLE_INSTRUCTIONS=AVX2 and
# ONEDNN_MAX_CPU_ISA=AVX2, JAX XLA_FLAGS=--xla_cpu_max_isa=AVX2. Same cores, caches and clocks: not a substitute for
# an AVX2 machine.
#
# Environment: NETWORKS (mlp512 bn256 mlp1024; wide4096 too if you have 10 more minutes), ROUNDS (2), EPOCHS (3),
# WARMUP (1), TRAIN (50000), THREADS (nproc), PEERS (pytorch keras), ISA (native | avx2), VENV,
# OUT (bench/results/side-by-side), OLD_JAR, JAVA_OPTS (more JVM flags for Dendrite), SKIP_BUILD=1 to reuse
# bench/target/dendrite-bench.jar, MVN (mvn), MVN_FLAGS (e.g. -o).
set -euo pipefail
export LC_NUMERIC=C

cd "$(dirname "$0")/.."
NETWORKS=${NETWORKS:-mlp512 bn256 mlp1024}
ROUNDS=${ROUNDS:-2}
EPOCHS=${EPOCHS:-3}
WARMUP=${WARMUP:-1}
TRAIN=${TRAIN:-50000}
CORES=$(nproc --all)
THREADS=${THREADS:-$CORES}
PEERS=${PEERS-pytorch keras}  # PEERS= (empty) measures Dendrite alone
VENV=${VENV:-.venv-peers}
OUT=${OUT:-bench/results/side-by-side}
OLD_JAR=${OLD_JAR:-}
JAVA_OPTS=${JAVA_OPTS:-}
ISA=${ISA:-native}
PEER_ENV=()
case $ISA in
    native) ;;
    avx2)
        JAVA_OPTS="-XX:UseAVX=2 $JAVA_OPTS"
        PEER_ENV=(ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
                  XLA_FLAGS=--xla_cpu_max_isa=AVX2) ;;
    *) echo "ISA=$ISA: expected native or avx2" >&2; exit 2 ;;
esac
MVN=${MVN:-mvn}
MVN_FLAGS=${MVN_FLAGS:-}
JAR=bench/target/dendrite-bench.jar

if (( THREADS < 1 || THREADS > CORES )); then
    echo "THREADS=$THREADS: expected 1 to $CORES (this machine's cores)" >&2; exit 2
fi
PIN=()
if (( THREADS < CORES )); then PIN=(taskset -c "0-$((THREADS - 1))"); fi
if [[ -n $OLD_JAR && ! -f $OLD_JAR ]]; then echo "OLD_JAR=$OLD_JAR: no such file" >&2; exit 2; fi

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
if grep -qw avx512f /proc/cpuinfo; then isa=AVX-512; elif grep -qw avx2 /proc/cpuinfo; then isa=AVX2; else isa="no AVX2"; fi
if [[ $ISA == avx2 ]]; then isa="$isa CPU, all limited to AVX2"; fi
load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }

# The peers' environment: created on first use, from whatever pip is configured to reach (a local wheel folder works).
peers_ok=""
if [[ -n $PEERS ]]; then
    if [[ ! -x $VENV/bin/python ]] || ! KERAS_BACKEND=jax "$VENV/bin/python" -c 'import torch, keras, jax' 2>/dev/null; then
        echo "== creating $VENV for the peers: python3 -m venv, pip install torch keras jax jaxlib"
        if python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --retries 0 --timeout 30 torch keras jax jaxlib; then
            :
        else
            echo "!! the peers could not be installed into $VENV (see pip's message above): measuring Dendrite alone." >&2
            echo "!! Install them with: python3 -m venv $VENV && $VENV/bin/pip install torch keras jax jaxlib" >&2
            PEERS=""
        fi
    fi
    for p in $PEERS; do
        case $p in
            pytorch) mod=torch ;; keras) mod=keras ;;
            *) echo "PEERS: unknown peer '$p' (pytorch, keras)" >&2; exit 2 ;;
        esac
        if KERAS_BACKEND=jax "$VENV/bin/python" -c "import $mod" 2>/dev/null; then peers_ok+=" $p"; else
            echo "!! $p cannot be imported from $VENV: skipped" >&2; fi
    done
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "== building Dendrite ($MVN -DskipTests package)"
    $MVN -q $MVN_FLAGS -DskipTests package
fi

mkdir -p "$OUT"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== $cpu_model, $isa, $THREADS of $CORES cores; networks $NETWORKS; $ROUNDS rounds; peers:${peers_ok:- none}"

# One program on one network; $1 = label, $2 = network, $3 = round folder. Records the load average it started at.
run() {
    local label=$1 net=$2 dir=$3 t0
    echo "-- round ${dir##*round} $label $net   (load average $(load))"
    echo "$label $net $(load)" >> "$dir/loads.txt"
    t0=$SECONDS
    case $label in
        dendrite|dendrite-old)
            local jar=$JAR; [[ $label == dendrite-old ]] && jar=$OLD_JAR
            # shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
            "${PIN[@]}" java --add-modules jdk.incubator.vector $JAVA_OPTS -cp "$jar" dev.dendrite.bench.EpochBenchmark \
                --backend cpu --network "$net" --epochs "$EPOCHS" --warmup "$WARMUP" --train "$TRAIN" \
                --json "$dir/$label-$net.json" 2>&1 | grep -v WARNING ;;
        pytorch)
            env "${PEER_ENV[@]}" "${PIN[@]}" "$VENV/bin/python" bench/pytorch/peer.py --device cpu --variant eager --threads "$THREADS" \
                --network "$net" --epochs "$EPOCHS" --warmup "$WARMUP" --train "$TRAIN" --out "$dir" | grep -v '^  epoch' ;;
        keras)
            env KERAS_BACKEND=jax "${PEER_ENV[@]}" "${PIN[@]}" "$VENV/bin/python" bench/keras/peer.py \
                --network "$net" --epochs "$EPOCHS" --warmup "$WARMUP" --train "$TRAIN" --out "$dir" 2>&1 \
                | grep -v '^  epoch' ;;
    esac
    echo "   ($((SECONDS - t0)) s)"
}

for ((r = 1; r <= ROUNDS; r++)); do
    dir="$OUT/round$r"
    rm -rf "$dir"; mkdir -p "$dir"
    order=(dendrite ${OLD_JAR:+dendrite-old} $peers_ok)
    if (( r % 2 == 0 )); then  # reversed, so that neither side always runs first
        rev=(); for ((i = ${#order[@]} - 1; i >= 0; i--)); do rev+=("${order[i]}"); done; order=("${rev[@]}")
    fi
    for net in $NETWORKS; do
        for label in "${order[@]}"; do run "$label" "$net" "$dir" || echo "!! $label $net failed" >&2; done
    done
done
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)

python3 - "$OUT" "$ROUNDS" "$NETWORKS" "$cpu_model" "$isa" "$THREADS" "$CORES" "$started" "$finished" "$JAVA_OPTS" \
    "$EPOCHS" "$WARMUP" "$TRAIN" <<'EOF'
import json, os, statistics, sys
out, rounds, networks, cpu, isa, threads, cores, started, finished, java_opts, epochs, warmup, train = sys.argv[1:]
rounds, networks = int(rounds), networks.split()
labels = [("dendrite", "dendrite-{}.json"), ("dendrite-old", "dendrite-old-{}.json"),
          ("pytorch", "pytorch-{}-eager.json"), ("keras", "keras-{}.json")]
def get(r, pattern, net):
    path = os.path.join(out, f"round{r}", pattern.format(net))
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
present = [(l, p) for l, p in labels if any(get(r, p, n) for r in range(1, rounds + 1) for n in networks)]
versions = {}
for l, p in present:
    for r in range(1, rounds + 1):
        for n in networks:
            d = get(r, p, n)
            if d and l not in versions:
                versions[l] = d.get("backend", l)
isa_note = isa + (f"; Dendrite's JVM ran with {java_opts}" if java_opts else "")
lines = [f"CPU side by side: {cpu} ({isa_note}), {threads} of {cores} cores, {started} .. {finished}",
         f"{train} Fashion-MNIST images per epoch, median of {epochs} epochs after {warmup} warm-up, "
         f"{rounds} alternating rounds (median epoch seconds per round; ratio = Dendrite / peer, below 1 = Dendrite faster)",
         ""]
for l, _ in present:
    lines.append(f"- {l}: {versions[l]}")
lines.append("")
head = "| network | " + " | ".join([l for l, _ in present] + [f"Dendrite / {l}" for l, _ in present if l != "dendrite"]) + " |"
lines += [head, "|" + "---|" * (head.count("|") - 1)]
summary = {"cpu": cpu, "isa": isa, "java_opts": java_opts, "threads": int(threads), "cores": int(cores),
           "started": started, "finished": finished, "networks": {}}
for n in networks:
    times = {l: [get(r, p, n)["median_epoch_s"] if get(r, p, n) else None for r in range(1, rounds + 1)]
             for l, p in present}
    def fmt(v):
        return " / ".join("-" if t is None else f"{t:.3f}" for t in v)
    ratios = {}
    for l, _ in present:
        if l == "dendrite":
            continue
        ratios[l] = [None if a is None or b is None else a / b for a, b in zip(times["dendrite"], times[l])]
    row = f"| {n} | " + " | ".join([fmt(times[l]) for l, _ in present] + [
        " / ".join("-" if x is None else f"**{x:.2f}**" for x in ratios[l]) for l in ratios]) + " |"
    lines.append(row)
    steal = {l: [get(r, p, n).get("steal_percent") if get(r, p, n) else None for r in range(1, rounds + 1)]
             for l, p in present}
    summary["networks"][n] = {"median_epoch_s": times, "ratio_dendrite_to": ratios, "steal_percent": steal}
lines.append("")
# A virtual machine's host may run other guests on our vCPUs: a run that lost more of its time to them is slower
# for that alone, so a ratio is only as good as the two runs' steal figures are alike.
lines.append("CPU time stolen by the host during each run's timed epochs, percent of the machine's CPU time "
             "(rounds separated by /):")
lines.append("")
lines += ["| network | " + " | ".join(l for l, _ in present) + " |", "|" + "---|" * (len(present) + 1)]
for n in networks:
    st = summary["networks"][n]["steal_percent"]
    lines.append(f"| {n} | " + " | ".join(
        " / ".join("-" if v is None else f"{v:.0f}" for v in st[l]) for l, _ in present) + " |")
lines.append("")
lines.append("Load average (1, 5, 15 min) at the start of each run:")
for r in range(1, rounds + 1):
    try:
        with open(os.path.join(out, f"round{r}", "loads.txt")) as f:
            lines.append(f"- round {r}: " + "; ".join(x.strip() for x in f if x.strip()))
    except OSError:
        pass
text = "\n".join(lines) + "\n"
print(text)
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(text)
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")
print(f"wrote {out}/summary.md and summary.json")
EOF
