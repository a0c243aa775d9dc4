#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages needed to build the patched kernel and to
# boot and test it under QEMU.  Idempotent: only missing packages are
# installed, and `apt-get update` runs only when something is missing.
# Packages are installed without their recommendations, so everything
# used is listed: the cross libcs (only recommended by the cross gccs)
# link guest/vtest-init.c statically.
#
# usage: deps.sh [PACKAGE...]    with arguments, those packages instead
#                                (tools/virtio/deps.sh uses that)
set -euo pipefail

PACKAGES=(
	build-essential bc bison flex libssl-dev libelf-dev	# kernel build
	cpio xz-utils kmod rsync perl python3			# overlay, initramfs, tests
	ccache sparse						# speed, static checks
	linux-source-6.12					# the base tree
	linux-config-6.12					# Debian's configs (static/debian-config)
	qemu-system-x86 busybox-static e2fsprogs iproute2 ethtool	# the guest
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm	# the arm64 guest
	gcc-powerpc64-linux-gnu libc6-dev-ppc64-cross qemu-system-ppc	# the ppc64 (BE) guest
)
[ $# -eq 0 ] || PACKAGES=("$@")

# Not "dpkg -s | grep -q": under pipefail, grep quitting early can kill
# dpkg with SIGPIPE and a present package looks missing.
installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps: missing packages: ${missing[*]}; run as root" >&2
		exit 1
	}
	SUDO=sudo
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
