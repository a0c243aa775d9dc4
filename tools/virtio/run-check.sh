#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run test programs (separated by --), pass their PASS/FAIL lines through
# and close with one "N passed, N failed" for them all.  A program that
# dies without a summary counts as a failure.
set -uo pipefail

pass=0 fail=0
run() {
	local out rc
	out=$(mktemp)
	"$@" 2>&1 | tee "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
	rc=${PIPESTATUS[0]}
	pass=$((pass + $(grep -c '^PASS ' "$out")))
	fail=$((fail + $(grep -c '^FAIL ' "$out")))
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $(basename "$1"): exit status $rc"
		fail=$((fail + 1))
	fi
	rm -f "$out"
}

cmd=()
for arg in "$@"; do
	if [ "$arg" = -- ]; then
		run "${cmd[@]}"
		cmd=()
	else
		cmd+=("$arg")
	fi
done
[ ${#cmd[@]} -gt 0 ] && run "${cmd[@]}"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
