#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: show the virtio devices and their drivers, write random data
# to the disk and read it back, read the hardware RNG.
. /tests/lib.sh

attr() { cat "$1" 2>/dev/null || echo '?'; }

echo
echo "---- devices on /sys/bus/virtio ----"
printf '%-9s %-10s %-10s %-12s %s\n' DEVICE ID VENDOR DRIVER FEATURES
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d" ] || continue
	drv=-
	[ ! -e "$d/driver" ] || drv=$(basename "$(readlink "$d/driver")")
	printf '%-9s %-10s %-10s %-12s %s\n' "$(basename "$d")" \
		"$(attr "$d/device")" "$(attr "$d/vendor")" "$drv" \
		"$(attr "$d/features")"
done
bound() {
	for dev in /sys/bus/virtio/drivers/"$1"/virtio*; do
		[ -e "$dev" ] && return 0
	done
	return 1
}
if bound virtio_blk && bound virtio_rng; then
	pass demo-devices
else
	fail demo-devices "want a device bound to virtio_blk and one to virtio_rng"
fi

echo
echo "---- disk: 1 MiB of random data at 1 MiB on /dev/vda ----"
if ! wait_for -b /dev/vda; then
	fail demo-disk "no /dev/vda"
elif why=$(disk_io /dev/vda 1048576 1048576); then
	echo "written, read back past the cache: sha256 sums match"
	pass demo-disk
else
	fail demo-disk "$why"
fi

echo
echo "---- 64 bytes from /dev/hwrng (rng_current: $(attr /sys/class/misc/hw_random/rng_current)) ----"
if dd if=/dev/hwrng bs=64 count=1 iflag=fullblock 2>/dev/null >/tmp/rng64 &&
	[ "$(wc -c </tmp/rng64)" -eq 64 ]; then
	hexdump -C /tmp/rng64
	pass demo-hwrng
else
	fail demo-hwrng "could not read 64 bytes from /dev/hwrng"
fi
