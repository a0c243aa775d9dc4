#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run after the other tests: kmemleak must find no unreferenced object
# allocated by virtio code.  Leaks elsewhere in the kernel are only counted.
. /tests/lib.sh

K=/sys/kernel/debug/kmemleak

# virtio_guest.config has kmemleak: a guest without it proves nothing.
if [ ! -e $K ]; then
	fail leaks-virtio "no $K in this kernel"
	exit 0
fi
echo scan >$K
sleep 5
echo scan >$K
cat $K >/tmp/leaks
# Each report starts with "unreferenced object"; keep those naming virtio.
awk '
	/^unreferenced object/ { if (r ~ /virtio|vring|virtblk/) printf "%s", r; r = "" }
	{ r = r $0 "\n" }
	END { if (r ~ /virtio|vring|virtblk/) printf "%s", r }
' /tmp/leaks >/tmp/ours
total=$(grep -c '^unreferenced object' /tmp/leaks)
ours=$(grep -c '^unreferenced object' /tmp/ours)
if [ "$ours" -eq 0 ]; then
	echo "vtest: leak scan: $total reports, none from virtio"
	pass leaks-virtio
else
	cat /tmp/ours
	fail leaks-virtio "$ours of $total leak reports are from virtio code"
fi
