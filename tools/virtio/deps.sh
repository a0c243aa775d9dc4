#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages tools/virtio needs: compilers with ASan,
# UBSan and libFuzzer, valgrind for the benchmark, and the base tree's
# source for its ring.  Only what dpkg says is missing is installed.
set -euo pipefail

PACKAGES=(
	gcc libc6-dev make binutils	# stress, tests, bench
	libasan8 libubsan1		# gcc's sanitizer runtimes (Debian 12)
	clang libclang-rt-14-dev	# the fuzzer: -fsanitize=fuzzer
	valgrind			# bench: instructions per round trip
	xz-utils linux-source-6.12	# bench: the base tree's virtio_ring.c
)

# Not "dpkg -s | grep -q": under pipefail, grep quitting early can kill
# dpkg with SIGPIPE and a present package looks missing.
installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = \
	  "install ok installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "tools/virtio deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "tools/virtio deps: missing ${missing[*]}; run as root" >&2
		exit 1
	}
	SUDO=sudo
fi

echo "tools/virtio deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
