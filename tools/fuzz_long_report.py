#!/usr/bin/env python3
"""The table of a long libFuzzer run (`make fuzz-long`), from its logs.

  tools/fuzz_long_report.py DIR NAME...

Reads DIR/NAME.log (everything the target printed with -print_final_stats=1)
and DIR/NAME.status (its exit status and wall seconds, "STATUS SECONDS") for
each target and prints one row per target: the runs it did, its seconds and
executions per second, its coverage (cov: edges, ft: features), its corpus,
and how it ended ("ok", "CRASH" with the artifact libFuzzer wrote, "exit N",
"unfinished" without a status, "missing" without a log).
Exits 1 if any target failed or has no log.
"""
import os
import re
import sys

DONE_RE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
LAST_RE = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
STAT_RE = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
ARTIFACT_RE = re.compile(r"Test unit written to (\S+)")


def row(d, name):
    """One target's figures: a dict, with "end" saying how it finished."""
    r = {"name": name, "runs": "", "secs": "", "rate": "", "cov": "", "ft": "",
         "corp": "", "end": "missing"}
    try:
        with open(os.path.join(d, name + ".log"), errors="replace") as f:
            log = f.read()
    except OSError:
        return r
    status, secs = None, None
    try:
        with open(os.path.join(d, name + ".status")) as f:
            status, secs = (int(x) for x in f.read().split()[:2])
    except (OSError, ValueError):
        pass
    stats = dict((k, int(v)) for k, v in STAT_RE.findall(log))
    m = DONE_RE.findall(log) or LAST_RE.findall(log)
    if m:
        r["cov"], r["ft"], r["corp"] = m[-1][1], m[-1][2], m[-1][3]
    runs = stats.get("number_of_executed_units", int(m[-1][0]) if m else None)
    if runs is not None:
        r["runs"] = "{:,}".format(runs)
    if secs is not None:
        r["secs"] = str(secs)
    if "average_exec_per_sec" in stats:
        r["rate"] = "{:,}".format(stats["average_exec_per_sec"])
    elif runs and secs:
        r["rate"] = "{:,}".format(runs // secs)
    art = ARTIFACT_RE.findall(log)
    if status == 0 and DONE_RE.search(log) and not art:
        r["end"] = "ok"
    else:
        r["end"] = ("CRASH " + art[-1] if art else
                    "unfinished" if status is None else "exit %s" % status)
    return r


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    d, names = sys.argv[1], sys.argv[2:]
    rows = [row(d, n) for n in names]
    cols = [("target", "name"), ("runs", "runs"), ("s", "secs"), ("exec/s", "rate"),
            ("cov", "cov"), ("ft", "ft"), ("corpus", "corp"), ("result", "end")]
    width = [max(len(h), *(len(r[k]) for r in rows)) for h, k in cols]
    print("  ".join(h.ljust(w) for (h, _), w in zip(cols, width)).rstrip())
    for r in rows:
        print("  ".join((r[k].ljust(w) if k in ("name", "end") else r[k].rjust(w))
                        for (_, k), w in zip(cols, width)).rstrip())
    sys.exit(0 if all(r["end"] == "ok" for r in rows) else 1)


if __name__ == "__main__":
    main()
