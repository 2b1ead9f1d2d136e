#!/usr/bin/env python3
"""The ledger and the table of a long libFuzzer run (`make fuzz-long`).

  tools/fuzz_long_report.py left LEDGERS NAME RUNS
      prints how many executions NAME still needs to reach RUNS: RUNS minus
      the executions its ledger LEDGERS/NAME.ledger holds (0 when reached).
  tools/fuzz_long_report.py record DIR LEDGERS NAME CHUNKLOG STATUS SECONDS COMMIT
      after one chunk: writes "STATUS SECONDS" to DIR/NAME.status and, only
      if the chunk ended well (STATUS 0, libFuzzer's DONE line and its final
      stats, no test unit written), appends one line to the ledger with the
      executions the chunk's final stats report. A chunk that was killed,
      crashed or failed adds nothing. Exits 1 if it added nothing.
  tools/fuzz_long_report.py DIR LEDGERS RUNS NAME...
      the table: per target its executions in total (all chunks, on every
      commit), the chunks, their seconds and executions per second, the
      last chunk's coverage (cov: edges, ft: features) and corpus, and how it
      stands ("done" at RUNS or more, "N% done", "CRASH" with the artifact
      libFuzzer wrote, "exit N" from the last chunk, "missing" with no
      ledger). Exits 1 unless every target is done.

A ledger line: "UNITS COMMIT DATE SECONDS SEED COV FT CORPUS", one per
finished chunk, in the order they ran. The ledgers (LEDGERS, fuzz/ledger in
the source tree) are kept in version control, so that executions add up
across machines and clones; DIR (the build's) holds the logs and status. Executions count the replay of the
corpus each chunk starts with, as libFuzzer's own counter does.
"""
import os
import re
import sys
import time

DONE_RE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
LAST_RE = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
STAT_RE = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
SEED_RE = re.compile(r"^INFO: Seed: (\d+)", re.M)
# A crash, leak, timeout or out-of-memory input. A slow unit (libFuzzer's
# -report_slow_units, 10 s by default, exit status 0) is not a failure: on a
# loaded host a 40 ms input has taken 18 s. It is kept and named in the
# table, and its chunk counts.
ARTIFACT_RE = re.compile(r"Test unit written to (\S+)")
SLOW_RE = re.compile(r"slow-unit-")


def failures(log):
    """The artifacts in @log that are failures (every one but slow units)."""
    return [a for a in ARTIFACT_RE.findall(log) if not SLOW_RE.search(a)]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def ledger(d, name):
    """The finished chunks of @name: a list of dicts, oldest first (None: no ledger)."""
    text = read(os.path.join(d, name + ".ledger"))
    if text is None:
        return None
    chunks = []
    for line in text.splitlines():
        f = line.split()
        if len(f) != 8 or not f[0].isdigit():
            continue    # not a ledger line (a hand-written note): counts nothing
        chunks.append({"units": int(f[0]), "commit": f[1], "date": f[2], "secs": int(f[3]),
                       "seed": f[4], "cov": f[5], "ft": f[6], "corp": f[7]})
    return chunks


def left(d, name, runs):
    done = sum(c["units"] for c in ledger(d, name) or [])
    print(max(runs - done, 0))


def record(d, ld, name, chunk_log, status, secs, commit):
    with open(os.path.join(d, name + ".status"), "w") as f:
        f.write("%d %d\n" % (status, secs))
    log = read(chunk_log) or ""
    stats = dict((k, int(v)) for k, v in STAT_RE.findall(log))
    done = DONE_RE.findall(log)
    units = stats.get("number_of_executed_units")
    if status != 0 or not done or units is None or failures(log):
        return 1
    seed = SEED_RE.findall(log)
    line = "%d %s %s %d %s %s %s %s\n" % (
        units, commit, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), secs,
        seed[-1] if seed else "-", done[-1][1], done[-1][2], done[-1][3])
    os.makedirs(ld, exist_ok=True)
    with open(os.path.join(ld, name + ".ledger"), "a") as f:
        f.write(line)
    return 0


def row(d, ld, name, runs):
    """One target's figures: a dict, with "end" saying how it stands."""
    r = {"name": name, "runs": "", "chunks": "", "secs": "", "rate": "", "cov": "", "ft": "",
         "corp": "", "end": "missing"}
    chunks = ledger(ld, name)
    status = None
    text = read(os.path.join(d, name + ".status"))
    if text:
        try:
            status = int(text.split()[0])
        except ValueError:
            pass
    if chunks is None and status is None:
        return r
    chunks = chunks or []
    units = sum(c["units"] for c in chunks)
    secs = sum(c["secs"] for c in chunks)
    r["runs"] = "{:,}".format(units)
    r["chunks"] = str(len(chunks))
    r["secs"] = str(secs)
    if secs:
        r["rate"] = "{:,}".format(units // secs)
    if chunks:
        r["cov"], r["ft"], r["corp"] = chunks[-1]["cov"], chunks[-1]["ft"], chunks[-1]["corp"]
    last = read(os.path.join(d, name + ".chunk.log")) or ""
    art = failures(last)
    slow = [a for a in ARTIFACT_RE.findall(last) if SLOW_RE.search(a)]
    if art:
        r["end"] = "CRASH " + art[-1]
    elif status:
        r["end"] = "exit %s" % status
    elif units >= runs:
        r["end"] = "done"
    else:
        r["end"] = "%d%% done" % (100 * units // runs)
    if slow and not art:
        r["end"] += " (slow unit %s)" % slow[-1]
    if not chunks:
        m = LAST_RE.findall(last)
        if m:
            r["cov"], r["ft"], r["corp"] = m[-1][1], m[-1][2], m[-1][3]
    return r


def table(d, ld, runs, names):
    rows = [row(d, ld, n, runs) for n in names]
    cols = [("target", "name"), ("runs", "runs"), ("chunks", "chunks"), ("s", "secs"),
            ("exec/s", "rate"), ("cov", "cov"), ("ft", "ft"), ("corpus", "corp"),
            ("result", "end")]
    width = [max(len(h), *(len(r[k]) for r in rows)) for h, k in cols]
    print("executions per target: %s" % "{:,}".format(runs))
    print("  ".join(h.ljust(w) for (h, _), w in zip(cols, width)).rstrip())
    for r in rows:
        print("  ".join((r[k].ljust(w) if k in ("name", "end") else r[k].rjust(w))
                        for (_, k), w in zip(cols, width)).rstrip())
    return 0 if all(r["end"] == "done" for r in rows) else 1


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "left":
        left(a[1], a[2], int(a[3]))
        return 0
    if len(a) == 8 and a[0] == "record":
        return record(a[1], a[2], a[3], a[4], int(a[5]), int(a[6]), a[7])
    if len(a) >= 4 and a[2].isdigit():
        return table(a[0], a[1], int(a[2]), a[3:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
