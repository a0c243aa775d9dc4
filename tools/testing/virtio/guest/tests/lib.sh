# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the guest tests.  Each check prints exactly one line,
# "VTEST PASS <name>" or "VTEST FAIL <name>: <reason>".

pass() { echo "VTEST PASS $1"; }
fail() { echo "VTEST FAIL $1: $2"; }

# Ask the host for an action through QEMU's monitor, e.g. "host_action
# block_resize 134217728" (qemu.py's HOST_ACTIONS); the caller polls for
# its effect.
host_action() { echo "VTEST HOST $*"; }

# The value of name=value on the kernel command line.
cmdline_param() {
	for arg in $(cat /proc/cmdline); do
		case "$arg" in
		"$1"=*) echo "${arg#*=}"; return 0 ;;
		esac
	done
	return 1
}

# Wait up to 10 s for a test(1) expression to hold.
wait_for() {
	i=0
	while ! test "$@"; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		usleep 100000
	done
}

# Wait up to 10 s for a test(1) expression to stop holding.
wait_gone() {
	i=0
	while test "$@"; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		usleep 100000
	done
}

# Up to $1 s of tries of the rest, 0.2 s apart; its output on success.
retry_s() {
	_n=$(($1 * 5))
	shift
	until "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		usleep 200000
	done
}

sha() { sha256sum | cut -d' ' -f1; }

# random FILE SIZE: SIZE bytes from /dev/urandom.
random() { dd if=/dev/urandom of="$1" bs="$2" count=1 iflag=fullblock 2>/dev/null; }

# The name (virtioN) of the virtio device behind block device $1.
virtio_dev_of() { basename "$(readlink "/sys/block/$1/device")"; }

# O_DIRECT when this busybox dd has it; otherwise fsync and drop caches.
if dd --help 2>&1 | grep -q 'oflag=.*direct'; then
	DD_WRITE="oflag=direct conv=fsync"
	DD_READ="iflag=direct"
else
	DD_WRITE="conv=fsync"
	DD_READ=
fi

# disk_io DEV OFFSET SIZE: write SIZE random bytes at byte OFFSET of DEV,
# read them back past the page cache, compare the sha256 sums.
# Prints a reason and fails on a mismatch.
disk_io() {
	dev=$1 off=$2 size=$3 bs=512
	for b in 65536 4096; do
		if [ $((off % b)) -eq 0 ] && [ $((size % b)) -eq 0 ]; then
			bs=$b
			break
		fi
	done
	random /tmp/pattern "$size" || { echo "no random data"; return 1; }
	want=$(sha </tmp/pattern)
	# shellcheck disable=SC2086
	dd if=/tmp/pattern of="$dev" bs=$bs seek=$((off / bs)) \
		count=$((size / bs)) $DD_WRITE 2>/tmp/dd.err ||
		{ echo "write failed: $(tail -n1 /tmp/dd.err)"; return 1; }
	[ -n "$DD_READ" ] || echo 3 >/proc/sys/vm/drop_caches
	# shellcheck disable=SC2086
	got=$(dd if="$dev" bs=$bs skip=$((off / bs)) count=$((size / bs)) \
		$DD_READ 2>/tmp/dd.err | sha)
	rm -f /tmp/pattern
	[ "$got" = "$want" ] ||
		{ echo "read back $got, wrote $want ($(tail -n1 /tmp/dd.err))"; return 1; }
}

# Where check() keeps what its command printed.
WHY=/tmp/vtest.why

# check NAME CMD...: run CMD in this shell (it may set variables); on
# failure the last line it printed is the reason, and all it printed goes
# to the log as "vtest: NAME: ..." lines.
check() {
	name=$1
	shift
	if "$@" >"$WHY" 2>&1; then
		pass "$name"
		return 0
	fi
	fail "$name" "$(tail -n1 "$WHY")"
	sed "s/^/vtest: $name: /" "$WHY"
	return 1
}

# Run a command in the network namespace of process $NSPID.
in_ns() { nsenter -F -t "$NSPID" -n "$@"; }

# Has $NSPID's network namespace become its own yet?
ns_apart() { [ "$(readlink /proc/"$NSPID"/ns/net)" != "$(readlink /proc/self/ns/net)" ]; }

# The NIC of this namespace with MAC address $1.
nic_by_mac() {
	for _nic in /sys/class/net/*; do
		if [ "$(cat "$_nic/address" 2>/dev/null)" = "$1" ]; then
			echo "${_nic##*/}"
			return 0
		fi
	done
	return 1
}
