#!/usr/bin/env python3
"""Disk images for the kernel's disk tests.

  tools/mkdisk.py test FILE [MiB]    the pattern disk of tests/kernel/test_virtio_blk.c
  tools/mkdisk.py check FILE         exit 0 if the kernel's writes are on it

Sector 0 holds the magic; sector s > 0 holds s (8 bytes, little endian),
then byte j = ((s + j) & 0xff) ^ 0x5a. The kernel rewrites sectors
4096..4351 with 0xa5 in place of 0x5a.
"""
import struct
import sys

MAGIC = b"memcore test disk v1\0"
SECTOR = 512
WRITE_FIRST, WRITE_SECTORS = 4096, 256


def sector(s, x):
    body = bytes(((s + j) & 0xff) ^ x for j in range(8, SECTOR))
    return struct.pack("<Q", s) + body


def make(path, mib=4):
    n = mib * 2048
    with open(path, "wb") as f:
        f.write(MAGIC.ljust(SECTOR, b"\0"))
        for s in range(1, n):
            f.write(sector(s, 0x5a))


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    bad = []
    for s in range(WRITE_FIRST - 1, WRITE_FIRST + WRITE_SECTORS + 1):
        x = 0xa5 if WRITE_FIRST <= s < WRITE_FIRST + WRITE_SECTORS else 0x5a
        if data[s * SECTOR:(s + 1) * SECTOR] != sector(s, x):
            bad.append(s)
    if bad:
        print("sectors not as the kernel wrote them: %s" % bad[:10])
    return not bad


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "test":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 4)
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        return 0 if check(sys.argv[2]) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
