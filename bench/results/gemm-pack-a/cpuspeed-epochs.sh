#!/bin/bash
# Alternating old (packA=false) / new (default) EpochBenchmark runs; wall epoch medians from JSON, CPU seconds from /usr/bin/time.
JAR=${JAR:-bench/target/dendrite-bench.jar}  # the runs used a copy of the build at 96aaf46
OUT=${OUT:-/tmp/cpuspeed-epochs}
mkdir -p $OUT
for r in 1 2; do
  for n in mlp512 bn256 mlp1024; do
    if [ $r = 1 ]; then order="false default"; else order="default false"; fi
    for v in $order; do
      prop=""; [ $v = false ] && prop="-Ddendrite.cpu.gemmPackA=false"
      la=$(cut -d' ' -f1-3 /proc/loadavg)
      /usr/bin/time -f "%U %S %e" -o $OUT/$n-$v-r$r.time java --add-modules jdk.incubator.vector $ISAFLAG $prop -cp $JAR dev.dendrite.bench.EpochBenchmark \
        --network $n --backend cpu --epochs 3 --warmup 1 --train 10000 --json $OUT/$n-$v-r$r.json > $OUT/$n-$v-r$r.log 2>&1
      med=$(python3 -c "import json;d=json.load(open('$OUT/$n-$v-r$r.json'));print(d.get('median_epoch_s', d.get('epoch_seconds_median', '?')))" 2>/dev/null)
      echo "$n packA=$v round $r load $la: median epoch $med s; time(user sys wall) $(cat $OUT/$n-$v-r$r.time)"
    done
  done
done
