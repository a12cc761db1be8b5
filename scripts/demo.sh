#!/bin/sh
# The demo: build ar, copy the bundled ML example (a small real training
# run in plain Python) into a fresh git repository, and run experiments on
# it through `ar`: detection, a session, the baseline, and a few changes
# that ar keeps or reverts, with the ledger at the end.
# Usage: sh scripts/demo.sh            (leaves the demo repository in place)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
sh "$src/scripts/deps.sh"
echo "== building ar"
cmake -S "$src" -B "$src/build" -DAR_TESTS=OFF >/dev/null
cmake --build "$src/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
ar="$src/build/ar"

repo=$(mktemp -d "${TMPDIR:-/tmp}/ar-demo-XXXXXX")
cp -r "$src/examples/ml/." "$repo/"
cd "$repo"
git init -q -b main .
git -c user.name=ar-demo -c user.email=demo@ar.invalid add -A
git -c user.name=ar-demo -c user.email=demo@ar.invalid commit -qm "ml example"

show() { printf '\n$ ar %s\n' "$*"; "$ar" "$@"; }
# The proposer's creative step, played here by sed on one constant.
try() {
	sed -i "s/^$1 = [^ #]*/$1 = $2/" train.py
	printf '\n$ sed: %s = %s; ar step -m "%s"\n' "$1" "$2" "$3"
	"$ar" step -m "$3"
}

show detect
show init --tag demo
show baseline
try CONTEXT 4 "longer context (4 characters)"
try BATCH_SIZE 2048 "bigger batches"
try CONTEXT 6 "longer context (6 characters)"
try LEARNING_RATE 2.0 "higher learning rate"
printf '\n$ echo "# tweak" >> prepare.py; ar step -m "edit the harness"\n'
echo "# tweak" >> prepare.py
"$ar" step -m "edit the harness" || true
printf '\n== results.tsv\n'
cat results.tsv
printf '\n== branch autoresearch/demo\n'
git log --oneline -n 5
printf '\nThe demo repository is %s\n' "$repo"
