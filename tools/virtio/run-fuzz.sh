#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-fuzz.sh check|grow SECONDS OUTDIR -- LIBFUZZER-ARGS...
#
# check: each target (split, packed) runs SECONDS/2 from corpus/<target>;
#        new inputs go to OUTDIR, corpus/ is left alone.  PASS/FAIL lines
#        and "N passed, N failed".
# grow:  the same, then inputs that add coverage are merged into corpus/.
set -uo pipefail
cd "$(dirname "$0")"

mode=$1 seconds=$2 out=$3
shift 4
half=$(( seconds / 2 > 0 ? seconds / 2 : 1 ))
pass=0 fail=0

for t in split packed; do
	new=$out/fuzz-new-$t log=$out/fuzz-$t.log
	mkdir -p "$new" corpus/$t
	"$out/fuzz-$t" "$new" corpus/$t -max_total_time=$half \
		-artifact_prefix="$out/$t-" "$@" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "PASS fuzz/$t: ${execs:-?} executions in ${half}s, $cov"
		pass=$((pass + 1))
	else
		why=$(grep -m1 -E '^INVARIANT|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer|deadly signal' "$log")
		echo "FAIL fuzz/$t: ${why:-exit $rc}; input: $(ls -t "$out"/$t-crash-* "$out"/$t-leak-* "$out"/$t-timeout-* 2>/dev/null | head -1); log: $log"
		fail=$((fail + 1))
	fi
	if [ "$mode" = grow ]; then
		"$out/fuzz-$t" -merge=1 corpus/$t "$new" "$@" >>"$log" 2>&1
		echo "corpus/$t: $(ls corpus/$t | wc -l) inputs, $(du -sk corpus/$t | cut -f1) KiB"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
