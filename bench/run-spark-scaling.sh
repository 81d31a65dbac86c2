#!/usr/bin/env bash
# Time for N configurations on k Spark workers: the same N small configurations (bundled Fashion-MNIST sample)
# run one after another without Spark (cpu backend on 1 thread, then on every core), then on a standalone Spark
# Master with k one-core Workers on loopback addresses for each k; writes bench/results/spark-scaling.json and
# spark-scaling.svg (java/spark's SparkScalingBenchmark, run from its test class path).
#
#   bash bench/run-spark-scaling.sh
#
# Environment: KS (default "1 2 3 4"), CONFIGS (8), LAYERS (256,256), EPOCHS (6), ROUNDS (1; the order alternates between rounds),
# DATA (sample, or a folder of Fashion-MNIST IDX files), NAME (spark-scaling: the files written under
# bench/results/), MVN_FLAGS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
KS=${KS:-1 2 3 4}
CONFIGS=${CONFIGS:-8}
EPOCHS=${EPOCHS:-6}
LAYERS=${LAYERS:-256,256}
ROUNDS=${ROUNDS:-1}
DATA=${DATA:-sample}
NAME=${NAME:-spark-scaling}
RESULTS=bench/results
mkdir -p "$RESULTS"
# Compiles java/spark's tests (and what they need) and writes their class path (Spark included: it is `provided`
# there); test-compile makes the reactor resolve dendrite to its build output, which is installed nowhere.
mvn -B -q ${MVN_FLAGS:-} -pl java/spark -am test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="java/spark/target/test-classes:java/spark/target/classes:$(cat java/spark/target/classpath.txt)"
# The JVM options Spark needs on Java 17: surefire's argLine in java/spark/pom.xml, the one list of them.
JVM_OPTS=$(sed -n '/<argLine>/,/<\/argLine>/p' java/spark/pom.xml | sed 's/<[^>]*>//g' | tr -s ' \n' ' ')
echo "== $CONFIGS configurations ($LAYERS, $EPOCHS epochs), k in ($KS); load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
# shellcheck disable=SC2086
SPARK_LOCAL_IP=127.0.0.1 java $JVM_OPTS -Dspark.ui.enabled=false -cp "$CP" dev.dendrite.spark.SparkScalingBenchmark \
    --k "$(echo $KS | tr ' ' ',')" --configs "$CONFIGS" --layers "$LAYERS" --epochs "$EPOCHS" --rounds "$ROUNDS" --data "$DATA" \
    --json "$RESULTS/$NAME.json" --svg "$RESULTS/$NAME.svg" --work java/spark/target/spark-scaling \
    2> >(grep -v -e WARN -e ' INFO ' -e '^\s*$' -e 'Using Spark' -e 'log4j' -e 'Setting default log level' -e 'To adjust logging' >&2)
