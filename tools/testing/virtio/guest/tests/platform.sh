#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The base tree's virtio_crypto, virtio_pmem, virtio_mem and virtio_iommu,
# unmodified, on our core (qemu.py's PlatformRig gives the devices).  Data
# is compared on the far side: what the host wrote by the sha256 sums on
# the command line, what the guest wrote by the host after the boot (the
# guest says "vtest: platform: <key> <sha256>", qemu.py's host-* checks
# compare).  Every wait is bounded.
. /tests/lib.sh

say() { echo "vtest: platform: $1 $2" >&2; }

# write_at DEV OFF:LEN KEY: LEN random bytes at byte OFF of DEV, past the
# page cache and flushed; their sha256 said as KEY for the host's check.
write_at() {
	off=${2%:*} len=${2#*:}
	random /tmp/w "$len" || { echo "no random data"; return 1; }
	say "$3" "$(sha </tmp/w)"
	# shellcheck disable=SC2086
	dd if=/tmp/w of="$1" bs="$len" count=1 seek=$((off / len)) $DD_WRITE \
		2>/tmp/dd.err || { echo "write $len@$off: $(tail -n1 /tmp/dd.err)"; return 1; }
	rm -f /tmp/w
}

# read_all DEV BYTES SHA: DEV has BYTES bytes whose sha256 is SHA.
read_all() {
	size=$(blockdev --getsize64 "$1" 2>/dev/null)
	[ "$size" = "$2" ] || { echo "$1 has $size bytes, the host gave $2"; return 1; }
	# shellcheck disable=SC2086
	got=$(timeout 60 dd if="$1" bs=65536 $DD_READ 2>/dev/null | sha)
	[ "$got" = "$3" ] || { echo "sha256 of $1 is $got, not the host's"; return 1; }
}

# check NAME FUNCTION ARGS...: PASS, or FAIL with what FUNCTION printed.
check() {
	_name=$1
	shift
	if _why=$("$@"); then
		pass "$_name"
	else
		fail "$_name" "$_why"
	fi
}

unbound=
for drv in virtio_crypto virtio_pmem virtio_mem virtio_iommu; do
	ls -d /sys/bus/virtio/drivers/$drv/virtio* >/dev/null 2>&1 || unbound="$unbound $drv"
done
if [ -z "$unbound" ]; then
	pass platform-bound
else
	fail platform-bound "no device bound to:$unbound"
fi

# --- virtio_crypto: cbc(aes) through the device -------------------------

# Interrupts so far on the queues of virtio device $1 (virtioN).
irqs_of() {
	awk -v d="$1-" 'index($NF, d) == 1 {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
	} END { print n + 0 }' /proc/interrupts
}

# The virtioN a driver is bound to.
bound_to() {
	for _d in /sys/bus/virtio/drivers/"$1"/virtio*; do
		[ -e "$_d" ] && echo "${_d##*/}" && return 0
	done
	return 1
}

hex() { od -An -v -tx1 | tr -d ' \n'; }

# guest/afalg.c, bounded: a device that never answers fails the check.
afalg() { timeout 30 /usr/bin/afalg "$@"; }

# SP 800-38A F.2.1 and F.2.2, CBC-AES128, two blocks.
KEY=2b7e151628aed2a6abf7158809cf4f3c
IV=000102030405060708090a0b0c0d0e0f
PT='\x6b\xc1\xbe\xe2\x2e\x40\x9f\x96\xe9\x3d\x7e\x11\x73\x93\x17\x2a'
PT="$PT"'\xae\x2d\x8a\x57\x1e\x03\xac\x9c\x9e\xb7\x6f\xac\x45\xaf\x8e\x51'
CT=7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2

# The device's cbc(aes), chosen by driver name, gives the standard's
# ciphertext and takes it back; interrupts prove the device did the work.
crypto_kat() {
	dev=$(bound_to virtio_crypto) || { echo "virtio_crypto is bound to nothing"; return 1; }
	before=$(irqs_of "$dev")
	# shellcheck disable=SC2059
	got=$(printf "$PT" | afalg virtio_crypto_aes_cbc enc $KEY $IV | hex)
	[ "$got" = "$CT" ] || { echo "encrypted to '$got', SP 800-38A says $CT"; return 1; }
	# shellcheck disable=SC2059
	back=$(printf "$PT" | afalg virtio_crypto_aes_cbc enc $KEY $IV |
		afalg virtio_crypto_aes_cbc dec $KEY $IV | hex)
	# shellcheck disable=SC2059
	[ "$back" = "$(printf "$PT" | hex)" ] || { echo "decrypted to '$back'"; return 1; }
	after=$(irqs_of "$dev")
	[ "$after" -gt "$before" ] || { echo "no interrupt from $dev ($before, $after)"; return 1; }
}

# 64 KiB of random data, a random 256-bit key: the device and the
# generic code agree, both ways.
crypto_compare() {
	random /tmp/c.in 65536
	key=$(dd if=/dev/urandom bs=32 count=1 2>/dev/null | hex)
	iv=$(dd if=/dev/urandom bs=16 count=1 2>/dev/null | hex)
	ours=$(afalg virtio_crypto_aes_cbc enc "$key" "$iv" </tmp/c.in | sha)
	want=$(afalg 'cbc(aes-generic)' enc "$key" "$iv" </tmp/c.in | sha)
	[ "$ours" = "$want" ] || { echo "64 KiB: device and generic cbc(aes) differ"; return 1; }
	back=$(afalg 'cbc(aes-generic)' enc "$key" "$iv" </tmp/c.in |
		afalg virtio_crypto_aes_cbc dec "$key" "$iv" | sha)
	[ "$back" = "$(sha </tmp/c.in)" ] || { echo "64 KiB: the device did not decrypt it"; return 1; }
	rm -f /tmp/c.in
}

# The driver registers its algorithms once the device is ready.
if ! retry_s 30 grep -q '^driver *: virtio_crypto_aes_cbc$' /proc/crypto; then
	fail crypto-aes-cbc "no virtio_crypto_aes_cbc in /proc/crypto in 30 s"
else
	check crypto-aes-cbc crypto_kat
	check crypto-compare crypto_compare
fi

# --- virtio_pmem: /dev/pmem0 is the host's file; a flush goes to the device

# The region's namespace binds to nd_pmem by its modalias.
for alias in /sys/bus/nd/devices/*/modalias; do
	[ -e "$alias" ] && modprobe "$(cat "$alias")" 2>/dev/null
done

pmem_flush() {
	dev=$(bound_to virtio_pmem) || { echo "virtio_pmem is bound to nothing"; return 1; }
	before=$(irqs_of "$dev")
	write_at /dev/pmem0 "$(cmdline_param vtest.pmem_write)" pmem-write-sha || return 1
	after=$(irqs_of "$dev")
	[ "$after" -gt "$before" ] ||
		{ echo "no interrupt from $dev over a write with fsync ($before, $after)"; return 1; }
}

if ! retry_s 10 test -b /dev/pmem0; then
	fail pmem-read "no /dev/pmem0 in 10 s"
else
	check pmem-read read_all /dev/pmem0 "$(cmdline_param vtest.pmem_bytes)" \
		"$(cmdline_param vtest.pmem_sha)"
	check pmem-flush pmem_flush
fi

# --- virtio_mem: the host plugs 256 MiB and takes it back -----------------

memtotal() { awk '/^MemTotal:/ { print $2 }' /proc/meminfo; }

# Wait up to $1 s for MemTotal to be $2 kB.
memtotal_was() { [ "$(memtotal)" = "$1" ]; }
memtotal_is() { retry_s "$1" memtotal_was "$2"; }

full=$(memtotal)
plugged=$((full + 262144))
host_action vmem_size 268435456
if memtotal_is 120 "$plugged"; then
	pass mem-plug
else
	fail mem-plug "MemTotal $(memtotal) kB 120 s after plugging 256 MiB, want $plugged"
fi
host_action vmem_size 0
if memtotal_is 120 "$full"; then
	pass mem-unplug
else
	fail mem-unplug "MemTotal $(memtotal) kB 120 s after unplugging all, want $full"
fi

# --- virtio_iommu: a disk whose DMA it translates --------------------------

# The vd disk that negotiated VIRTIO_F_ACCESS_PLATFORM (bit 33).
iommu_disk() {
	for _b in /sys/block/vd*; do
		_f=$(cat "/sys/bus/virtio/devices/$(virtio_dev_of "${_b##*/}")/features")
		[ "$(echo "$_f" | cut -c34)" = 1 ] || continue
		echo "${_b##*/}"
		return 0
	done
	return 1
}

# Its PCI function is in an IOMMU group with a translating (DMA) domain.
iommu_group() {
	pci=$(readlink -f "/sys/bus/virtio/devices/$(virtio_dev_of "$1")/..")
	[ -e "$pci/iommu_group" ] || { echo "${pci##*/} is in no IOMMU group"; return 1; }
	type=$(cat "$pci/iommu_group/type")
	case $type in
	DMA | DMA-FQ) ;;
	*) echo "${pci##*/}'s IOMMU group has domain type $type, not a translating one"
	   return 1 ;;
	esac
}

VD=$(retry_s 10 iommu_disk)
if [ -z "$VD" ] || ! retry_s 10 test -b "/dev/$VD"; then
	fail iommu-group "no vd disk with VIRTIO_F_ACCESS_PLATFORM"
else
	check iommu-group iommu_group "$VD"
	check iommu-read read_all "/dev/$VD" "$(cmdline_param vtest.iommu_bytes)" \
		"$(cmdline_param vtest.iommu_sha)"
	check iommu-write write_at "/dev/$VD" "$(cmdline_param vtest.iommu_write)" iommu-write-sha
fi
