#!/usr/bin/env python3
"""Pack files into an initrd (cpio "newc"), each at /BASENAME, as the kernel reads it.

  tools/mkinitrd.py OUT FILE...
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import newc_archive  # noqa: E402


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    out, paths = argv[0], argv[1:]
    files = {}
    for path in paths:
        name = os.path.basename(path)
        if name in files:
            sys.stderr.write("mkinitrd: two files named %s\n" % name)
            return 1
        with open(path, "rb") as f:
            files[name] = f.read()
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(newc_archive(files))
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
