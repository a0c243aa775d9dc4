#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_net between two guests, "a" and "b", each with one NIC, joined by
# a QEMU socket link (qemu.py's boot_peers).  Unlike a hub, the link
# pushes back: frames go over a TCP connection between the two QEMUs, and
# a guest that sends faster than its peer takes them in finds QEMU's
# socket full and its transmit queue stalled until the peer drains it.
#
# Checks, on each side: ping the peer; a TCP transfer of the first
# vtest.peer_mb MiB of /dev/vda to the peer (a -> b first, then b -> a),
# busybox nc at both ends, the receiver hashing what arrives and comparing
# it with vtest.peer_sha (the sha256 the host computed of the peer's disk).
# Every wait is bounded; while a transfer runs, the NIC's counters and the
# socket queues are logged every 10 s ("vtest: peer-watch"), so that a
# stall and slowness look different in the log.
. /tests/lib.sh

ROLE=$(cmdline_param vtest.peer)
MB=$(cmdline_param vtest.peer_mb || echo 32)
WANT=$(cmdline_param vtest.peer_sha)
PORT_AB=5101
PORT_BA=5102
case $ROLE in
a) ME=10.99.1.1 PEER=10.99.1.2 ;;
b) ME=10.99.1.2 PEER=10.99.1.1 ;;
*) fail peer-setup "vtest.peer=$ROLE: want a or b"; exit 0 ;;
esac

nic() {
	for _nic in /sys/class/net/*; do
		_drv=$(readlink "$_nic/device/driver" 2>/dev/null)
		[ "${_drv##*/}" != virtio_net ] || { echo "${_nic##*/}"; return 0; }
	done
	return 1
}

# Up to $1 tries of the rest, 1 s apart.
retry_s() {
	_n=$1
	shift
	until "$@" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 1
	done
}

watch() {
	while :; do
		sleep 10
		echo "vtest: peer-watch: $(cut -d' ' -f1 /proc/uptime) s:" \
			"rx $(cat /sys/class/net/$N/statistics/rx_packets) pkts" \
			"$(cat /sys/class/net/$N/statistics/rx_bytes) B," \
			"tx $(cat /sys/class/net/$N/statistics/tx_packets) pkts" \
			"$(cat /sys/class/net/$N/statistics/tx_bytes) B," \
			"drops rx $(cat /sys/class/net/$N/statistics/rx_dropped)" \
			"tx $(cat /sys/class/net/$N/statistics/tx_dropped)"
		netstat -tn 2>/dev/null | grep ':51' | sed 's/^/vtest: peer-watch:   /'
		ethtool -S "$N" 2>/dev/null | grep -E 'stops|timeouts|errors|drops' |
			tr -s ' \n' ' ' | sed 's/^/vtest: peer-watch:   /'
		echo
	done
}

# receive PORT: listen, hash what arrives, compare with WANT.  busybox nc
# as a user would run it, copying the socket to a pipe.
receive() {
	rm -f /tmp/peer.got
	timeout 300 nc -l -p "$1" | sha256sum >/tmp/peer.got
	got=$(cut -d' ' -f1 /tmp/peer.got)
	[ "$got" = "$WANT" ] || {
		echo "got sha256 $got within 300 s, the peer's disk has $WANT"
		return 1
	}
}

# send PORT: the first MB MiB of the disk to the peer, through a pipe
# into nc, which sends it 1 KiB at a time and shuts its side down at the
# end.  The peer may not listen yet: connect again until it does (nc
# fails at once if refused).
send_once() {
	dd if=/dev/vda bs=1M count="$MB" 2>/dev/null | timeout 300 nc "$PEER" "$1"
}

send() {
	t0=$(cut -d' ' -f1 /proc/uptime)
	retry_s 120 send_once "$1" ||
		{ echo "could not send $MB MiB to $PEER:$1"; return 1; }
	t1=$(cut -d' ' -f1 /proc/uptime)
	awk -v b=$((MB * 1048576)) -v t0="$t0" -v t1="$t1" 'BEGIN {
		d = t1 - t0; if (d < 0.01) d = 0.01
		printf "%.1f MB/s (%d bytes in %.2f s, connects included)\n", b / d / 1e6, b, d }'
}

check() {
	name=$1
	shift
	if "$@" >/tmp/peer.why 2>&1; then
		pass "$name"
		[ ! -s /tmp/peer.why ] || echo "VTEST INFO $name: $(tail -n1 /tmp/peer.why)"
	else
		fail "$name" "$(tail -n1 /tmp/peer.why)"
	fi
}

if ! retry_s 30 nic; then
	fail peer-setup "no virtio_net NIC"
	exit 0
fi
N=$(nic)
ip addr add "$ME/24" dev "$N" && ip link set dev "$N" up ||
	{ fail peer-setup "cannot configure $N"; exit 0; }
pass peer-setup

# The peer boots at its own pace: give it two minutes to answer.
check peer-ping retry_s 120 ping -c 1 -W 1 "$PEER"

watch &
WATCH=$!
if [ "$ROLE" = a ]; then
	check peer-tcp-out send $PORT_AB
	check peer-tcp-in receive $PORT_BA
else
	check peer-tcp-in receive $PORT_AB
	check peer-tcp-out send $PORT_BA
fi
kill $WATCH
