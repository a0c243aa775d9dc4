#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio_net: two NICs on one QEMU hub.  NIC B moves into a network
# namespace, so that 10.99.0.1 (NIC A, here) and 10.99.0.2 (NIC B, in the
# namespace) talk through the hub only.  Checks: ping both ways (also
# fragmented), a TCP transfer each way checked with sha256 on the far side,
# counters, threaded NAPI, promiscuous mode and MAC address through the
# controlq, queue pairs, ethtool -i/-S/-l/-L, link down/up driven by the
# host, and with a transfer running: ip link down/up, unbind/bind and
# module reload.
#
# The host gives A the MAC address 52:54:00:99:00:01 and B 52:54:00:99:00:02,
# and may put on the kernel command line:
#   vtest.net_mb=N      MiB sent A->B (default 64); B->A sends a quarter
#   vtest.net_pairs=N   queue pairs A must use (its rx-N/tx-N queues)
#   vtest.net_mtu=N     the MTU A must start with (VIRTIO_NET_F_MTU)
#   vtest.net_features=+N,-M,...  feature bits A must (+) or must not (-)
#                       have negotiated: the device's properties took effect
#   vtest.net_link=ID   run net-link: host_action asks for "set_link ID
#                       off" (qemu.py's HOST_ACTIONS, by QMP; ID is A's
#                       netdev or -device id), the guest waits up to 30 s
#                       for A's carrier to drop; then the same with "on".
. /tests/lib.sh

MAC_A=52:54:00:99:00:01
MAC_B=52:54:00:99:00:02
IP_A=10.99.0.1
IP_B=10.99.0.2
DRV=/sys/bus/virtio/drivers/virtio_net
MB=$(cmdline_param vtest.net_mb || echo 64)
NSPID=
A=
B=

# The console: checks write to a file, the host protocol must not.
exec 3>&1

# retry N CMD...: try CMD up to N times, 0.2 s apart.
retry() {
	_tries=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		_tries=$((_tries - 1))
		[ $_tries -gt 0 ] || return 1
		usleep 200000
	done
}

virtio_nics() {
	for _nic in /sys/class/net/*; do
		_drv=$(readlink "$_nic/device/driver" 2>/dev/null)
		[ "${_drv##*/}" != virtio_net ] || echo "${_nic##*/}"
	done
}

stat_of() { cat "/sys/class/net/$1/statistics/$2"; }

# Counter $2 of NIC $1 in B's namespace, from /proc/net/dev
# (1 rx_bytes, 3 rx_errs, 9 tx_bytes).
ns_stat() {
	in_ns cat /proc/net/dev |
		awk -v dev="$1:" -v f="$2" '$1 == dev { print $(f + 1) }'
}

# TCP segments retransmitted so far (/proc/net/snmp), here or, with
# "retrans in_ns", in B's namespace: a slow transfer with many of them
# lost frames on the way.
retrans() {
	"$@" cat /proc/net/snmp |
		awk '$1 == "Tcp:" && !c { for (i = 2; i <= NF; i++)
			if ($i == "RetransSegs") c = i; next }
		     $1 == "Tcp:" { print $c }'
}

# Is feature bit $2 negotiated for NIC $1?
has_feature() {
	[ "$(cut -c$(($2 + 1)) "/sys/class/net/$1/device/features")" = 1 ]
}

listening() { ${2:+in_ns} netstat -ltn | grep -q ":$1 "; }
carrier_is() { [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = "$2" ]; }

# Find A and B, move B into the namespace, address and start both.  Again
# after a module reload, when B is back here.
setup() {
	retry 50 nic_by_mac $MAC_A && retry 50 nic_by_mac $MAC_B ||
		{ echo "want MACs $MAC_A and $MAC_B, virtio NICs: $(virtio_nics)"; return 1; }
	A=$(nic_by_mac $MAC_A)
	B=$(nic_by_mac $MAC_B)
	if [ -z "$NSPID" ]; then
		unshare -n sleep 100000 </dev/null >/dev/null 2>&1 &
		NSPID=$!
		retry 50 ns_apart || { echo "no network namespace"; return 1; }
		in_ns ip link set dev lo up
		# TCP sizes a TSO packet to 1 ms at the flow's rate, 2 segments
		# at least: under TCG (1-2 MB/s) that is 2.  Ask for 16, so that
		# net-tso sees the offload carry the transfer.  A per-namespace
		# setting: B sends too.
		echo 16 >/proc/sys/net/ipv4/tcp_min_tso_segs
		in_ns sh -c 'echo 16 >/proc/sys/net/ipv4/tcp_min_tso_segs'
	fi
	ip link set dev "$B" netns "$NSPID" || { echo "cannot move $B"; return 1; }
	in_ns ip addr add $IP_B/24 dev "$B" &&
		in_ns ip link set dev "$B" up &&
		ip addr add $IP_A/24 dev "$A" &&
		ip link set dev "$A" up || { echo "cannot configure $A and $B"; return 1; }
	retry 100 ping -c 1 -W 1 $IP_B || { echo "$IP_A cannot reach $IP_B"; return 1; }
}

# tcp DIR MIB PORT: send MIB MiB of random data A->B (DIR=out) or B->A
# (in); the sha256 of what arrived must match.  Neither end copies through
# nc, which moves 1 KiB at a time (too little for TCP to build TSO-sized
# packets from, and slow under TCG): the receiver listens and runs
# sha256sum on the socket, the sender runs busybox cat, which hands the
# file to the socket with sendfile.  Leaves the rate in /tmp/net.rate.
tcp() {
	dir=$1 mib=$2 port=$3
	if [ "$dir" = out ]; then
		rx=in_ns tx= to=$IP_B
	else
		rx= tx=in_ns to=$IP_A
	fi
	rm -f /tmp/net.rate /tmp/net.got
	dd if=/dev/urandom of=/tmp/net.data bs=1M count="$mib" 2>/dev/null ||
		{ echo "cannot make $mib MiB of data"; return 1; }
	want=$(sha </tmp/net.data)
	$rx nc -l -p "$port" -e sh -c 'sha256sum >/tmp/net.got' &
	lpid=$!
	retry 50 listening "$port" $rx
	t0=$(cut -d' ' -f1 /proc/uptime)
	# The receiver sees the end when the sender's nc exits; if the sender
	# fails, it may not have connected, and only kill ends the listener.
	$tx timeout 300 nc $to "$port" -e cat /tmp/net.data ||
		kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	t1=$(cut -d' ' -f1 /proc/uptime)
	got=$(cut -d' ' -f1 /tmp/net.got 2>/dev/null)
	rm -f /tmp/net.data
	[ "$got" = "$want" ] ||
		{ echo "far side got sha256 '${got:-nothing}', sent $want"; return 1; }
	awk -v b=$((mib * 1048576)) -v t0="$t0" -v t1="$t1" 'BEGIN {
		d = t1 - t0; if (d < 0.01) d = 0.01
		printf "%.1f MB/s (%d bytes in %.2f s)\n", b / d / 1e6, b, d }' \
		>/tmp/net.rate
}

features_check() {
	for f in $(echo "$1" | tr ',' ' '); do
		bit=${f#[+-]}
		if has_feature "$A" "$bit"; then
			[ "${f%"$bit"}" = + ] || { echo "feature $bit negotiated, should not be"; return 1; }
		else
			[ "${f%"$bit"}" = - ] || { echo "feature $bit not negotiated"; return 1; }
		fi
	done
}

# Segmentation offload shows in the frame counts of net-tcp-out: TSO (A
# sends) and guest TSO (B receives) carry it in far fewer frames than the
# MTU would, here fewer than half.
tso_check() {
	mtu_frames=$((MB * 1048576 / 1448))
	sent=$((txp1 - txp0))
	got=$((rxp1 - rxp0))
	if has_feature "$A" 11 && [ $sent -ge $((mtu_frames / 2)) ]; then
		echo "HOST_TSO4: A sent $MB MiB in $sent frames, $mtu_frames at the MTU"
		return 1
	fi
	if has_feature "$A" 7 && [ $got -ge $((mtu_frames / 2)) ]; then
		echo "GUEST_TSO4: B got $MB MiB in $got frames, $mtu_frames at the MTU"
		return 1
	fi
	echo "A sent $sent frames, B got $got"
}

stats_check() {
	sent=$(($(stat_of "$A" tx_bytes) - tx0))
	got=$(($(ns_stat "$B" 1) - rx0))
	errs="$(stat_of "$A" rx_errors) $(ns_stat "$B" 3)"
	[ $sent -ge $((MB * 1048576)) ] && [ $got -ge $((MB * 1048576)) ] &&
		[ "$errs" = "0 0" ] ||
		{ echo "A sent $sent bytes, B received $got; rx errors A, B: $errs"; return 1; }
}

# NAPI in kernel threads, which may poll on another CPU than the interrupt
# that scheduled them: the driver must keep its callbacks safe then too.
threaded_check() {
	echo 1 >"/sys/class/net/$A/threaded" || { echo "cannot thread $A's NAPI"; return 1; }
	tcp out 8 5004 && tcp in 8 5005
	rc=$?
	echo 0 >"/sys/class/net/$A/threaded"
	return $rc
}

# foreign_frames: how many unicast frames for a MAC nobody has reach A.
foreign_frames() {
	before=$(stat_of "$A" rx_packets)
	in_ns ping -c 30 -i 0.1 -w 5 10.99.0.3 >/dev/null 2>&1
	usleep 300000
	echo $(($(stat_of "$A" rx_packets) - before))
}

# The device drops frames for other MACs unless promiscuous (§5.1.6.5.1).
promisc_check() {
	in_ns arp -i "$B" -s 10.99.0.3 02:00:00:99:00:03 || { echo "arp -s failed"; return 1; }
	ip link set dev "$A" promisc off
	usleep 500000	# the driver sends the command from a work
	off=$(foreign_frames)
	ip link set dev "$A" promisc on
	usleep 500000
	on=$(foreign_frames)
	ip link set dev "$A" promisc off
	in_ns arp -i "$B" -d 10.99.0.3
	[ "$on" -ge 25 ] && [ "$off" -lt 10 ] ||
		{ echo "A got $off frames for a foreign MAC with promisc off, $on with it on"; return 1; }
}

# A new address goes to the device by VIRTIO_NET_CTRL_MAC_ADDR_SET, or it
# drops B's replies to it.
mac_check() {
	ip link set dev "$A" address 52:54:00:99:00:11 || { echo "cannot change the address"; return 1; }
	in_ns ip neigh flush dev "$B"
	ok=0
	ping -c 3 -W 2 $IP_B >/dev/null && ok=1
	ip link set dev "$A" address $MAC_A
	in_ns ip neigh flush dev "$B"
	[ $ok = 1 ] || { echo "no reply to $IP_A at 52:54:00:99:00:11"; return 1; }
	retry 20 ping -c 1 -W 1 $IP_B || { echo "no reply after restoring $MAC_A"; return 1; }
}

pairs_check() {
	n=$(ls -d /sys/class/net/"$A"/queues/rx-* | wc -l)
	m=$(ls -d /sys/class/net/"$A"/queues/tx-* | wc -l)
	[ "$n" = "$1" ] && [ "$m" = "$1" ] ||
		{ echo "$A has $n rx and $m tx queues, want $1 pairs"; return 1; }
	ping -c 3 -W 2 $IP_B >/dev/null || { echo "no ping"; return 1; }
}

# ethtool -i and -S: the driver's name, and per-queue counters that add up
# to the NIC's (read between two reads of the NIC's, for stray frames).
ethtool_info_check() {
	ethtool -i "$A" >/tmp/net.eth || { echo "ethtool -i $A failed"; return 1; }
	grep -qx 'driver: virtio_net' /tmp/net.eth ||
		{ echo "ethtool -i $A: $(head -n1 /tmp/net.eth)"; return 1; }
	for c in rx_packets tx_packets; do
		lo=$(stat_of "$A" $c)
		ethtool -S "$A" >/tmp/net.eth || { echo "ethtool -S $A failed"; return 1; }
		hi=$(stat_of "$A" $c)
		sum=$(awk -v c="${c%_packets}" -F'[ :]+' '
			$2 ~ "^" c "[0-9]+_packets$" { s += $3 } END { print s + 0 }' /tmp/net.eth)
		[ "$sum" -ge "$lo" ] && [ "$sum" -le "$hi" ] ||
			{ echo "ethtool -S $A: ${c%_packets}N_packets add up to $sum, the NIC counted $lo..$hi"; return 1; }
	done
}

# combined PREFIX: the Combined count under ethtool -l's "Pre-set maximums"
# (max) or "Current hardware settings" (cur).
combined() {
	ethtool -l "$A" | awk -v want="$1" '
		/^Pre-set maximums/ { s = "max" } /^Current hardware/ { s = "cur" }
		/^Combined:/ && s == want { print $2 }'
}

# ethtool -l/-L: queue pairs in use changed with a transfer running, then
# a checked transfer on each count; a count beyond the maximum is refused.
ethtool_channels_check() {
	max=$(combined max)
	cur=$(combined cur)
	[ -n "$max" ] && [ "$cur" = "$(ls -d /sys/class/net/"$A"/queues/rx-* | wc -l)" ] ||
		{ echo "ethtool -l $A: combined max '$max', current '$cur'"; return 1; }
	! ethtool -L "$A" combined $((max + 1)) 2>/dev/null ||
		{ echo "ethtool -L $A combined $((max + 1)) succeeded, max $max"; return 1; }
	[ "$(combined cur)" = "$cur" ] || { echo "a refused ethtool -L changed the pairs"; return 1; }
	for n in $(printf '%s\n' 1 "$max" "$cur" | uniq); do
		load_start
		ethtool -L "$A" combined "$n" 2>&1
		rc=$?
		load_stop
		[ $rc = 0 ] || { echo "ethtool -L $A combined $n failed"; return 1; }
		pairs_check "$n" && tcp out 4 5006 || return 1
		echo "$n of $max pairs: $(cat /tmp/net.rate)"
	done
}

link_check() {
	host_action set_link "$1" off >&3
	retry 150 carrier_is "$A" 0 || { echo "carrier of $A still up 30 s after 'set_link $1 off'"; return 1; }
	! ping -c 1 -W 1 $IP_B >/dev/null 2>&1 || { echo "$IP_B answers with the link down"; return 1; }
	host_action set_link "$1" on >&3
	retry 150 carrier_is "$A" 1 || { echo "carrier of $A still down 30 s after 'set_link $1 on'"; return 1; }
	retry 50 ping -c 1 -W 1 $IP_B || { echo "no ping after the link came back"; return 1; }
}

# A transfer A->B in the background, for the teardown checks.
load_start() {
	dd if=/dev/urandom of=/tmp/net.load bs=1M count=8 2>/dev/null
	# A sink: nc closes the connection when its own stdin ends.
	in_ns nc -l -p 5003 -e sha256sum >/dev/null 2>&1 &
	load_srv=$!
	retry 50 listening 5003 ns
	(while cat /tmp/net.load; do :; done) | nc $IP_B 5003 >/dev/null 2>&1 &
	load_cli=$!
	sleep 1
}

load_stop() {
	kill "$load_cli" "$load_srv" 2>/dev/null
	wait "$load_cli" "$load_srv" 2>/dev/null
	rm -f /tmp/net.load
}

# Take A down with a transfer running (NAPI stopped, buffers the device
# holds left to it), up again: traffic flows on.
down_up_check() {
	load_start
	ip link set dev "$A" down
	rc=$?
	usleep 500000
	ip link set dev "$A" up
	load_stop
	[ $rc = 0 ] || { echo "ip link set $A down failed"; return 1; }
	retry 50 carrier_is "$A" 1 || { echo "no carrier after up"; return 1; }
	retry 50 ping -c 1 -W 1 $IP_B || { echo "no ping after down and up"; return 1; }
	tcp out 4 5007
}

# Unbind A with a transfer running, bind it again.
rebind_check() {
	vdev=$(basename "$(readlink "/sys/class/net/$A/device")")
	load_start
	echo "$vdev" >$DRV/unbind
	wait_gone -e "/sys/class/net/$A"
	gone=$?
	load_stop
	[ $gone = 0 ] || { echo "$A still there after unbinding $vdev"; return 1; }
	echo "$vdev" >$DRV/bind
	retry 50 nic_by_mac $MAC_A || { echo "no NIC with $MAC_A after binding $vdev again"; return 1; }
	A=$(nic_by_mac $MAC_A)
	ip addr add $IP_A/24 dev "$A" && ip link set dev "$A" up
	retry 100 ping -c 1 -W 1 $IP_B || { echo "no ping after binding $vdev again"; return 1; }
}

# Unload with a transfer running (both NICs go, B from the namespace too),
# reload by modalias as init does.
reload_check() {
	vdev=$(basename "$(readlink "/sys/class/net/$A/device")")
	load_start
	rmmod virtio_net
	rc=$?
	load_stop
	[ $rc = 0 ] || { echo "rmmod virtio_net failed"; return 1; }
	left="$(virtio_nics) $(in_ns cat /proc/net/dev | grep -o "$B:")"
	[ "$left" = " " ] || { echo "NICs left after rmmod: $left"; return 1; }
	modprobe "$(cat "/sys/bus/virtio/devices/$vdev/modalias")" ||
		{ echo "modprobe by modalias failed"; return 1; }
	setup || return 1
	in_ns ping -c 3 -W 2 $IP_A >/dev/null || { echo "no ping from $IP_B after reload"; return 1; }
}

# After a failure: what each side counted, and the interrupts.
net_diag() {
	for f in rx_packets tx_packets rx_dropped tx_dropped; do
		echo "vtest: net-diag $A $f $(stat_of "$A" $f)"
	done
	in_ns cat /proc/net/dev | sed -n "s/^/vtest: net-diag ns /p"
	grep virtio /proc/interrupts | sed "s/^/vtest: net-diag /"
}

if ! check net-setup setup; then
	[ -z "$NSPID" ] || kill "$NSPID"
	exit 0
fi

drv=$(readlink "/sys/class/net/$A/device/driver")
if [ "${drv##*/}" = virtio_net ]; then
	pass net-driver
else
	fail net-driver "$A is bound to '${drv##*/}', not virtio_net"
fi

if ping -c 3 -w 10 $IP_B >/dev/null && in_ns ping -c 3 -w 10 $IP_A >/dev/null; then
	pass net-ping
else
	fail net-ping "no echo between $IP_A and $IP_B"
	net_diag
fi
# A full 1500-byte frame, and datagrams in six fragments.
if ping -c 2 -W 2 -s 1472 $IP_B >/dev/null && ping -c 2 -W 2 -s 8000 $IP_B >/dev/null &&
	in_ns ping -c 2 -W 2 -s 8000 $IP_A >/dev/null; then
	pass net-ping-large
else
	fail net-ping-large "no echo with 1472 or 8000 bytes of payload"
fi

if want=$(cmdline_param vtest.net_features); then
	check net-features features_check "$want"
fi

tx0=$(stat_of "$A" tx_bytes)
rx0=$(ns_stat "$B" 1)
txp0=$(stat_of "$A" tx_packets)
rxp0=$(ns_stat "$B" 2)
re0=$(retrans)
if check net-tcp-out tcp out "$MB" 5001; then
	echo "VTEST INFO net-throughput $(cat /tmp/net.rate)," \
		"$(($(retrans) - re0)) segments retransmitted"
fi
txp1=$(stat_of "$A" tx_packets)
rxp1=$(ns_stat "$B" 2)
re0=$(retrans in_ns)
if check net-tcp-in tcp in $(((MB + 3) / 4)) 5002; then
	echo "VTEST INFO net-throughput-in $(cat /tmp/net.rate)," \
		"$(($(retrans in_ns) - re0)) segments retransmitted"
fi
check net-stats stats_check
if has_feature "$A" 11 || has_feature "$A" 7; then
	check net-tso tso_check && echo "vtest: net-tso $(cat "$WHY")"
fi
check net-threaded threaded_check

if has_feature "$A" 18; then
	check net-promisc promisc_check
else
	echo "vtest: net-promisc skipped: VIRTIO_NET_F_CTRL_RX not negotiated"
fi
if has_feature "$A" 23; then
	check net-mac mac_check
else
	echo "vtest: net-mac skipped: VIRTIO_NET_F_CTRL_MAC_ADDR not negotiated"
fi
if want=$(cmdline_param vtest.net_pairs); then
	check net-pairs pairs_check "$want"
fi
if want=$(cmdline_param vtest.net_mtu); then
	if [ "$(cat "/sys/class/net/$A/mtu")" = "$want" ]; then
		pass net-mtu
	else
		fail net-mtu "$A has MTU $(cat "/sys/class/net/$A/mtu"), the device said $want"
	fi
fi
check net-ethtool-info ethtool_info_check
check net-ethtool-channels ethtool_channels_check &&
	sed 's/^/vtest: net-ethtool-channels /' "$WHY"
if id=$(cmdline_param vtest.net_link); then
	check net-link link_check "$id"
fi

check net-down-up down_up_check
check net-rebind rebind_check
check net-reload reload_check

kill "$NSPID" 2>/dev/null
