#!/usr/bin/env python3
"""Runs a wis command (bench/guest/wis.c under tools/qemu-run or
tools/linux-run) and times its measured windows with the host's clock.

  python3 bench/wis_hostclock.py CMD [ARG...]

wis prints "wis.begin" just before it samples the counters at the start of
a window and "wis.end OPS" (the operations counted in it) just after the
sample at its end; this stamps both lines with the host's monotonic clock
as they arrive and, after the figure line that follows ("wis.T.M OPS_S",
which divides by the guest's own clock), adds "host.wis.T.M OPS_S": the
window's operations over its host-measured length. The guest's clock
cannot be trusted to compare two kernels: a TSC calibrated wrong at boot
(a vCPU descheduled by a loaded host during the calibration) runs a
kernel's clock_gettime slow or fast and scales every one of its figures.
The host's clock is the same for both kernels; the serial line's latency
(milliseconds) is small against a window of a second or more.

Every line is passed through; exits with CMD's status.
"""
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
    begin = None
    window = None		# (operations, host seconds) of the last window
    out = sys.stdout
    for raw in p.stdout:
        now = time.monotonic()
        line = raw.decode(errors="replace")
        out.write(line)
        f = line.split()
        if f == ["wis.begin"]:
            begin, window = now, None
        elif len(f) == 2 and f[0] == "wis.end" and begin is not None:
            window, begin = (int(f[1]), now - begin), None
        elif len(f) == 2 and f[0].startswith("wis.") and window is not None:
            ops, secs = window
            if secs > 0:
                out.write("host.%s %.0f\n" % (f[0], ops / secs))
            window = None
        out.flush()
    return p.wait()


if __name__ == "__main__":
    sys.exit(main())
