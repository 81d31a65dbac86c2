#!/usr/bin/env bash
# Per-op JMH (OpBenchmarks) of two builds in one run, alternating, so that a machine's drift falls on both:
#   bench/jmh-old-vs-new.sh OLD_BENCH_JAR NEW_BENCH_JAR OUT_DIR [backend ...]     (default backends: cpu opencl)
# Each round runs every op once per build (old then new, then new then old in the next round); the report is
# the new/old ratio of the per-op median over rounds (1.0 = same speed; > 1 slower). ROUNDS (default 2),
# JMH_OPTS (default: 1 fork, 2 warm-ups and 3 measurements of 1 s) and JMH_INCLUDE (the benchmark regex, default
# OpBenchmarks: all of them) can be set in the environment.
# An old jar is built from an older commit: git worktree add /tmp/old REV && (cd /tmp/old && mvn -q -DskipTests package).
set -euo pipefail
old=${1:?usage: jmh-old-vs-new.sh OLD_JAR NEW_JAR OUT_DIR [backend ...]}
new=${2:?usage}
out=${3:?usage}
shift 3
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(cpu opencl)
rounds=${ROUNDS:-2}
opts=${JMH_OPTS:-"-f 1 -wi 2 -i 3 -w 1s -r 1s"}
shapes=${SHAPES:-"128x512x784:NN,784x512x128:TN,128x784x512:NT"}
mkdir -p "$out"
run() { # jar label backend round
  java --add-modules jdk.incubator.vector -jar "$1" "${JMH_INCLUDE:-OpBenchmarks}" -p backend="$3" -p gemm="$shapes" $opts \
    -rf json -rff "$out/$2-$3-r$4.json" > "$out/$2-$3-r$4.log" 2>&1
}
for backend in "${backends[@]}"; do
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then run "$old" old "$backend" "$r"; run "$new" new "$backend" "$r"
    else run "$new" new "$backend" "$r"; run "$old" old "$backend" "$r"; fi
  done
done
python3 - "$out" <<'PY'
import json, glob, os, statistics, sys, collections
out = sys.argv[1]
scores = collections.defaultdict(list)
for f in glob.glob(os.path.join(out, "*-r*.json")):
    label, backend = os.path.basename(f).split("-")[:2]
    for b in json.load(open(f)):
        name = b["benchmark"].rsplit(".", 1)[1]
        shape = b.get("params", {}).get("gemm")
        key = (backend, name + (f"[{shape}]" if name == "gemm" and shape else ""))
        scores[(key, label)].append(b["primaryMetric"]["score"])
keys = sorted({k for k, _ in scores})
lines = ["| backend | op | old (us/op) | new (us/op) | new/old |", "|---|---|---|---|---|"]
for k in keys:
    o, n = scores.get((k, "old")), scores.get((k, "new"))
    if not o or not n:
        continue
    mo, mn = statistics.median(o), statistics.median(n)
    lines.append(f"| {k[0]} | {k[1]} | {mo:.1f} | {mn:.1f} | {mn / mo:.2f} |")
open(os.path.join(out, "ratios.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
