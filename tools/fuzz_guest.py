#!/usr/bin/env python3
"""The guest system-call fuzzer's long run (`make fuzz-long`).

  tools/fuzz_guest.py [--build build] [--seconds 3600] [--first 1] [--seeds 16] [--ops 300]
                      [--timeout S]

Runs tests/user/t_fuzz (build/user/t_fuzz) on our kernel and on Linux, each
boot taking the next --seeds seeds of --ops calls, until --seconds have
passed. A run fails if either kernel dies or hangs (timeout), if the
program's own model checks fail on either (its TAP `not ok` lines: content,
protections, free frames back after each child on ours), or if a block's
return values differ (its line names carry a hash of them). Every
difference is reported with the seed, so `t_fuzz SEED 1 OPS trace` on both
kernels (tools/qemu-run, tools/linux-run) shows the call that differs.
A boot's timeout (--timeout, default 60 s + 0.1 s per call) is reported as
such: a hang, or a host too loaded for it (run that range again with a
longer one, --first SEED --seconds 1).
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(tool, build, args, timeout):
    cmd = [os.path.join(HERE, tool), "--timeout", str(timeout)]
    if tool == "qemu-run":
        cmd += ["--kernel", os.path.join(build, "kernel/kernel.elf")]
    cmd += [os.path.join(build, "user/t_fuzz")] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")


def tap(out):
    return [line for line in out.replace("\r", "").splitlines()
            if line.startswith("ok ") or line.startswith("not ok ")]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--timeout", type=int, default=0, help="seconds per boot (0: 60 + calls / 10)")
    a = ap.parse_args()
    t0, seed, bad, calls = time.monotonic(), a.first, 0, 0
    while time.monotonic() - t0 < a.seconds:
        args = [seed, a.seeds, a.ops]
        timeout = a.timeout or 60 + a.seeds * a.ops // 10
        st_ours, ours = run("qemu-run", a.build, args, timeout)
        st_lin, lin = run("linux-run", a.build, args, timeout)
        mine, ref = tap(ours), tap(lin)
        problems = []
        if st_ours != 0 or len(mine) != len(ref) or not mine:
            problems.append("memcore: status %s, %d blocks (Linux %d)\n%s" % (
                st_ours, len(mine), len(ref), ours[-2000:]))
        for who, st, out in (("memcore", st_ours, ours), ("Linux", st_lin, lin)):
            if st in (None, 124):
                problems.append("%s: timed out after %d s (a hang, or a loaded host)" % (who, timeout))
        if st_lin not in (0, None, 124):
            problems.append("Linux: status %s (the model failed there)\n%s" % (st_lin, lin[-2000:]))
        for m, r in zip(mine, ref):
            if m.split(" ", 2)[-1] != r.split(" ", 2)[-1] or m.startswith("not"):
                problems.append("memcore: %s\nLinux:   %s" % (m, r))
        calls += a.seeds * a.ops
        print("seeds %d-%d: %s" % (seed, seed + a.seeds - 1,
                                   "ok" if not problems else "%d problems" % len(problems)),
              flush=True)
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        bad += len(problems)
        seed += a.seeds
    print("guest fuzzing: seeds %d-%d, %d calls in %.0f s, %d problems" % (
        a.first, seed - 1, calls, time.monotonic() - t0, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
