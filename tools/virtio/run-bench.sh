#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-bench.sh BENCH: our ring and the base tree's, side by side.
#
# instr/op: valgrind --tool=callgrind, collecting only inside
#   bench_measure() and not inside bench_device() (the simulated device),
#   so it counts the driver's side: add, kick, interrupt, get_buf.  Two
#   runs (N and 2N round trips); the difference over N removes setup and
#   warm-up.  Deterministic.
# ns/op: wall clock, median of 7 runs in one process, device included.
# "op" is one buffer: for batch, a 32-buffer round trip counts 32.
set -euo pipefail

bench=$1
IR_N=${IR_N:-2000}
NS_N=${NS_N:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v valgrind >/dev/null || { echo "bench: valgrind missing (make deps)" >&2; exit 1; }

instr() {	# ring layout workload indirect iterations -> Ir
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		--collect-atstart=no --toggle-collect=bench_measure \
		--toggle-collect=bench_device \
		"$bench" --ir "$@" >/dev/null 2>"$tmp/log" ||
		{ cat "$tmp/log" >&2; exit 1; }
	sed -n 's/^summary: *//p; s/^totals: *//p' "$tmp/cg" | tail -1 | cut -d' ' -f1
}

per_op() {	# ring layout workload indirect -> instructions per buffer
	local batch=1 a b
	[ "$3" = batch ] && batch=32
	a=$(instr "$@" $((IR_N / batch)))
	b=$(instr "$@" $((2 * IR_N / batch)))
	awk -v a="$a" -v b="$b" -v n="$IR_N" 'BEGIN { printf "%.1f", (b - a) / n }'
}

ns_op() {
	local batch=1
	[ "$3" = batch ] && batch=32
	"$bench" "$@" $((NS_N / batch))
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "ring size 256, EVENT_IDX on for both, one 16-byte readable + one 16-byte"
echo "writable buffer per op; batch = 32 buffers per kick; device inline"
echo "indirect: VIRTIO_RING_F_INDIRECT_DESC negotiated.  The base ring then puts"
echo "every 2-entry buffer in an indirect table; ours uses one from 3 entries"
echo "(VRING_INDIRECT_MIN) or when the ring is out of descriptors, so its"
echo "indirect rows run direct chains."
echo
printf '| %-24s | %13s | %13s | %9s | %10s | %10s | %9s |\n' variant \
	"ours instr/op" "base instr/op" "ratio o/b" "ours ns/op" "base ns/op" \
	"ratio o/b"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' -------------------------- \
	--------------- --------------- ----------- ------------ ------------ -----------
for layout in split packed; do
	for work in single batch; do
		for ind in direct indirect; do
			oi=$(per_op ours $layout $work $ind)
			bi=$(per_op base $layout $work $ind)
			on=$(ns_op ours $layout $work $ind)
			bn=$(ns_op base $layout $work $ind)
			printf '| %-24s | %13s | %13s | %9s | %10s | %10s | %9s |\n' \
				"$layout $work $ind" "$oi" "$bi" "$(ratio $oi $bi)" \
				"$on" "$bn" "$(ratio $on $bn)"
		done
	done
done
