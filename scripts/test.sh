#!/bin/sh
# Build ar and run the whole test suite twice: a normal build with warnings
# as errors, then the same suite under AddressSanitizer + UBSan; then a
# subset of the unit tests under valgrind (in the normal build).
# Usage: scripts/test.sh            (from anywhere; builds under ./build*)
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh --tests
jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
	dir=$1; shift
	echo "== $dir: configure and build"
	cmake -S . -B "$dir" -DAR_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	echo "== $dir: tests"
	(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}
# Valgrind over the unit tests of the parsers and the git layer (children
# they start are not traced).  tests/valgrind/ar.supp says what is
# suppressed, and why.
vg_tests="test_config test_ledger test_metric test_git test_git_scan test_expr test_regex test_decide"
valgrind_suite() {
	dir=$1
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "== valgrind: skipped: valgrind is not installed (scripts/deps.sh --tests installs it)"
		return 0
	fi
	echo "== $dir: $vg_tests under valgrind"
	re="^($(echo $vg_tests | tr ' ' '|'))\$"
	supp="$(pwd)/tests/valgrind/ar.supp"
	rm -f "$dir"/Testing/Temporary/MemoryChecker.*.log
	rc=0
	(cd "$dir" && ctest -T memcheck --output-on-failure -j "$jobs" -R "$re" --timeout 600 \
		--overwrite MemoryCheckCommand="$(command -v valgrind)" \
		--overwrite MemoryCheckCommandOptions="--leak-check=full --error-exitcode=1 --num-callers=30" \
		--overwrite MemoryCheckSuppressionFile="$supp") >"$dir/valgrind.log" 2>&1 || rc=$?
	grep -v 'DartConfiguration.tcl' "$dir/valgrind.log" || true
	if [ "$rc" -ne 0 ]; then
		for log in "$dir"/Testing/Temporary/MemoryChecker.*.log; do
			grep -q 'ERROR SUMMARY: [1-9]' "$log" && cat "$log"
		done
		exit 1
	fi
}
run_suite build
run_suite build-asan -DAR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
valgrind_suite build
echo "== all tests passed (normal, ASan+UBSan and valgrind)"
