#!/bin/bash
# One compute thread (-XX:ActiveProcessorCount=1): process CPU seconds (user+sys) as the measure; alternating.
JAR=${JAR:-bench/target/dendrite-bench.jar}  # the runs used a copy of the build at 96aaf46
OUT=${OUT:-/tmp/cpuspeed-epochs1}
mkdir -p $OUT
for r in 1 2; do
  for n in mlp512 mlp1024; do
    if [ $r = 1 ]; then order="false default"; else order="default false"; fi
    for v in $order; do
      prop=""; [ $v = false ] && prop="-Ddendrite.cpu.gemmPackA=false"
      la=$(cut -d' ' -f1-3 /proc/loadavg)
      /usr/bin/time -f "%U %S %e" -o $OUT/$n-$v-r$r.time java -XX:ActiveProcessorCount=1 --add-modules jdk.incubator.vector $prop -cp $JAR dev.dendrite.bench.EpochBenchmark \
        --network $n --backend cpu --epochs 3 --warmup 1 --train 20000 --json $OUT/$n-$v-r$r.json > $OUT/$n-$v-r$r.log 2>&1
      med=$(python3 -c "import json;d=json.load(open('$OUT/$n-$v-r$r.json'));print(round(d['median_epoch_s'],3), d['cores'])" 2>/dev/null)
      echo "$n packA=$v round $r load $la: median epoch (s, cores) $med; time(user sys wall) $(cat $OUT/$n-$v-r$r.time)"
    done
  done
done
