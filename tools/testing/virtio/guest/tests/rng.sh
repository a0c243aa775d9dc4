#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-rng: /dev/hwrng is fed by a virtio_rng device; reading works;
# the module unloads and reloads.
. /tests/lib.sh

CURRENT=/sys/class/misc/hw_random/rng_current

# /dev/hwrng exists and the hw_random core uses a virtio_rng (within 10 s).
rng_check() {
	wait_for -c /dev/hwrng || { echo "no /dev/hwrng"; return 1; }
	i=0
	while :; do
		cur=$(cat $CURRENT 2>/dev/null)
		case "$cur" in
		virtio_rng.*) return 0 ;;
		esac
		i=$((i + 1))
		[ $i -lt 100 ] || break
		usleep 100000
	done
	echo "rng_current is '$cur', not virtio_rng.*"
	return 1
}

if why=$(rng_check); then
	pass rng-current
else
	fail rng-current "$why"
fi

if ! timeout 30 dd if=/dev/hwrng of=/tmp/rng bs=4096 count=1 iflag=fullblock 2>/tmp/dd.err; then
	fail rng-read "reading 4096 bytes: $(tail -n1 /tmp/dd.err)"
elif [ "$(wc -c </tmp/rng)" -ne 4096 ]; then
	fail rng-read "read $(wc -c </tmp/rng) bytes, wanted 4096"
else
	pass rng-read
	# Distinct byte values: 1 would mean a constant stream.
	if [ "$(hexdump -v -e '1/1 "%02x\n"' /tmp/rng | sort -u | wc -l)" -gt 1 ]; then
		pass rng-random
	else
		fail rng-random "4096 bytes all equal"
	fi
fi

vdev=$(basename "$(readlink -f /sys/bus/virtio/drivers/virtio_rng/virtio* 2>/dev/null | head -n1)")
if [ -z "$vdev" ] || [ ! -e "/sys/bus/virtio/devices/$vdev" ]; then
	fail rng-reload "no virtio device bound to virtio_rng"
elif ! rmmod virtio_rng; then
	fail rng-reload "rmmod virtio_rng failed"
elif ! modprobe "$(cat "/sys/bus/virtio/devices/$vdev/modalias")"; then
	fail rng-reload "modprobe by modalias failed"
elif why=$(rng_check) && timeout 30 dd if=/dev/hwrng of=/dev/null bs=64 count=1 2>/dev/null; then
	pass rng-reload
else
	fail rng-reload "${why:-reading after reload failed}"
fi
