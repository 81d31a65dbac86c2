#!/usr/bin/env bash
# The core artifact as a library user gets it: a project that depends on dev.dendrite:dendrite alone
# (docs/consumer/pom.xml) must see no JOCL or JCuda jar in `mvn dependency:tree`, and must train README's notebook
# code on the CPU: the first java block under README's "## The notebook in Java", taken from README.md at each run
# (so the check follows README) and written to src/main/java/Notebook.java of a copy of this project.
#
#   bash docs/consumer/check.sh            # from anywhere; about 3 minutes on 2 quiet cores, most of it the 10 epochs
#
# It installs the library into a TEMPORARY local repository (never ~/.m2), seeded with a copy of ~/.m2/repository
# so that it runs offline where the build does; DENDRITE_CHECK_REPO=DIR reuses one. Needs Fashion-MNIST where
# FashionMnist.load() finds it, else it trains on the bundled sample and says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repo=${DENDRITE_CHECK_REPO:-}
if [ -z "$repo" ]; then
  repo=$(mktemp -d /tmp/dendrite-consumer-m2.XXXXXX)
  if [ -d "$HOME/.m2/repository" ]; then cp -r "$HOME/.m2/repository/." "$repo/"; fi
fi
work=$(mktemp -d /tmp/dendrite-consumer.XXXXXX)
echo "consumer: local repository $repo, project copied to $work"

# -am: the parent poms too, which the installed dendrite pom names.
mvn -B -ntp -q -f "$root/pom.xml" -pl java/core -am -DskipTests -Dmaven.repo.local="$repo" install

cp "$here/pom.xml" "$work/"
mkdir -p "$work/src/main/java"
awk '/^## The notebook in Java/ { under = 1 } under && !done && /^```java$/ { copying = 1; next }
     copying && /^```$/ { copying = 0; done = 1 } copying' "$root/README.md" > "$work/src/main/java/Notebook.java"
grep -q 'class Notebook' "$work/src/main/java/Notebook.java" \
  || { echo "consumer: no Notebook class under README's '## The notebook in Java'" >&2; exit 1; }
cd "$work"
mvn -B -ntp -q -Dmaven.repo.local="$repo" dependency:tree -DoutputFile=tree.txt
cat tree.txt
if grep -Eiq 'jocl|jcuda' tree.txt; then
  echo "consumer: FAILED: dev.dendrite:dendrite brings a GPU binding (above)" >&2
  exit 1
fi
mvn -B -ntp -q -Dmaven.repo.local="$repo" compile dependency:build-classpath -Dmdep.outputFile=cp.txt
java --add-modules jdk.incubator.vector -cp "target/classes:$(cat cp.txt)" Notebook
test -s fashion.safetensors && test -s history.csv
echo "consumer: OK: no JOCL or JCuda jar, and the notebook trained with this class path: $(cat cp.txt)"
