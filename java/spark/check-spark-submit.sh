#!/usr/bin/env bash
# Checks README's spark-submit command on a machine without a Spark distribution (this project's machines reach
# Maven Central but not archive.apache.org or dlcdn.apache.org). A distribution's bin/spark-submit runs
# bin/spark-class, which asks Spark's launcher (org.apache.spark.launcher.Main, in $SPARK_HOME/jars) for the java
# command of org.apache.spark.deploy.SparkSubmit, with Spark's Java 17 module options, and runs it. This script
# builds that SPARK_HOME from Maven Central's Spark jars (the `provided` closure of java/spark: RELEASE and jars/)
# and does the same through `spark_submit` below, then runs the README's command on local[2] and checks its output.
#
#   bash java/spark/check-spark-submit.sh          # SKIP_BUILD=1 to reuse the last build; MVN_FLAGS (e.g. -o)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q ${MVN_FLAGS:-} -DskipTests -pl java/cli,java/spark -am package
fi
export SPARK_HOME="$ROOT/java/spark/target/spark-home"
export SPARK_SCALA_VERSION=2.13   # what bin/load-spark-env.sh exports for a Scala 2.13 distribution
if [ ! -f "$SPARK_HOME/RELEASE" ]; then
  rm -rf "$SPARK_HOME"
  # test-compile: the reactor then resolves dendrite to its build output (it is not installed anywhere).
  mvn -B -q ${MVN_FLAGS:-} -pl java/spark -am test-compile dependency:copy-dependencies -DincludeScope=provided \
      -DoutputDirectory="$SPARK_HOME/jars"
  echo "Spark from Maven Central, checked by java/spark/check-spark-submit.sh" > "$SPARK_HOME/RELEASE"
fi
# Spark logs at INFO without a conf/log4j2.properties; WARN keeps the check's output to the comparison's own.
mkdir -p "$SPARK_HOME/conf"
printf 'rootLogger.level = warn\nrootLogger.appenderRef.stderr.ref = console\nappender.console.type = Console\nappender.console.name = console\nappender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %%d{HH:mm:ss} %%p %%c{1}: %%m%%n\n' \
    > "$SPARK_HOME/conf/log4j2.properties"
echo "SPARK_HOME: $SPARK_HOME ($(ls "$SPARK_HOME/jars" | wc -l) jars, $(du -sh "$SPARK_HOME/jars" | cut -f1))"

# What bin/spark-submit does: spark-class with SparkSubmit. Spark's launcher prints its messages, a NUL and a
# newline, then the java command as NUL-separated arguments (Spark's Java 17 module options included); run that.
spark_submit() {
  local cmd=() started=false arg
  while IFS= read -r -d '' arg; do
    if $started; then
      [ ${#cmd[@]} -eq 0 ] && arg=${arg#$'\n'}
      cmd+=("$arg")
    else
      [ -n "$arg" ] && echo "$arg" >&2
      started=true
    fi
  done < <(java -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit "$@")
  [ ${#cmd[@]} -gt 0 ] || { echo "Spark's launcher gave no command" >&2; return 1; }
  "${cmd[@]}"
}

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cd java   # the README's command runs from java/, where the jars are cli/target and spark/target
# The README's command, with --master local[2] and the bundled sample (README: --master spark://host:7077).
SPARK_LOCAL_IP=127.0.0.1 spark_submit --master 'local[2]' \
    --conf spark.ui.enabled=false \
    --jars cli/target/dendrite-cli.jar \
    --class dev.dendrite.spark.SubmitCompare spark/target/dendrite-spark-0.1.0-SNAPSHOT.jar \
    --sample --vary activation=relu,tanh --layers 32 --epochs 2 --validation 500 -o "$OUT/compare-out" \
    2> >(grep -v -e WARN -e 'log4j' -e 'Setting default log level' -e 'To adjust logging' >&2) | tee "$OUT/log"

fail() { echo "FAILED: $*" >&2; exit 1; }
grep -q "Spark (local\[2\]): 2 runs in .* 0 failed" "$OUT/log" || fail "no 'Spark (local[2]): 2 runs ... 0 failed' line"
for f in report.html results.csv; do
  [ -s "$OUT/compare-out/$f" ] || fail "compare-out/$f was not written"
done
models=$(find "$OUT/compare-out/models" -name '*.safetensors' | wc -l)
[ "$models" -eq 2 ] || fail "expected 2 models in compare-out/models, found $models"
echo "OK: spark-submit (Spark's launcher, Maven Central jars) ran dendrite compare on local[2]: 2 runs, report, 2 models"
