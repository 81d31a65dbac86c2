#!/bin/bash
# alternating old/new per round, cpu backend, six ops whose checks changed shape
re='OpBenchmarks\.(columnSums|dropout|adamOverTheNotebookParameters|batchNormBackward|reluBackward|softmaxCrossEntropy)$'
run() { java --add-modules jdk.incubator.vector -jar "$1" "$re" -p backend=cpu -f 1 -wi 2 -i 3 -w 1s -r 1s -rf json -rff "$2-cpu-r$3.json" > "$2-cpu-r$3.log" 2>&1; }
for r in 1 2 3; do
  if [ $((r % 2)) -eq 1 ]; then run /tmp/checks-old-bench.jar old $r; run /tmp/checks-new-bench.jar new $r
  else run /tmp/checks-new-bench.jar new $r; run /tmp/checks-old-bench.jar old $r; fi
done
echo done
