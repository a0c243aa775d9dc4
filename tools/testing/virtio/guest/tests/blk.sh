#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_blk: the disk, its capacity, raw I/O at several offsets, a resize
# by the host, a filesystem, unbind/bind, module unload/reload.
. /tests/lib.sh

DISK=vda
DEV=/dev/$DISK
DRV=/sys/bus/virtio/drivers/virtio_blk

if ! wait_for -b $DEV; then
	fail blk-present "no $DEV"
	exit 0
fi
pass blk-present

vdev=$(virtio_dev_of $DISK)
drv=$(basename "$(readlink "/sys/bus/virtio/devices/$vdev/driver")")
if [ "$drv" = virtio_blk ]; then
	pass blk-driver
else
	fail blk-driver "$DISK ($vdev) is bound to '$drv', not virtio_blk"
fi

want=$(cmdline_param vtest.disk_sectors)
got=$(cat /sys/block/$DISK/size)
if [ "$got" = "$want" ]; then
	pass blk-capacity
else
	fail blk-capacity "/sys/block/$DISK/size is $got sectors, the host gave ${want:-?}"
fi

# The interrupt mode virtio_pci chose, from the names it gave its handlers
# in /proc/interrupts: with vtest.irq=per-queue a config vector and one per
# queue ("virtioN-config", "virtioN-<queue>"), shared a config vector and
# one for all queues ("virtioN-virtqueues"), intx one line ("virtioN-intx").
irq_mode() {
	irqs=$(grep -o "$vdev-[a-z0-9.]*" /proc/interrupts)
	has() { echo "$irqs" | grep -qx "$vdev-$1"; }
	if has intx; then
		echo intx
	elif has config && has virtqueues; then
		echo shared
	elif has config && echo "$irqs" | grep -qv -e "-config$"; then
		echo per-queue
	else
		echo "none of them (handlers: $(echo $irqs))"
	fi
}
if want=$(cmdline_param vtest.irq); then
	mode=$(irq_mode)
	if [ "$mode" = "$want" ]; then
		pass blk-irq-mode
	else
		fail blk-irq-mode "$vdev uses $mode, want $want"
	fi
fi

# Raw I/O: sizes and offsets in bytes, unaligned to 4 KiB where allowed.
end=$((got * 512))
for io in 0:512 4096:4096 $((1048576 + 512)):1048576 \
	$((7 * 1048576)):$((3 * 1048576)) $((end - 4096)):4096; do
	off=${io%:*} size=${io#*:}
	if why=$(disk_io $DEV "$off" "$size"); then
		pass "blk-io-$size@$off"
	else
		fail "blk-io-$size@$off" "$why"
	fi
done

# Resize: the host grows the disk to 128 MiB; the config-change interrupt
# must reach virtio_blk, which re-reads the capacity.  Then I/O past the old
# end.  The checks below use the grown disk.
new=$((128 * 2048))
if [ "$got" = "$new" ]; then
	fail blk-resize "the disk has $new sectors already"
else
	host_action block_resize $((new * 512))
	i=0
	while [ "$(cat /sys/block/$DISK/size)" != "$new" ] && [ $i -lt 200 ]; do
		i=$((i + 1))
		usleep 100000
	done
	now=$(cat /sys/block/$DISK/size)
	if [ "$now" != "$new" ]; then
		fail blk-resize "$now sectors 20 s after asking for $new (was $got)"
	elif why=$(disk_io $DEV $((100 * 1048576)) 65536); then
		pass blk-resize
	else
		fail blk-resize "I/O at 100 MiB: $why"
	fi
fi

# A filesystem: files survive umount and mount.
fs_check() {
	mke2fs -q -F $DEV >/tmp/mke2fs.log 2>&1 ||
		{ echo "mke2fs: $(tail -n1 /tmp/mke2fs.log)"; return 1; }
	mkdir -p /mnt
	mount -t ext2 $DEV /mnt || return 1
	: >/tmp/sums
	for size in 1 4095 65536 1000000 4194304; do
		dd if=/dev/urandom of=/mnt/f$size bs=$size count=1 \
			iflag=fullblock 2>/dev/null
		echo "$(sha </mnt/f$size) f$size" >>/tmp/sums
	done
	sync
	umount /mnt || { echo "umount failed"; return 1; }
	echo 3 >/proc/sys/vm/drop_caches
	mount -t ext2 $DEV /mnt || { echo "remount failed"; return 1; }
	while read -r sum name; do
		[ "$(sha </mnt/"$name")" = "$sum" ] ||
			{ echo "$name differs after remount"; umount /mnt; return 1; }
	done </tmp/sums
	umount /mnt || { echo "final umount failed"; return 1; }
}
if why=$(fs_check); then
	pass blk-fs
else
	fail blk-fs "$why"
fi

# Unbind and bind the driver.
echo "$vdev" >$DRV/unbind
if wait_gone -e $DEV && [ ! -e /sys/block/$DISK ]; then
	pass blk-unbind
else
	fail blk-unbind "$DEV still there after unbinding $vdev"
fi
echo "$vdev" >$DRV/bind
if ! wait_for -b $DEV; then
	fail blk-rebind "no $DEV after binding $vdev again"
elif why=$(disk_io $DEV 0 65536); then
	pass blk-rebind
else
	fail blk-rebind "$why"
fi

# Unload and reload the module, by modalias as init does.
if ! rmmod virtio_blk; then
	fail blk-reload "rmmod virtio_blk failed"
elif ! wait_gone -e $DEV; then
	fail blk-reload "$DEV still there after rmmod"
elif ! modprobe "$(cat "/sys/bus/virtio/devices/$vdev/modalias")"; then
	fail blk-reload "modprobe by modalias failed"
elif ! wait_for -b $DEV; then
	fail blk-reload "no $DEV after modprobe"
elif why=$(disk_io $DEV 4096 65536); then
	pass blk-reload
else
	fail blk-reload "$why"
fi
