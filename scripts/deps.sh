#!/bin/sh
# Install the Debian packages ar needs to build, when they are missing.
# Usage: scripts/deps.sh [--tests]     (run as root, or with sudo available)
# --tests adds what the tests need; chromium (which renders `ar plot`'s
# chart in one test) is optional: when it cannot be installed, that test
# says so and is skipped.
set -eu
pkgs="pkg-config libgit2-dev libyaml-dev libpcre2-dev libjansson-dev"
optional=""
if [ "${1:-}" = "--tests" ]; then
	pkgs="$pkgs libcmocka-dev valgrind"
	optional="chromium"
fi
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
missing_optional=""
for p in $optional; do
	installed "$p" || command -v "$p" >/dev/null 2>&1 || missing_optional="$missing_optional $p"
done
[ -z "$missing$missing_optional" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
elif [ -n "$missing" ]; then
	echo "ar: please install as root: apt-get install$missing$missing_optional" >&2
	exit 1
else
	echo "ar: optional:$missing_optional not installed (needs root); its test is skipped" >&2
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "ar: installing missing packages:$missing$missing_optional" >&2
$SUDO apt-get update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$missing_optional" ]; then
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing_optional >/dev/null ||
		echo "ar: could not install$missing_optional; the test that needs it is skipped" >&2
fi
