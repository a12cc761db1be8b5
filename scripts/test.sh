#!/bin/sh
# Build ar and run the whole test suite twice: a normal build with warnings
# as errors, then the same suite under AddressSanitizer + UBSan.
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
run_suite build
run_suite build-asan -DAR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== all tests passed (normal and ASan+UBSan builds)"
