# SPDX-License-Identifier: GPL-2.0
"""The files of the ext2 image for vtest-init's blk-fs check.

The host formats the guest's disk with "mke2fs -t ext2 -d DIR" where DIR
holds the files h0 .. h{N-1} written here, and boots the guest with
vtest.fs_files=N; vtest-init.c mounts the disk and checks every byte.  The
guest computes the same pattern in C, so the two must agree:

  file K of a set has size SIZES[K % len(SIZES)];
  its bytes come from a 64-bit xorshift generator (shifts 13, 7, 17)
  seeded with base ^ ((K + 1) * GOLDEN) mod 2**64 (1 instead of 0);
  each 64-bit output gives 8 bytes, least significant first.

The host's files (prefix "h") use HOST_SEED as base; the guest writes its
own set (prefix "g") with GUEST_SEED.

usage: python3 fs_pattern.py DIR N
"""

import os
import struct
import sys

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
HOST_SEED = 0x76746573742D6673  # "vtest-fs"
GUEST_SEED = 0x67756573742D6673  # "guest-fs"
SIZES = (1, 4095, 65536, 1000000, 4 * 1048576)


def file_size(k):
    """The size in bytes of file number k of a set."""
    return SIZES[k % len(SIZES)]


def pattern(base, k, size):
    """The first size bytes of file number k of the set seeded by base."""
    x = (base ^ ((k + 1) * GOLDEN)) & MASK or 1
    words = []
    for _ in range((size + 7) // 8):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        words.append(x)
    return struct.pack("<%dQ" % len(words), *words)[:size]


def write_files(directory, n, prefix="h", base=HOST_SEED):
    """Write files prefix0 .. prefix{n-1} of the set seeded by base."""
    os.makedirs(directory, exist_ok=True)
    for k in range(n):
        with open(os.path.join(directory, "%s%d" % (prefix, k)), "wb") as f:
            f.write(pattern(base, k, file_size(k)))


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: %s DIR N" % argv[0])
    write_files(argv[1], int(argv[2]))


if __name__ == "__main__":
    main(sys.argv)
