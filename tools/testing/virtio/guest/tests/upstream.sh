#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The base tree's own virtio drivers, unmodified, on our core: virtio_scsi,
# virtio_console, 9pnet_virtio, virtiofs, virtio_balloon, virtio_input
# (qemu.py's UpstreamRig gives the devices).  Each check moves data through
# a device and compares it on the far side: what the host sent against the
# sha256 sums on the command line (vtest.*_sha), what the guest sent by
# the host after the boot -- the guest says "vtest: upstream: <key>
# <sha256>" for it and qemu.py's host-* checks compare.  The balloon and
# the keyboard are driven by the host through QMP (host actions), the
# balloon's stats checked there (host check balloon_stats).  Every wait is
# bounded, so that a hang fails instead of stalling the boot.
. /tests/lib.sh

BYTES=$(cmdline_param vtest.xfer_bytes || echo 1048576)

# On stderr (the console too, see init), so that checks in $(...) can say.
say() { echo "vtest: upstream: $1 $2" >&2; }

# Wait up to $1 s for a test(1) expression to hold.
wait_s() {
	_n=$(($1 * 10))
	shift
	while ! test "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		usleep 100000
	done
}

# The driver bound to virtio device $1 (virtioN).
driver_of() { basename "$(readlink "/sys/bus/virtio/devices/$1/driver")"; }

# The virtio device (virtioN) that sysfs device $1 sits on.
virtio_above() {
	_d=$(readlink -f "$1")
	while [ -n "$_d" ] && [ "$_d" != / ]; do
		case ${_d##*/} in
		virtio[0-9]*) echo "${_d##*/}"; return 0 ;;
		esac
		_d=${_d%/*}
	done
	return 1
}

# --- Binding: init loaded each driver by its device's modalias -------------

unbound=
for drv in virtio_scsi virtio_console 9pnet_virtio virtiofs virtio_balloon virtio_input; do
	ls -d /sys/bus/virtio/drivers/$drv/virtio* >/dev/null 2>&1 ||
		unbound="$unbound $drv"
done
if [ -z "$unbound" ]; then
	pass upstream-bound
else
	fail upstream-bound "no device bound to:$unbound"
fi

# --- virtio_console: hvc0 and two named ports ------------------------------

# The /dev node of the virtio-serial port named $1.
port_of() {
	for _p in /sys/class/virtio-ports/*; do
		[ "$(cat "$_p/name" 2>/dev/null)" = "$1" ] || continue
		[ -c "/dev/${_p##*/}" ] || return 1
		echo "/dev/${_p##*/}"
		return 0
	done
	return 1
}

# The ports come up one control message at a time: give them 10 s.
OUT=$(retry_s 10 port_of org.vtest.out)
IN=$(retry_s 10 port_of org.vtest.in)
if [ -z "$OUT" ] || [ -z "$IN" ]; then
	fail serial-ports "named ports: $(cat /sys/class/virtio-ports/*/name 2>/dev/null |
		tr '\n' ' ')(want org.vtest.out, org.vtest.in)"
elif [ "$(driver_of "$(virtio_above "/sys/class/virtio-ports/${OUT#/dev/}/device")")" \
	!= virtio_console ]; then
	fail serial-ports "$OUT is not on a virtio_console device"
elif ! wait_s 10 -c /dev/hvc0; then
	fail serial-ports "no /dev/hvc0 (the virtconsole)"
else
	pass serial-ports
fi

# The host checks what arrives in its files (host-hvc0, host-serial-out):
# no PASS here.  A port's write blocks while the device's queue is full,
# so bound it.  First, so that QEMU has the boot's rest to drain it.
if [ -c /dev/hvc0 ]; then
	echo "vtest-hvc0 $(cmdline_param vtest.hvc_marker)" |
		timeout 10 dd of=/dev/hvc0 2>/dev/null ||
		fail hvc0-write "cannot write to /dev/hvc0 in 10 s"
fi
if [ -n "$OUT" ]; then
	random /tmp/out "$BYTES"
	say serial-out-sha "$(sha </tmp/out)"
	timeout 60 dd if=/tmp/out of="$OUT" bs=65536 2>/tmp/dd.err ||
		fail serial-out-write "$OUT: $(tail -n1 /tmp/dd.err)"
	rm -f /tmp/out
fi

# Host to guest: QEMU reads its file while the port is open, and closes
# the port (EOF here) at the file's end.
serial_in() {
	timeout 60 head -c "$BYTES" "$IN" >/tmp/in
	got=$(sha </tmp/in)
	size=$(wc -c </tmp/in)
	rm -f /tmp/in
	[ "$got" = "$(cmdline_param vtest.serial_in_sha)" ] ||
		{ echo "read $size bytes in 60 s, sha256 $got, not the host's"; return 1; }
}
if [ -n "$IN" ]; then
	if why=$(serial_in); then
		pass serial-in
	else
		fail serial-in "$why"
	fi
fi

# --- virtio_scsi: the disk, its queues, its data, unaligned writes ---------

# The sd disk on a virtio_scsi device.
scsi_disk() {
	for _b in /sys/block/sd*; do
		[ -e "$_b/device" ] || continue
		_v=$(virtio_above "$_b/device") || continue
		[ "$(driver_of "$_v")" = virtio_scsi ] || continue
		echo "${_b##*/}"
		return 0
	done
	return 1
}

# The SCSI scan runs asynchronously, and slowly under TCG: 30 s.
SD=$(retry_s 30 scsi_disk)
if [ -z "$SD" ] || ! wait_s 10 -b "/dev/$SD"; then
	fail scsi-disk "no sd disk on a virtio_scsi device in 30 s"
else
	size=$(($(cat /sys/block/$SD/size) * 512))
	if [ "$size" = "$(cmdline_param vtest.scsi_bytes)" ]; then
		pass scsi-disk
	else
		fail scsi-disk "$SD has $size bytes, the host gave $(cmdline_param vtest.scsi_bytes)"
	fi

	# num_queues=2, 2 CPUs: one blk-mq hardware queue per request queue.
	queues=$(ls /sys/block/$SD/mq | wc -l)
	if [ "$queues" = 2 ]; then
		pass scsi-queues
	else
		fail scsi-queues "/sys/block/$SD/mq has $queues entries, want 2"
	fi

	# shellcheck disable=SC2086
	got=$(timeout 60 dd if=/dev/$SD bs=65536 $DD_READ 2>/dev/null | sha)
	if [ "$got" = "$(cmdline_param vtest.scsi_sha)" ]; then
		pass scsi-read
	else
		fail scsi-read "sha256 of /dev/$SD is $got, not the host's"
	fi

	# Writes at byte offsets (vtest.scsi_writes=off:len,...), through the
	# page cache, which reads, modifies and writes back whole blocks.
	# Flushed and dropped, read back from the device; host-scsi-writes
	# finds them, and nothing else changed, in the image.
	scsi_writes() {
		for w in $(cmdline_param vtest.scsi_writes | tr ',' ' '); do
			off=${w%:*} len=${w#*:}
			random /tmp/w.$off "$len" || { echo "no random data"; return 1; }
			say "scsi-write-$off" "$(sha </tmp/w.$off)"
			dd if=/tmp/w.$off of=/dev/$SD bs="$len" count=1 seek="$off" \
				oflag=seek_bytes conv=notrunc 2>/tmp/dd.err ||
				{ echo "write $len@$off: $(tail -n1 /tmp/dd.err)"; return 1; }
		done
		sync
		blockdev --flushbufs /dev/$SD || { echo "blockdev --flushbufs failed"; return 1; }
		echo 3 >/proc/sys/vm/drop_caches
		for w in $(cmdline_param vtest.scsi_writes | tr ',' ' '); do
			off=${w%:*} len=${w#*:}
			got=$(dd if=/dev/$SD bs="$len" count=1 skip="$off" iflag=skip_bytes \
				2>/dev/null | sha)
			[ "$got" = "$(sha </tmp/w.$off)" ] ||
				{ echo "read back $len@$off differs from what was written"; return 1; }
			rm -f /tmp/w.$off
		done
	}
	if why=$(scsi_writes); then
		pass scsi-unaligned-write
	else
		fail scsi-unaligned-write "$why"
	fi
fi

# --- 9pnet_virtio and virtiofs: read the host's file, write one -----------

# share NAME TYPE SOURCE OPTIONS SHA: mount, check host.bin against SHA,
# write guest.bin and read it back after a remount (from the host: neither
# caches file data past umount).  Checks NAME-read, NAME-write.
share() {
	name=$1 type=$2 src=$3 opts=$4 want=$5
	mnt=/mnt/$name
	mkdir -p $mnt
	# shellcheck disable=SC2086
	if ! timeout 30 mount -t $type $opts $src $mnt 2>/tmp/mount.err; then
		fail $name-read "mount -t $type $src: $(tail -n1 /tmp/mount.err)"
		fail $name-write "not mounted"
		return
	fi
	got=$(timeout 60 cat $mnt/host.bin | sha)
	if [ "$got" = "$want" ]; then
		pass $name-read
	else
		fail $name-read "host.bin has sha256 $got, not the host's"
	fi
	random /tmp/w "$BYTES"
	wrote=$(sha </tmp/w)
	say $name-write-sha "$wrote"
	if ! timeout 60 cp /tmp/w $mnt/guest.bin; then
		fail $name-write "cannot write $mnt/guest.bin"
	elif ! timeout 30 umount $mnt; then
		fail $name-write "umount $mnt failed"
	else
		echo 3 >/proc/sys/vm/drop_caches
		# shellcheck disable=SC2086
		if ! timeout 30 mount -t $type $opts $src $mnt; then
			fail $name-write "remount failed"
		elif [ "$(timeout 60 cat $mnt/guest.bin | sha)" = "$wrote" ]; then
			pass $name-write
		else
			fail $name-write "guest.bin differs after a remount"
		fi
	fi
	rm -f /tmp/w
	timeout 30 umount $mnt 2>/dev/null
}

share 9p 9p vtest9p "-o trans=virtio,version=9p2000.L" "$(cmdline_param vtest.9p_sha)"
share vfs virtiofs vtestfs "" "$(cmdline_param vtest.vfs_sha)"

# --- virtio_input: a key pressed on the host ------------------------------

# The evdev node of the virtio keyboard.
keyboard() {
	for _e in /sys/class/input/event*; do
		[ "$(cat "$_e/device/name" 2>/dev/null)" = "QEMU Virtio Keyboard" ] || continue
		_v=$(virtio_above "$_e/device") || continue
		[ "$(driver_of "$_v")" = virtio_input ] || continue
		[ -c "/dev/input/${_e##*/}" ] || continue
		echo "/dev/input/${_e##*/}"
		return 0
	done
	return 1
}

# struct input_event on x86_64: 16 bytes of time, u16 type, u16 code,
# s32 value.  EV_KEY (1) KEY_A (30), value 1 pressed, 0 released.
key_seen() {
	od -An -tu2 -w24 -v /tmp/ev | awk -v v="$1" \
		'$9 == 1 && $10 == 30 && $11 == v && $12 == 0 { found = 1 } END { exit !found }'
}

# Has the reader opened $KBD yet?
reading() {
	for _f in /proc/"$reader"/fd/*; do
		[ "$(readlink "$_f")" != "$KBD" ] || return 0
	done
	return 1
}

# Read events from before the host sends the key (evdev queues events for
# open files only), then wait for its press and release.  The reader off
# $(...)'s pipe, which would wait for it; the request on stderr, to the
# console.
input_key() {
	timeout 60 dd if="$KBD" of=/tmp/ev bs=24 >/dev/null 2>&1 &
	reader=$!
	retry_s 10 reading || { kill $reader 2>/dev/null; echo "cannot read $KBD"; return 1; }
	host_action send_key a >&2
	i=0
	until key_seen 1 && key_seen 0; do
		i=$((i + 1))
		[ $i -lt 100 ] || break
		usleep 200000
	done
	kill $reader 2>/dev/null
	key_seen 1 || { echo "no KEY_A press in 20 s ($(wc -c </tmp/ev) bytes of events)"; return 1; }
	key_seen 0 || { echo "KEY_A pressed, not released, in 20 s"; return 1; }
}

KBD=$(retry_s 10 keyboard)
if [ -z "$KBD" ]; then
	fail input-device "no evdev node named 'QEMU Virtio Keyboard' on a virtio_input device"
else
	pass input-device
	if why=$(input_key); then
		pass input-key
	else
		fail input-key "$why"
	fi
fi

# --- virtio_balloon: stats, inflate to half the RAM, deflate ---------------

memtotal() { awk '/^MemTotal:/ { print $2 }' /proc/meminfo; }

# Wait up to $1 s for MemTotal to be $2 kB.
memtotal_is() {
	i=0
	while [ "$(memtotal)" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt $(($1 * 5)) ] || return 1
		usleep 200000
	done
}

# The driver takes the pages it gives the host out of MemTotal (no
# deflate-on-oom), so inflating to half the RAM takes exactly half of it.
# The host serves its requests in order: when MemTotal shrinks, the stats
# check (host-balloon-stats) before it is done.  Inflating 512 MiB takes
# many round trips under TCG: 120 s.
RAM_MB=$(cmdline_param vtest.ram_mb)
full=$(memtotal)
half=$((full - RAM_MB * 512))
host_action balloon_stats "$full"
host_action balloon $((RAM_MB * 524288))
if memtotal_is 120 "$half"; then
	pass balloon-inflate
else
	asked="asking for $((RAM_MB / 2)) MiB"
	fail balloon-inflate "MemTotal $(memtotal) kB 120 s after $asked, want $half (was $full)"
fi
host_action balloon $((RAM_MB * 1048576))
if memtotal_is 120 "$full"; then
	pass balloon-deflate
else
	fail balloon-deflate "MemTotal $(memtotal) kB 120 s after asking for $RAM_MB MiB, want $full"
fi
