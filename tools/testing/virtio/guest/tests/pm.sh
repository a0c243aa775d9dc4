#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Sleep and wake with virtio-blk, virtio-net and virtio-rng in use: each
# driver's freeze resets its device and deletes its queues, restore builds
# them again (virtio_device_freeze/restore()).  Each cycle:
#   - starts a 4 MiB O_DIRECT write of random data to the disk, so that the
#     suspend finds requests in flight (they are requeued and finish after
#     resume);
#   - sleeps: <name>-sleep;
#   - checks that each device's queue interrupts count from zero again,
#     i.e. its queues were deleted and made anew: <name>-reset;
#   - checks the write finished, reads it back past the cache, and leaves
#     it for the host to compare ("vtest: pm: <name>@<offset> <sha256>",
#     qemu.py's LifecycleRig): <name>-blk;
#   - pings NIC B from NIC A (two NICs on a QEMU hub, B in a network
#     namespace): <name>-net; reads /dev/hwrng: <name>-rng.
# The cycles: /sys/power/pm_test=devices with freeze (s2idle's path) and
# with mem (S3's; the kernel resumes by itself after 5 s), and a real
# suspend to RAM (ACPI S3) woken by the host's QMP system_wakeup
# (host_action wakeup, which fails unless QEMU saw the guest suspended).
# Not a real s2idle: nothing wakes it under QEMU here (the RTC alarm of a
# running guest sets no ACPI RTC event, and HPET takes its interrupt).
. /tests/lib.sh

MAC_A=52:54:00:99:00:01
MAC_B=52:54:00:99:00:02
IP_A=10.99.0.1
IP_B=10.99.0.2
DISK=/dev/vda
MIB=1048576
NSPID=

exec 3>&1

setup() {
	retry_s 10 nic_by_mac $MAC_A >/dev/null && retry_s 10 nic_by_mac $MAC_B >/dev/null ||
		{ echo "no NICs $MAC_A and $MAC_B"; return 1; }
	A=$(nic_by_mac $MAC_A)
	B=$(nic_by_mac $MAC_B)
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 &
	NSPID=$!
	retry_s 10 ns_apart || { echo "no network namespace"; return 1; }
	ip link set dev "$B" netns "$NSPID" &&
		in_ns ip addr add $IP_B/24 dev "$B" &&
		in_ns ip link set dev "$B" up &&
		ip addr add $IP_A/24 dev "$A" &&
		ip link set dev "$A" up || { echo "cannot configure $A and $B"; return 1; }
	retry_s 20 ping -c 1 -W 1 $IP_B >/dev/null || { echo "$IP_A cannot reach $IP_B"; return 1; }
	# The hw_random core's own reads would blur rng's interrupt count.
	echo 0 >/sys/class/misc/hw_random/rng_quality 2>/dev/null
	grep -q '^virtio_rng' /sys/class/misc/hw_random/rng_current ||
		{ echo "rng_current is $(cat /sys/class/misc/hw_random/rng_current)"; return 1; }
	BLK_IRQ="$(virtio_dev_of vda)-requestq"	# every queue
	NET_IRQ="$(basename "$(readlink /sys/class/net/$A/device)")-input.0"
	RNG_IRQ="$(basename /sys/bus/virtio/drivers/virtio_rng/virtio*)-requestq"
	echo "devices: $DISK ($BLK_IRQ), $A ($NET_IRQ), $B in a namespace, rng ($RNG_IRQ)"
}

# Interrupts so far on the handlers whose names start with $1, all CPUs.
irqs() {
	awk -v n="$1" 'index($NF, n) == 1 { for (i = 2; i <= NF; i++)
		if ($i ~ /^[0-9]+$/) s += $i; else break }
		END { print s + 0 }' /proc/interrupts
}

# Traffic on each device, so that its interrupt count is well above what
# the few requests after a resume raise.
busy() {
	dd if=$DISK of=/dev/null bs=4096 count=1024 $DD_READ 2>/dev/null &&
		in_ns ping -c 200 -i 0.01 -q $IP_A >/dev/null &&
		dd if=/dev/hwrng of=/dev/null bs=64 count=200 2>/dev/null
}

# reset_seen BEFORE AFTER: the counts of one handler over a cycle.
reset_seen() {
	[ "$1" -ge 150 ] || { echo "only $1 interrupts before the cycle"; return 1; }
	[ "$2" -lt $(($1 / 2)) ] ||
		{ echo "$2 interrupts after it, $1 before: queues not made anew"; return 1; }
}

resets() {
	reset_seen "$b_blk" "$a_blk" || { echo "blk: $(reset_seen "$b_blk" "$a_blk")"; return 1; }
	reset_seen "$b_net" "$a_net" || { echo "net: $(reset_seen "$b_net" "$a_net")"; return 1; }
	reset_seen "$b_rng" "$a_rng" || { echo "rng: $(reset_seen "$b_rng" "$a_rng")"; return 1; }
}

# The write that was in flight finished and reads back as written.
blk_after() {
	wait "$writer" || { echo "the write across the cycle failed: $(tail -n1 /tmp/pm-dd.err)"; return 1; }
	got=$(dd if=$DISK bs=65536 skip=$((off / 65536)) count=64 $DD_READ 2>/dev/null | sha)
	[ "$got" = "$want" ] || { echo "read back $got, wrote $want"; return 1; }
}

rng_after() {
	timeout 20 dd if=/dev/hwrng of=/tmp/rng bs=64 count=16 iflag=fullblock 2>/dev/null &&
		[ "$(wc -c </tmp/rng)" -eq 1024 ] || { echo "no 1024 bytes from /dev/hwrng"; return 1; }
}

# sleep_now STATE: write STATE to /sys/power/state, which returns on wake.
sleep_now() {
	echo "$1" >/sys/power/state 2>/tmp/pm-state.err ||
		{ echo "echo $1 >/sys/power/state: $(cat /tmp/pm-state.err)"; return 1; }
}

# cycle NAME INDEX PM_TEST STATE [MEM_SLEEP [host]]
cycle() {
	cyc=$1 off=$(($2 * 4 * MIB)) pm_test=$3 state=$4 mem_sleep=$5 wake=$6
	busy
	random /tmp/pm-pattern $((4 * MIB))
	want=$(sha </tmp/pm-pattern)
	b_blk=$(irqs "$BLK_IRQ") b_net=$(irqs "$NET_IRQ") b_rng=$(irqs "$RNG_IRQ")
	# shellcheck disable=SC2086
	dd if=/tmp/pm-pattern of=$DISK bs=65536 seek=$((off / 65536)) count=64 \
		$DD_WRITE 2>/tmp/pm-dd.err &
	writer=$!
	echo "$pm_test" >/sys/power/pm_test
	[ -z "$mem_sleep" ] || echo "$mem_sleep" >/sys/power/mem_sleep
	[ "$wake" != host ] || host_action wakeup
	check "$cyc-sleep" sleep_now "$state"
	a_blk=$(irqs "$BLK_IRQ") a_net=$(irqs "$NET_IRQ") a_rng=$(irqs "$RNG_IRQ")
	echo none >/sys/power/pm_test
	echo "vtest: $cyc: interrupts before/after: blk $b_blk/$a_blk net $b_net/$a_net rng $b_rng/$a_rng"
	check "$cyc-reset" resets
	check "$cyc-blk" blk_after
	check "$cyc-net" retry_s 10 ping -c 1 -W 1 $IP_B
	check "$cyc-rng" rng_after
	echo "vtest: pm: $cyc@$off $want"
}

if ! check pm-setup setup; then
	exit 0
fi
cycle pm-test-freeze 1 devices freeze
cycle pm-test-mem 2 devices mem deep
# After a resume from S3, QEMU 7.2's q35 ignores the ACPI S5 request of
# the poweroff that ends the boot ("reboot" returns, a lockdep splat), so
# the real S3 runs only when asked for: vtest.pm_s3=1.
if ! cmdline_param vtest.pm_s3 >/dev/null; then
	:
elif grep -q deep /sys/power/mem_sleep; then
	cycle pm-s3 3 none mem deep host
else
	fail pm-s3 "no deep (S3) in /sys/power/mem_sleep: $(cat /sys/power/mem_sleep)"
fi
kill "$NSPID" 2>/dev/null
