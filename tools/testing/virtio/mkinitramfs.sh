#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test guest's root filesystem into $BUILD/initramfs.cpio.gz:
# static busybox and its applet links, our init and guest tests, and the
# kernel modules from $BUILD/obj (modules_install, which runs depmod).
#
# usage: mkinitramfs.sh [BUILD]        (default: $BUILD, else <repo>/build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUILD=${1:-${BUILD:-$REPO/build}}
SRC=${SRC:-$BUILD/linux-source-6.12}
OBJ=${OBJ:-$BUILD/obj}
BUSYBOX=${BUSYBOX:-/bin/busybox}
ROOT=$BUILD/initramfs
OUT=$BUILD/initramfs.cpio.gz
GEN_INIT_CPIO=$OBJ/usr/gen_init_cpio

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ -e "$OBJ/arch/x86/boot/bzImage" ] || die "no kernel in $OBJ: run 'make kernel'"
[ -x "$GEN_INIT_CPIO" ] || die "no $GEN_INIT_CPIO: run 'make kernel'"
[ -x "$BUSYBOX" ] || die "no $BUSYBOX: run 'make deps' (busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: install busybox-static"
fi

rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,tests}
cp "$BUSYBOX" "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done

make -s -C "$SRC" O="$OBJ" modules_install INSTALL_MOD_PATH="$ROOT" >/dev/null

install -m 0755 "$HERE/guest/init" "$ROOT/init"
install -m 0644 "$HERE"/guest/tests/*.sh "$ROOT/tests/"

# gen_init_cpio (from the kernel build) writes the device node that the
# kernel needs for init's console, without needing root.
{
	cd "$ROOT"
	find . -mindepth 1 \
		\( -type d -printf 'dir /%P %m 0 0\n' \) -o \
		\( -type l -printf 'slink /%P %l 0777 0 0\n' \) -o \
		\( -type f -printf "file /%P $ROOT/%P %m 0 0\n" \)
	echo "nod /dev/console 0600 0 0 c 5 1"
} >"$BUILD/initramfs.list"
"$GEN_INIT_CPIO" "$BUILD/initramfs.list" | gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB," \
	"$(find "$ROOT/lib/modules" -name '*.ko' 2>/dev/null | wc -l) modules)"
