#!/bin/sh
# Install the Debian packages ar needs to build, when they are missing.
# Usage: scripts/deps.sh [--tests]     (run as root, or with sudo available)
set -eu
pkgs="pkg-config libgit2-dev libyaml-dev libpcre2-dev libjansson-dev"
[ "${1:-}" = "--tests" ] && pkgs="$pkgs libcmocka-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "ar: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "ar: please install as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
