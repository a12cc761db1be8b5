#!/bin/sh
# The demo: build ar, copy the bundled ML example (a small real training
# run in plain Python) into a fresh git repository, and run bare `ar` on
# it: zero configuration, the built-in tuner as the proposer (no model, no
# network), a fixed number of experiments and a fixed seed.  You see the
# plan, the baseline, keeps and discards, and the closing summary.
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

printf '\n$ cd %s\n$ ar --agent tune --seed 1 --max 12\n' "$repo"
"$ar" --agent tune --seed 1 --max 12
printf '\n$ cat results.tsv\n'
cat results.tsv
printf '\nThe demo repository is %s (try `ar status` or `ar run --max 5` there).\n' "$repo"
