#!/bin/sh
# Run every libFuzzer harness in BUILD_DIR over its seed corpus, then fuzz
# it for SECONDS more (new inputs go to a temporary directory, never into
# the source tree).  Fails on the first crash, leak or timeout, naming the
# input that caused it.
# Usage: tests/fuzz/smoke.sh BUILD_DIR CORPUS_DIR [SECONDS]
set -eu
build=$1 corpus=$2 secs=${3:-4}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ar-fuzz-smoke-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
found=0
for h in "$build"/fuzz_*; do
	[ -f "$h" ] && [ -x "$h" ] || continue
	name=$(basename "$h" | sed 's/^fuzz_//')
	found=$((found + 1))
	mkdir -p "$tmp/$name"
	echo "== fuzz_$name: seeds in $corpus/$name, then $secs s"
	if ! "$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$tmp/$name-" \
		"$tmp/$name" "$corpus/$name" >"$tmp/$name.log" 2>&1; then
		cat "$tmp/$name.log"
		for a in "$tmp/$name"-*; do
			[ -f "$a" ] || continue
			echo "== the input (base64; make it a test in tests/unit/test_fuzz_regressions.c):"
			base64 "$a"
		done
		exit 1
	fi
	grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE)' "$tmp/$name.log" || true
done
[ "$found" -gt 0 ] || { echo "no fuzz_* harness in $build" >&2; exit 1; }
echo "== $found harnesses: no crash"
