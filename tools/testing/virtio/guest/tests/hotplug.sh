#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hot-plug and hot-unplug with I/O running (qemu.py's HotplugRig gives
# three empty PCIe root ports, rp1 to rp3).  Each cycle plugs a device in,
# uses it, and asks the host to pull it while I/O is in flight:
#   hotplug-blk: a virtio-blk (id hotblk) appears, takes a 1 MiB write that
#     reads back, then O_DIRECT writes run in a loop across the unplug: the
#     writer must end (its requests complete, or fail with -EIO) and the
#     disk must go; every cycle's disk has the first one's name (vdb).
#   hotplug-scsi: the same through a virtio-scsi (id hotscsi) with one
#     disk (sda), the base tree's driver loaded by the device's modalias
#     as udev would; the controller is pulled, its disk with it.  ACPI
#     hot-plug only, for now (see below).
#   hotplug-net: a virtio-net (id hotnic) appears, pings NIC B (in a
#     network namespace, on the same QEMU hub), then a TCP transfer runs
#     across the unplug: the NIC must go; every cycle's NIC has the first
#     one's name.
# vtest.hotplug_cycles=N cycles of each (3 by default; `make
# hotplug-stress` runs 100).  One check per device type, failing at the
# first cycle that fails; "vtest: hotplug-<type>: K of N cycles" says how
# many passed.
. /tests/lib.sh

MAC_B=52:54:00:99:00:02
MAC_C=52:54:00:99:00:03
IP_B=10.98.0.2
IP_C=10.98.0.3
MIB=1048576
NSPID=
CYCLES=$(cmdline_param vtest.hotplug_cycles || echo 3)

# Written when the background writer ends.
DONE=/tmp/hotplug.done

# The console: check() keeps what its command prints, the host must see this.
exec 3>&1
ask() { host_action "$@" >&3; }

# spawn CMD...: CMD in the background, its pid added to $JOBS.  Closed
# stdio and no fd 3: the test runner's tee reads the console pipe to its
# end, so a job left holding it would keep the boot from ever finishing.
JOBS=
spawn() {
	"$@" </dev/null >/dev/null 2>&1 3>&- &
	JOBS="$JOBS $!"
}
# shellcheck disable=SC2086
reap() { [ -z "$JOBS" ] || kill $JOBS 2>/dev/null; JOBS=; }

setup() {
	retry_s 10 nic_by_mac $MAC_B >/dev/null || { echo "no NIC $MAC_B"; return 1; }
	B=$(nic_by_mac $MAC_B)
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 3>&- &
	NSPID=$!
	retry_s 10 ns_apart || { echo "no network namespace"; return 1; }
	ip link set dev "$B" netns "$NSPID" &&
		in_ns ip addr add $IP_B/24 dev "$B" &&
		in_ns ip link set dev "$B" up || { echo "cannot configure $B"; return 1; }
	random /tmp/hotplug-pattern $((4 * MIB))
}

# Native PCIe hot-plug (vtest.pciehp=1) presses the slot's attention
# button for each plug and unplug, and the guest acts 5 s later unless
# pressed again (PCIe 6.7.1.5): an unplug waits out that window after its
# plug, as someone at the slot would.
PRESS_WINDOW=$([ "$(cmdline_param vtest.pciehp)" = 1 ] && echo 6 || echo 0)
PLUGGED=0

# unplug ID: ask for device ID to go, the press window after its plug.
unplug() {
	while [ $(($(date +%s) - PLUGGED)) -lt "$PRESS_WINDOW" ]; do
		usleep 200000
	done
	ask device_del "$1"
}

# plug TEST PROPS...: ask for the device until TEST sees it, 5 s apart,
# for 30 s (qemu.py waits for the id to be free before it plugs).
plug() {
	_seen=$1
	shift
	for _try in 1 2 3 4 5 6; do
		PLUGGED=$(date +%s)
		ask device_add "$@"
		retry_s 5 "$_seen" >/dev/null && return 0
	done
	return 1
}

# The block device that is not vda, if any.
hot_disk() {
	for _d in /sys/block/vd*; do
		[ "${_d##*/}" = vda ] || [ ! -e "$_d" ] || { echo "${_d##*/}"; return 0; }
	done
	return 1
}

hot_nic() { nic_by_mac $MAC_C; }

ended() { [ -s $DONE ]; }

# writer DEV: write DEV until a write fails or DEV goes.  dd would create
# a plain file in place of a node that is gone (a disk whose last writes
# all finished before it went); one made in the race is removed, or the
# next cycle's node could not be made.
writer() {
	# shellcheck disable=SC2086
	while [ -b "$1" ] &&
		dd if=/tmp/hotplug-pattern of="$1" bs=65536 count=64 conv=notrunc $DD_WRITE; do
		:
	done
	[ ! -f "$1" ] || rm -f "$1"
	echo ended >$DONE
}

blk_cycle() {
	plug hot_disk driver=virtio-blk-pci id=hotblk bus=rp1 drive=hotdisk ||
		{ echo "no disk 30 s after device_add"; return 1; }
	disk_cycle BLK_NAME "$(hot_disk)" hotblk 1 "$1"
}

# The SCSI disk, if any: the guest has no other.
hot_sd() {
	for _d in /sys/block/sd*; do
		[ -e "$_d" ] && { echo "${_d##*/}"; return 0; }
	done
	return 1
}

# What udev does for a new device: load the driver its modalias names.
load_drivers() {
	for _v in /sys/bus/virtio/devices/*; do
		[ -e "$_v/driver" ] || modprobe "$(cat "$_v/modalias")" 2>/dev/null
	done
	return 0
}

# A SCSI disk, once its driver is loaded.
scsi_seen() { load_drivers; hot_sd; }

# The disk goes on the controller once QEMU has it; the controller's scan,
# or its hot-plug event, finds the disk.
plug_scsi() {
	PLUGGED=$(date +%s)
	ask device_add driver=virtio-scsi-pci id=hotscsi bus=rp3
	ask device_add driver=scsi-hd id=hotsd bus=hotscsi.0 drive=hotscsidisk
	retry_s 30 scsi_seen >/dev/null
}

# slot_off N: root port rpN's slot is powered off, the guest done with
# the device that was in it.  A device plugged before that can leave
# native PCIe hot-plug's slot blinking for good (Linux 6.12, QEMU 7.2).
slot_off() {
	_p=/sys/bus/pci/slots/$1/power
	[ ! -e "$_p" ] || [ "$(cat "$_p")" = 0 ]
}

# gone SLOT TEST: TEST no longer holds and SLOT is off, within 30 s.
gone() {
	_slot=$1
	shift
	retry_s 30 sh -c "! $*" || return 1
	retry_s 30 slot_off "$_slot" || { echo "slot $_slot still powered 30 s after"; return 1; }
}

# disk_cycle NAME_VAR DISK DEV_ID SLOT CYCLE: the disk's name must be the
# one in $NAME_VAR (set by the first cycle); write, read back, then writes
# in a loop while DEV_ID is pulled from SLOT.
disk_cycle() {
	eval "_first=\$$1"
	[ -z "$_first" ] || [ "$2" = "$_first" ] ||
		{ echo "the disk is $2, the first one was $_first"; return 1; }
	eval "$1=$2"
	disk_io "/dev/$2" $((($5 % 32) * MIB)) $MIB || return 1
	: >$DONE
	spawn writer "/dev/$2"
	usleep 300000
	unplug "$3"
	retry_s 60 ended || { echo "writes to $2 still running 60 s after device_del"; return 1; }
	gone "$4" test -e "/sys/block/$2" || { echo "$2 still there 30 s after device_del"; return 1; }
}

scsi_cycle() {
	plug_scsi || { echo "no SCSI disk 30 s after device_add"; return 1; }
	disk_cycle SCSI_NAME "$(hot_sd)" hotscsi 3 "$1"
}

tx_bytes() { cat "/sys/class/net/$1/statistics/tx_bytes"; }

# sent NIC SINCE N: has NIC sent N bytes more than it had at SINCE?
sent() { [ $(($(tx_bytes "$1") - $2)) -ge "$3" ]; }

net_cycle() {
	plug hot_nic driver=virtio-net-pci id=hotnic bus=rp2 netdev=hotnet mac=$MAC_C ||
		{ echo "no NIC $MAC_C 30 s after device_add"; return 1; }
	c=$(hot_nic)
	[ -z "$NET_NAME" ] || [ "$c" = "$NET_NAME" ] ||
		{ echo "the NIC is $c, the first one was $NET_NAME"; return 1; }
	NET_NAME=$c
	ip addr add $IP_C/24 dev "$c" && ip link set dev "$c" up ||
		{ echo "cannot configure $c"; return 1; }
	retry_s 20 ping -c 1 -W 1 $IP_B >/dev/null || { echo "$c cannot reach $IP_B"; return 1; }
	# A port per cycle: a connection cut by the unplug is never closed.
	port=$((5100 + $1))
	# With -e: a plain nc ends the connection when its own stdin ends.
	spawn nsenter -F -t "$NSPID" -n nc -l -p $port -e sh -c 'cat >/dev/null'
	retry_s 10 sh -c "nsenter -t $NSPID -n netstat -ltn | grep -q ':$port '" ||
		{ echo "no listener on $IP_B:$port"; return 1; }
	tx=$(tx_bytes "$c")
	spawn nc $IP_B $port -e dd if=/dev/zero bs=65536 count=100000
	retry_s 30 sent "$c" "$tx" $MIB ||
		{ echo "$(($(tx_bytes "$c") - tx)) bytes sent in 30 s, not 1 MiB"; return 1; }
	unplug hotnic
	gone 2 "grep -qx $MAC_C /sys/class/net/*/address" ||
		{ echo "$c still there 30 s after device_del"; return 1; }
}

# cycles NAME FUNCTION: run FUNCTION $CYCLES times, stop at a failure.
cycles() {
	_done=0
	while [ $_done -lt "$CYCLES" ]; do
		"$2" $_done || { echo "cycle $((_done + 1)) of $CYCLES: $(tail -n1 "$WHY.cycle")"; break; }
		# TCP retries for minutes over a NIC that is gone: end both sides.
		reap
		_done=$((_done + 1))
	done >"$WHY.cycle" 2>&1
	echo "vtest: $1: $_done of $CYCLES cycles" >&3
	cat "$WHY.cycle"
	[ $_done -eq "$CYCLES" ]
}

if ! check hotplug-setup setup; then
	exit 0
fi
check hotplug-blk cycles hotplug-blk blk_cycle
reap
# Not under native PCIe hot-plug yet: there the second virtio-scsi's slot
# is left with its power indicator blinking, and QEMU refuses its unplug
# (not understood yet; the blk and net cycles pass there).
if [ "$PRESS_WINDOW" = 0 ]; then
	check hotplug-scsi cycles hotplug-scsi scsi_cycle
	reap
fi
check hotplug-net cycles hotplug-net net_cycle
reap
kill "$NSPID" 2>/dev/null
