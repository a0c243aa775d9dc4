#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages tools/virtio needs: compilers with ASan,
# UBSan and libFuzzer, valgrind for the benchmark, and the base tree's
# source for its ring.  The installing is tools/testing/virtio/deps.sh's.
exec "$(dirname "$0")/../testing/virtio/deps.sh" \
	gcc libc6-dev make binutils	`# stress, tests, bench` \
	libasan8 libubsan1		`# gcc's sanitizer runtimes (Debian 12)` \
	clang libclang-rt-14-dev	`# the fuzzer: -fsanitize=fuzzer` \
	valgrind			`# bench: instructions per round trip` \
	xz-utils linux-source-6.12	`# bench: the base tree's virtio_ring.c`
