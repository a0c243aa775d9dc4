#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test guest's root filesystem, with the kernel modules from the
# guest's object tree (modules_install, which runs depmod):
#  - GUEST=x86_64 (default): $BUILD/initramfs.cpio.gz from $BUILD/obj, with
#    static busybox and its applet links, ethtool and its libraries, our
#    init and the guest tests;
#  - GUEST=arm64 or ppc64: $BUILD/initramfs-$GUEST.cpio.gz from
#    $BUILD/obj-$GUEST, with guest/vtest-init.c cross-compiled as /init
#    (Debian has no busybox for big-endian ppc64) and /lib/modules/load.list
#    naming the modules it loads.
#
# usage: [GUEST=arch] mkinitramfs.sh [BUILD]   (default: $BUILD, else <repo>/build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUILD=${1:-${BUILD:-$REPO/build}}
SRC=${SRC:-$BUILD/linux-source-6.12}
GUEST=${GUEST:-x86_64}
BUSYBOX=${BUSYBOX:-/bin/busybox}
ETHTOOL=${ETHTOOL:-/usr/sbin/ethtool}
case $GUEST in
x86_64) KARCH=() CROSS= SUFFIX= ;;
arm64) KARCH=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) CROSS=aarch64-linux-gnu- SUFFIX=-arm64 ;;
ppc64) KARCH=(ARCH=powerpc CROSS_COMPILE=powerpc64-linux-gnu-) CROSS=powerpc64-linux-gnu- SUFFIX=-ppc64 ;;
*) echo "mkinitramfs: GUEST=$GUEST: want x86_64, arm64 or ppc64" >&2; exit 1 ;;
esac
OBJ=${OBJ:-$BUILD/obj$SUFFIX}
ROOT=$BUILD/initramfs$SUFFIX
OUT=$BUILD/initramfs$SUFFIX.cpio.gz
GEN_INIT_CPIO=$OBJ/usr/gen_init_cpio

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ -e "$OBJ/vmlinux" ] || die "no kernel in $OBJ: run 'make kernel GUEST=$GUEST'"
[ -x "$GEN_INIT_CPIO" ] || die "no $GEN_INIT_CPIO: run 'make kernel GUEST=$GUEST'"

rm -rf "$ROOT"
mkdir -p "$ROOT"/{proc,sys,dev,tmp,mnt}
make -s -C "$SRC" O="$OBJ" "${KARCH[@]}" modules_install \
	INSTALL_MOD_PATH="$ROOT" >/dev/null

if [ "$GUEST" = x86_64 ]; then
	[ -x "$BUSYBOX" ] || die "no $BUSYBOX: run 'make deps' (busybox-static)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked: install busybox-static"
	fi
	[ -x "$ETHTOOL" ] || die "no $ETHTOOL: run 'make deps' (ethtool)"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,tests}
	cp "$BUSYBOX" "$ROOT/bin/busybox"
	for applet in $("$BUSYBOX" --list-full); do
		[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
	done
	# ethtool, with the libraries it links (busybox has none).
	for f in "$ETHTOOL" $(ldd "$ETHTOOL" | grep -o '/[^ ]*'); do
		install -D "$f" "$ROOT$f"
	done
	# AF_ALG by driver name, for the virtio-crypto checks.
	gcc -static -O2 -Wall -Wextra -Werror -o "$ROOT/usr/bin/afalg" \
		"$HERE/guest/afalg.c" || die "cannot build guest/afalg.c"
	install -m 0755 "$HERE/guest/init" "$ROOT/init"
	install -m 0644 "$HERE"/guest/tests/*.sh "$ROOT/tests/"
else
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror \
		-o "$ROOT/init" "$HERE/guest/vtest-init.c" ||
		die "cannot build guest/vtest-init.c with ${CROSS}gcc"
	# The drivers under test are modules, so that the tests can unload
	# and reload them; the virtio core and transports are built in.
	# virtio_net has no device here; its KUnit suite runs when it loads.
	(cd "$ROOT" && find lib/modules -name 'virtio_blk.ko' -o -name 'virtio-rng.ko' \
		-o -name 'virtio_net.ko' |
		sed 's|^|/|') >"$ROOT/lib/modules/load.list"
fi

# gen_init_cpio (from the kernel build) writes the device node that the
# kernel needs for init's console, without needing root.
{
	cd "$ROOT"
	find . -mindepth 1 \
		\( -type d -printf 'dir /%P %m 0 0\n' \) -o \
		\( -type l -printf 'slink /%P %l 0777 0 0\n' \) -o \
		\( -type f -printf "file /%P $ROOT/%P %m 0 0\n" \)
	echo "nod /dev/console 0600 0 0 c 5 1"
} >"$BUILD/initramfs$SUFFIX.list"
"$GEN_INIT_CPIO" "$BUILD/initramfs$SUFFIX.list" | gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB," \
	"$(find "$ROOT/lib/modules" -name '*.ko' 2>/dev/null | wc -l) modules)"
