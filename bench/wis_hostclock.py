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

It also adds "cpu.wis.T.M OPS_S": the window's operations over the host
CPU time the emulator's threads used in it (every thread of every qemu-system
process under CMD, from /proc/PID/task/TID/schedstat). On a host whose CPUs
are shared, a virtual CPU runs only part of the time, and how large a part
changes from minute to minute and with the number of virtual CPUs; ops per
CPU-second are what each kernel gets out of the time it was given. A virtual
CPU halted in its idle loop uses none.

Every line is passed through; exits with CMD's status.
"""
import os
import subprocess
import sys
import time


def descendants(root):
    """The pids of @root's descendants (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def is_qemu(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().startswith("qemu-system")
    except OSError:
        return False


def cpu_ns(pids):
    """Nanoseconds on a CPU so far, summed over every thread of @pids."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
    begin = None
    window = None		# (operations, host seconds, CPU seconds) of the last window
    qemu = None
    out = sys.stdout
    for raw in p.stdout:
        now = time.monotonic()
        line = raw.decode(errors="replace")
        out.write(line)
        f = line.split()
        if f == ["wis.begin"]:
            if qemu is None:
                qemu = [q for q in descendants(p.pid) if is_qemu(q)]
            begin, window = (now, cpu_ns(qemu)), None
        elif len(f) == 2 and f[0] == "wis.end" and begin is not None:
            window = (int(f[1]), now - begin[0], (cpu_ns(qemu) - begin[1]) / 1e9)
            begin = None
        elif len(f) == 2 and f[0].startswith("wis.") and window is not None:
            ops, secs, cpu = window
            if secs > 0:
                out.write("host.%s %.0f\n" % (f[0], ops / secs))
            if cpu > 0:
                out.write("cpu.%s %.0f\n" % (f[0], ops / cpu))
            window = None
        out.flush()
    return p.wait()


if __name__ == "__main__":
    sys.exit(main())
