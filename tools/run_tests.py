#!/usr/bin/env python3
"""Runs every test suite and prints one closing line: `N passed, N failed`.

Suites: host unit tests (cmocka, TAP output), the same as 32-bit programs, short fuzz runs,
the in-kernel KTAP suites booted in QEMU at several memory sizes and on two CPUs, the user
programs on one CPU and on two, the boot memory map at
each size, a deliberate kernel crash (the panic report), a working set larger
than RAM swapped to a disk made by mkswap and the wake-up latency of another
process meanwhile (swap), and shell sessions over the
serial console (with a virtio balloon driven from QEMU's monitor), booted
directly and from the GRUB ISO. The kernel suites' first 512 MiB machine has
a pattern disk and an mkswap disk attached.

  tools/run_tests.py [--build DIR] [--only SUITE,...] [--fuzz-seconds N] [-v]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
TOOLS = os.path.dirname(os.path.abspath(__file__))

results = []        # (name, ok, detail); ok is None for a skipped test
verbose = False
stretch = 1.0       # timeouts' factor for the host's load (qemu.timeout_stretch())


def stretched(seconds):
    """A fixed floor of a timeout, stretched as --timeout is for the host's load."""
    return int(seconds * stretch)


def record(name, ok, detail=""):
    results.append((name, ok, detail))
    if ok is False or verbose:
        print("%s %s%s" % ({True: "PASS", False: "FAIL", None: "SKIP"}[ok], name,
                           (": " + detail) if detail and not ok else ""), flush=True)


def parse_tap(text, prefix):
    """Records each `ok`/`not ok` test line; returns how many there were."""
    n = 0
    for m in re.finditer(r"^\s*(not )?ok \d+ (?:- )?([^#\n]*?)\s*(#.*)?$", text, re.M):
        skipped = re.match(r"#\s*SKIP", m.group(3) or "", re.I) is not None
        record(prefix + m.group(2), None if skipped else m.group(1) is None)
        n += 1
    return n


def host_unit_tests(build):
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    exes = glob.glob(os.path.join(build, "host/tests/test_*")) + \
        glob.glob(os.path.join(build, "host-tsan/tests/test_*"))
    for exe in sorted(exes):
        if exe.endswith(".d"):
            continue
        run_cmocka([exe], "host/" + os.path.basename(exe) + ("-tsan" if "host-tsan" in exe else ""),
                   env, 600)


def run_cmocka(cmd, name, env, timeout):
    """Runs one cmocka program with TAP output and records its results under NAME/."""
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out, status = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired:
        out, status = "", "timeout"
    n = parse_tap(out, name + "/")
    if status != 0 or n == 0:
        tail = "\n".join(out.splitlines()[-15:])
        record(name, False, "exit status %s, %d results\n%s" % (status, n, tail))


def host32_unit_tests(build):
    """The core's host tests built with gcc -m32 (build/host32). Where the
    kernel cannot execute 32-bit programs, qemu-i386 runs them with a 3 GiB
    address space, as an i386 kernel gives, and without LeakSanitizer (it
    cannot stop the world under user-mode emulation)."""
    exes = sorted(e for e in glob.glob(os.path.join(build, "host32/tests/test_*"))
                  if not e.endswith(".d"))
    if not exes:
        record("host32", False, "no 32-bit test programs in %s/host32 (make host32-tests)" % build)
        return
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    wrap = []
    try:
        subprocess.run([exes[0]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=600)
    except OSError:
        wrap = ["qemu-i386", "-R", "0xc0000000"]
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    for exe in exes:
        run_cmocka(wrap + [exe], "host32/" + os.path.basename(exe), env, 900)


def script_tests(build):
    """tests/scripts/*.sh: each is run as `sh SCRIPT BUILD` and prints TAP."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for script in sorted(glob.glob(os.path.join(here, "tests/scripts/*.sh"))):
        name = os.path.basename(script)[:-3]
        try:
            p = subprocess.run(["sh", script, build], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=1800)
            out, status = p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired:
            out, status = "", "timeout"
        n = parse_tap(out, "scripts/%s/" % name)
        if status != 0 or n == 0:
            record("scripts/%s" % name, False, "exit status %s, %d results\n%s" % (
                status, n, "\n".join(out.splitlines()[-20:])))


# Targets whose checks run late or on a sample: with FUZZ_PLANT set each
# plants a bug (fuzz/fuzz.h) that only those checks can find, and must report.
FUZZ_PLANTED = {"fuzz_as", "fuzz_bootinfo", "fuzz_filemap", "fuzz_pmm", "fuzz_pt", "fuzz_win32",
                "fuzz_zpool"}
FUZZ_PLANT_SECONDS = 60


def fuzz_planted(exe, name, corpus):
    """The planted bug must be reported (inputs go to a scratch folder, not the corpus)."""
    with tempfile.TemporaryDirectory() as scratch:
        cmd = [exe, "-max_total_time=%d" % FUZZ_PLANT_SECONDS, "-print_final_stats=0",
               "-artifact_prefix=%s/" % scratch, scratch, corpus]
        env = dict(os.environ, FUZZ_PLANT="1")
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=FUZZ_PLANT_SECONDS + 120, env=env)
    out = p.stdout.decode("utf-8", "replace")
    record("fuzz/%s planted bug found" % name,
           p.returncode != 0 and "check failed" in out,
           "exit %d\n%s" % (p.returncode, "\n".join(out.splitlines()[-25:])))


def fuzz_runs(build, seconds):
    """Each target for SECONDS on its corpus (build/fuzz-corpus/NAME); the crash, leak and
    timeout inputs libFuzzer writes go to build/fuzz-artifacts/NAME/, named in a failure."""
    for exe in sorted(glob.glob(os.path.join(build, "fuzz/fuzz_*"))):
        name = os.path.basename(exe)
        corpus = os.path.join(build, "fuzz-corpus", name)
        artifacts = os.path.join(build, "fuzz-artifacts", name)
        os.makedirs(corpus, exist_ok=True)
        os.makedirs(artifacts, exist_ok=True)
        before = set(os.listdir(artifacts))
        cmd = [exe, "-max_total_time=%d" % seconds, "-print_final_stats=0",
               "-artifact_prefix=%s/" % artifacts, corpus]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=seconds + 120)
        out = p.stdout.decode("utf-8", "replace")
        new = sorted(set(os.listdir(artifacts)) - before)
        record("fuzz/%s (%ds)" % (name, seconds), p.returncode == 0,
               "exit %d, inputs saved: %s\n%s" % (
                   p.returncode, " ".join(os.path.join(artifacts, f) for f in new) or "none",
                   "\n".join(out.splitlines()[-25:])))
        if name in FUZZ_PLANTED:
            fuzz_planted(exe, name, corpus)


def size_bytes(s):
    return int(s[:-1]) << {"K": 10, "M": 20, "G": 30}[s[-1]]


RANGE_RE = re.compile(r"^\s+\[0x([0-9a-f]+)-0x([0-9a-f]+)\)\s+\d+ \S+\s+(.+?)\s*$", re.M)


def check_memory_map(name, out, mem):
    """The boot log's map must account for the RAM QEMU was given."""
    ranges = [(int(a, 16), int(b, 16), t) for a, b, t in RANGE_RE.findall(out)]
    if not ranges:
        record(name, False, "no memory map in the boot log")
        return
    ram = sum(b - a for a, b, t in ranges if t in ("usable", "kernel", "module", "bootinfo",
                                                   "framedb"))
    want = size_bytes(mem)
    ok = want - (2 << 20) <= ram <= want
    detail = "RAM in map %d KiB, QEMU has %d KiB" % (ram >> 10, want >> 10)
    if ok and want > (4 << 30):
        ok = any(b > (4 << 30) and t == "usable" for a, b, t in ranges)
        detail = "no usable memory above 4 GiB"
    sorted_ok = all(ranges[i][1] <= ranges[i + 1][0] for i in range(len(ranges) - 1))
    record(name, ok and sorted_ok, detail if not ok else "ranges overlap or unsorted")


def check_module(name, out, path):
    """A multiboot module must be found, named and reserved in the map."""
    size = os.path.getsize(path)
    m = re.search(r"boot: module 0: \[0x([0-9a-f]+)-0x([0-9a-f]+)\)", out)
    ok = m and int(m.group(2), 16) - int(m.group(1), 16) == size
    ranges = [(int(a, 16), int(b, 16), t) for a, b, t in RANGE_RE.findall(out)]
    reserved = ok and any(t == "module" and a <= int(m.group(1), 16) and b >= int(m.group(2), 16)
                          for a, b, t in ranges)
    record(name, bool(ok and reserved), "module of %d bytes not found or not reserved" % size)


def test_disks(build, name):
    """Fresh disk images for the virtio suites of the kernel suites' run @name (its
    own, so that runs at once in one build folder do not share them); QEMU
    options attaching them."""
    d = os.path.join(build, "disks", name)
    os.makedirs(d, exist_ok=True)
    img = os.path.join(d, "test.img")
    subprocess.run([sys.executable, os.path.join(TOOLS, "mkdisk.py"), "test", img], check=True)
    extra = qemu.drive(img)
    swap = os.path.join(d, "swap.img")
    if qemu.mkswap_image(swap, 8, label="memcore-test"):
        extra += qemu.drive(swap)
    return extra


# The suites a NUMA machine boots: those whose subject is where frames come from.
NUMA_SUITES = "numa,pmm,smp,vm,heap"


def kernel_tests(kernel, machines, timeout, build="build", name="kernel", check=None):
    """Boots the in-kernel suites once per (memory size, CPU model[, CPUs[, NUMA nodes[, suites]]]);
    a machine with NUMA nodes boots NUMA_SUITES only, one with suites named only those.
    @check(prefix, output), if given, judges each boot's whole output too (the
    sanitized kernels)."""
    module = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grub.cfg")
    for mem, cpu, *more in machines:
        smp = more[0] if more else 1
        numa = more[1] if len(more) > 1 else 0
        only = more[2] if len(more) > 2 else (NUMA_SUITES if numa else None)
        extra = ["-initrd", module] if mem == "512M" else []
        extra += qemu.numa_options(numa, mem, smp)
        # One machine gets the disks: the virtio suites skip on the others.
        disks = mem == "512M" and not cpu and smp == 1
        if disks:
            extra += test_disks(build, name)
        if cpu:
            extra += ["-cpu", cpu]      # the last -cpu wins
        cmdline = ("test=" + only if only else "test") + " panic=exit"
        out, status, timed_out = qemu.boot(kernel=kernel, mem=mem, cmdline=cmdline,
                                           timeout=timeout, extra=extra, smp=smp)
        prefix = "%s@%s%s%s%s/" % (name, mem, "-" + cpu if cpu else "",
                                   "-smp%d" % smp if smp > 1 else "",
                                   "-numa%d" % numa if numa else "")
        check_memory_map(prefix + "boot-memory-map", out, mem)
        if check:
            check(prefix, out)
        if mem == "512M":
            check_module(prefix + "multiboot1-module", out, module)
        if disks:
            record(prefix + "disk-writes-on-image",
                   subprocess.run([sys.executable, os.path.join(TOOLS, "mkdisk.py"), "check",
                                   os.path.join(build, "disks", name, "test.img")]).returncode == 0,
                   "the kernel's writes did not reach the image")
        ktap = out[out.find("KTAP version 1"):] if "KTAP version 1" in out else ""
        plan = re.search(r"^1\.\.(\d+)$", ktap, re.M)
        suites = re.findall(r"^(not )?ok \d+ (\S+)", ktap, re.M)
        n = parse_tap("\n".join(line for line in ktap.splitlines() if line.startswith("    ")),
                      prefix)
        complete = plan and int(plan.group(1)) == len(suites) and n > 0
        status_ok = status == qemu.EXIT_TESTS_PASSED if all(not s[0] for s in suites) \
            else status == qemu.EXIT_TESTS_FAILED
        if not complete or not status_ok or timed_out:
            why = "timed out" if timed_out else "exit status %s, %d of %s suites reported" % (
                status, len(suites), plan.group(1) if plan else "?")
            record(prefix + "ktap-run", False, why + "\n" + "\n".join(out.splitlines()[-30:]))


def stack_overflow_report(kernel, timeout):
    """Overflowing the boot stack must be reported as a stack overflow, not triple-fault."""
    out, status, timed_out = qemu.boot(kernel=kernel, mem="64M", cmdline="crash=stack panic=exit",
                                       timeout=timeout)
    want = ["PANIC: page fault (vector 14, error code 0x2) at recurse",
            "not-present page on write in kernel mode; region: stack guard (boot stack)",
            "backtrace:", "... the same", "] crash_stack_overflow+", "--- end of panic report ---"]
    missing = [w for w in want if w not in out]
    record("kernel/stack-overflow-report", not missing and status == qemu.EXIT_PANIC,
           "missing %s, status %s\n%s" % (missing, status, out[-2000:]))


USER_START = re.compile(r"^# usertest: start (\S+)$")
USER_END = re.compile(r"^# usertest: end (\S+) status (-?\d+) leaked (-?\d+)$")
SKIP_ALL = re.compile(r"^1\.\.0\s*#\s*SKIP", re.I)   # TAP's "skip the whole program"
TAP_LINE = re.compile(r"^\s*(not )?ok \d+ (?:- )?([^#\n]*?)\s*(#.*)?$", re.M)
user_tap = {}       # our kernel's results, for the differential suite
user32_tap = {}     # the same of the i386 programs on the i386 kernel


USERTEST_END = b"# usertest: end "


def usertest_boot(nprogs, timeout, **boot_args):
    """qemu.boot() of a usertest run of @nprogs programs: each may take up
    to 3 @timeout after the one before ends (a hang is found then), and the
    whole run as long as programs keep ending, however slow the host."""
    idle = 3 * timeout
    return qemu.boot(timeout=idle * (nprogs + 1), progress=USERTEST_END, idle=idle, **boot_args)


def split_usertest(out):
    """{program: (body lines, wait status, frames leaked)} from a usertest boot's output."""
    progs, current, body = {}, None, []
    for line in out.splitlines():
        m = USER_START.match(line)
        if m:
            current, body = m.group(1).lstrip("/"), []
            continue
        m = USER_END.match(line)
        if m and current:
            progs[current] = (body, int(m.group(2)), int(m.group(3)))
            current = None
            continue
        if current:
            body.append(line)
    return progs


def tap_outcomes(lines):
    """[(test name, "ok" | "not ok" | "skip")] of a program's TAP output, in order;
    a name seen before gets " (#2)", " (#3)"..."""
    seen, res = {}, []
    for m in TAP_LINE.finditer("\n".join(lines)):
        name = m.group(2)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += " (#%d)" % seen[name]
        skipped = re.match(r"#\s*SKIP", m.group(3) or "", re.I) is not None
        res.append((name, "skip" if skipped else "not ok" if m.group(1) else "ok"))
    return res


def expected_user_programs(build, sub="user"):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(build, sub, "t_*"))
                  if not p.endswith(".d"))


# The i386 programs that also run on two CPUs (suite user32): threads, futexes,
# signals between threads, preemption, copy-on-write and shared memory seen
# from several CPUs. A subset, to keep the suite's time down.
USER32_SMP = ["t_threads", "t_threads_mm", "t_futex", "t_pid_race", "t_signal", "t_preempt",
              "t_fork_cow", "t_shm", "t_pipe"]


def subset_initrd(build, sub, programs):
    """An initrd of @programs of BUILD/@sub (a temporary file: the caller removes it)."""
    import tempfile
    files = {}
    for prog in programs:
        with open(os.path.join(build, sub, prog), "rb") as f:
            files[prog] = f.read()
    with tempfile.NamedTemporaryFile(suffix=".cpio", delete=False) as rd:
        rd.write(qemu.newc_archive(files))
    return rd.name


def user_programs(kernel, build, timeout, smp=1, sub="user", programs=None, name=None,
                  check=None):
    """Every tests/user program on the kernel, with a frame-leak check after each.
    @sub "user32": the programs built for i386 (tools/cc-i386), on an i386 kernel.
    @programs: only these (an initrd of them is made), not every one.
    @name: the results' prefix, for another kernel than the normal one (whose
    results the differential suite then does not use); @check(prefix, output)
    judges the whole output too."""
    top = name or (sub if smp == 1 else "%s@smp%d" % (sub, smp))
    taps = {} if name else user32_tap if sub == "user32" else user_tap
    initrd = os.path.join(build, sub, "initrd.cpio")
    if not os.path.exists(initrd):
        record("%s/initrd" % sub, False, "%s was not built" % initrd)
        return
    if programs:
        initrd = subset_initrd(build, sub, programs)
    try:
        out, status, timed_out = usertest_boot(len(programs or expected_user_programs(build, sub)),
                                               timeout, kernel=kernel, mem=qemu.SHARED_MEM,
                                               cmdline="usertest panic=exit",
                                               extra=["-initrd", initrd], smp=smp)
    finally:
        if programs:
            os.unlink(initrd)
    progs = split_usertest(out)
    if check:
        check(top + "/", out)
    for prog, (body, st, leaked) in progs.items():
        n = parse_tap("\n".join(body), "%s/%s/" % (top, prog))
        if smp == 1:
            taps[prog] = (tap_outcomes(body), st)
        if st == 0 and n == 0 and any(SKIP_ALL.match(line) for line in body):
            # "1..0 # SKIP why": the program does not apply to this kernel.
            record("%s/%s/exit-status" % (top, prog), None, "skipped whole: " +
                   next(line for line in body if SKIP_ALL.match(line)))
        else:
            record("%s/%s/exit-status" % (top, prog), st == 0 and n > 0,
                   "wait status %#x, %d results\n%s" % (st, n, "\n".join(body[-20:])))
        record("%s/%s/no-frames-leaked" % (top, prog), leaked == 0,
               "%d frames not returned" % leaked)
    for prog, kept in re.findall(r"^# usertest: commit /(\S+) (-?\d+)$", out, re.M):
        record("%s/%s/commit-returned" % (top, prog), int(kept) == 0,
               "%s committed pages not returned (Committed_AS)" % kept)
    expected = programs or expected_user_programs(build, sub)
    if len(progs) != len(expected) or timed_out or status not in (qemu.EXIT_TESTS_PASSED,
                                                                  qemu.EXIT_TESTS_FAILED):
        record("%s/run" % top, False, "%d of %d programs reported, status %s%s\n%s" % (
            len(progs), len(expected), status, ", timed out" if timed_out else "", out[-3000:]))


def describe_status(st):
    if st is None:
        return "no result"
    return "killed by signal %d" % (st & 0x7f) if st & 0x7f else "exit %d" % (st >> 8 & 0xff)


# Checks where the reference Linux itself is wrong, by arch: program -> the
# check names it fails, and why. Such a check is reported as skipped when the
# two kernels differ on it (still judged in the user suites); the program's
# exit status is then excused only if these are its only differences.
LINUX_DEVIATIONS = {
    "i386": {
        # Debian's 6.1 686-pae kernel maps user pages without NX although it
        # reports NX active: its vm_get_page_prot() computes the protection in
        # an unsigned long, 32 bits there, dropping bit 63 (_PAGE_NX) of the
        # PAE protection (arch/x86/mm/pgprot.c). Code in a non-executable
        # page runs on it; ours faults as the ELF rules (exec-none for a
        # PT_GNU_STACK RW program) and x86_64 Linux say.
        "t_write_text": {
            "running code from a read-write page: SIGSEGV",
            "running code from the stack: SIGSEGV",
            "running code from a read-only page: SIGSEGV",
            "running code from it faults again",
        },
    },
}


def differential(kernel, build, timeout, arch="x86_64"):
    """Every tests/user program on Linux (one boot for all), whose TAP results
    must agree with ours, test by test. @arch i386: the programs built for
    i386 on our i386 kernel and on Linux i386 (suite diff32)."""
    import tempfile
    import time
    top, sub, taps = ("diff32", "user32", user32_tap) if arch == "i386" else \
        ("diff", "user", user_tap)
    if not qemu.linux_kernel(arch, build):
        record("%s/linux-kernel" % top, False, "no %s (apt-get install linux-image-amd64)"
               % qemu.LINUX_KERNEL_GLOB if arch == "x86_64" else
               "no i386 Linux kernel (mk/deps.sh i386 %s/deps/i386)" % build)
        return
    if not taps:
        user_programs(kernel, build, timeout, sub=sub)
    expected = expected_user_programs(build, sub)
    files = {}
    for prog in expected:
        with open(os.path.join(build, sub, prog), "rb") as f:
            files[prog] = f.read()
    with tempfile.NamedTemporaryFile(suffix=".cpio", delete=False) as rd:
        rd.write(qemu.linux_initramfs(files, build=build, arch=arch))
    try:
        t0 = time.monotonic()
        out, status, timed_out = usertest_boot(len(expected), timeout,
                                               cmd=qemu.linux_command(rd.name, arch=arch, build=build))
        secs = time.monotonic() - t0
    finally:
        os.unlink(rd.name)
    progs = split_usertest(out.replace("\r", ""))
    if verbose:
        print("   Linux boot with %d programs: %.1f s" % (len(progs), secs))
    if len(progs) != len(expected) or timed_out:
        record("%s/linux-run" % top, False, "%d of %d programs reported on Linux, status %s%s\n%s" % (
            len(progs), len(expected), status, ", timed out" if timed_out else "", out[-3000:]))
    for prog in expected:
        ours, ours_st = taps.get(prog, ([], None))
        body, linux_st, _ = progs.get(prog, ([], None, 0))
        if linux_st == 0 and any(SKIP_ALL.match(line) for line in body):
            # A memcore-only program (its interface is ours): nothing to compare.
            record("%s/%s" % (top, prog), None, "memcore only: skipped on Linux")
            continue
        theirs = tap_outcomes(body)
        mine, ref = dict(ours), dict(theirs)
        names = [n for n, _ in theirs] + [n for n, _ in ours if n not in ref]
        excused = LINUX_DEVIATIONS.get(arch, {}).get(prog, set())
        other_diffs = 0
        for name in names:
            a, b = mine.get(name, "missing"), ref.get(name, "missing")
            if a != b and name in excused:
                record("%s/%s/%s" % (top, prog, name), None,
                       "Linux %s is wrong here (LINUX_DEVIATIONS): ours %s, Linux %s"
                       % (arch, a, b))
                continue
            other_diffs += a != b
            record("%s/%s/%s" % (top, prog, name), a == b,
                   "%s: ours %s, Linux %s" % (prog + "/" + name, a, b))
        if ours_st != linux_st and excused and not other_diffs and ours_st == 0 and theirs:
            record("%s/%s/exit-status" % (top, prog), None,
                   "Linux %s failed only checks it is wrong on" % arch)
            continue
        record("%s/%s/exit-status" % (top, prog), ours_st == linux_st and bool(theirs),
               "%s: ours %s, Linux %s (%d results on Linux)%s" % (
                   prog, describe_status(ours_st), describe_status(linux_st), len(theirs),
                   ("\nLinux said:\n" + "\n".join(body[-20:])) if ours_st != linux_st else ""))


# Programs that also run on a two-node NUMA machine, on both kernels alike.
NUMA_PROGRAMS = ["t_mempolicy", "t_move_pages"]


def numa_differential(build, timeout, nodes=2, smp=2):
    """Each NUMA_PROGRAMS program alone on the same NUMA machine (tools/qemu-run
    and tools/linux-run --numa): its TAP results must agree with Linux's."""
    top = "diff@numa%d" % nodes
    for prog in NUMA_PROGRAMS:
        exe = os.path.join(build, "user", prog)
        runs = {}
        for tool, where in (("qemu-run", ["--kernel", os.path.join(build, "kernel/kernel.elf")]),
                            ("linux-run", ["--build", build])):
            try:
                p = subprocess.run([sys.executable, os.path.join(TOOLS, tool), "--numa", str(nodes),
                                    "--smp", str(smp), "--timeout", str(timeout)] + where + [exe],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=timeout + 60)
                out = p.stdout.decode("utf-8", "replace").replace("\r", "")
                runs[tool] = (tap_outcomes(out.splitlines()), p.returncode, out)
            except subprocess.TimeoutExpired:
                runs[tool] = ([], None, "timed out")
        (mine, ours_st, ours_out), (theirs, linux_st, linux_out) = runs["qemu-run"], runs["linux-run"]
        ref, got = dict(theirs), dict(mine)
        names = [n for n, _ in theirs] + [n for n, _ in mine if n not in ref]
        for name in names:
            a, b = got.get(name, "missing"), ref.get(name, "missing")
            record("%s/%s/%s" % (top, prog, name), a == b, "%s: ours %s, Linux %s" % (name, a, b))
        record("%s/%s/exit-status" % (top, prog), ours_st == linux_st == 0 and bool(theirs),
               "ours %s, Linux %s (%d results on Linux)\nours:\n%s\nLinux:\n%s" % (
                   ours_st, linux_st, len(theirs), ours_out[-1500:], linux_out[-1500:]))


# Programs that compare with Linux under memory pressure: each alone on a
# machine with compressed swap, both kernels (Debian's 6.1 with zram does
# not boot in 64 MiB with the modules in its initramfs: 96 MiB for both).
SWAP_DIFF_PROGRAMS = ["t_swap_pressure"]
SWAP_DIFF_MEM, SWAP_DIFF_ZRAM_MIB = "96M", 192


def swap_differential(build, timeout):
    """Each SWAP_DIFF_PROGRAMS program alone on the same machine with swap:
    ours with zram=, Linux with a zram device (lz4, tools/linux-run --zram).
    Its TAP results must agree, and both must have run the working set that
    needs swap (its diag line), not the small one."""
    top = "diff@swap"
    for prog in SWAP_DIFF_PROGRAMS:
        exe = os.path.join(build, "user", prog)
        runs = {}
        for tool, where in (("qemu-run", ["--kernel", os.path.join(build, "kernel/kernel.elf"),
                                          "--cmdline", "zram=%dM" % SWAP_DIFF_ZRAM_MIB]),
                            ("linux-run", ["--build", build,
                                           "--zram", "lz4:%d" % SWAP_DIFF_ZRAM_MIB])):
            t = max(timeout, stretched(300))
            try:
                p = subprocess.run([sys.executable, os.path.join(TOOLS, tool), "--mem",
                                    SWAP_DIFF_MEM, "--timeout", str(t)] + where + [exe],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=t + 60)
                out = p.stdout.decode("utf-8", "replace").replace("\r", "")
                runs[tool] = (tap_outcomes(out.splitlines()), p.returncode, out)
            except subprocess.TimeoutExpired:
                runs[tool] = ([], None, "timed out")
        (mine, ours_st, ours_out), (theirs, linux_st, linux_out) = runs["qemu-run"], runs["linux-run"]
        ref, got = dict(theirs), dict(mine)
        names = [n for n, _ in theirs] + [n for n, _ in mine if n not in ref]
        for name in names:
            a, b = got.get(name, "missing"), ref.get(name, "missing")
            record("%s/%s/%s" % (top, prog, name), a == b, "%s: ours %s, Linux %s" % (name, a, b))
        sets = [re.search(r"^# RAM (\d+) kB, swap free (\d+) kB: working set (\d+) pages", out, re.M)
                for out in (ours_out, linux_out)]
        record("%s/%s/working-set-beyond-ram" % (top, prog),
               all(m and int(m.group(3)) * 4 > int(m.group(1)) for m in sets),
               "ours: %s; Linux: %s" % tuple(m.group(0) if m else "no working-set line"
                                             for m in sets))
        record("%s/%s/exit-status" % (top, prog), ours_st == linux_st == 0 and bool(theirs),
               "ours %s, Linux %s (%d results on Linux)\nours:\n%s\nLinux:\n%s" % (
                   ours_st, linux_st, len(theirs), ours_out[-1500:], linux_out[-1500:]))


def foreign_programs(build, timeout):
    """Programs we did not write, on our kernel through tools/qemu-run, against Linux (this host)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for prog, args in [("foreign/enough", ["20", "7", "10"])]:
        exe = os.path.join(build, prog)
        name = "qemu-run/" + os.path.basename(prog)
        if not os.path.exists(exe):
            record(name, False, "%s was not built" % exe)
            continue
        native = subprocess.run([exe] + args, stdout=subprocess.PIPE, timeout=60)
        try:
            ours = subprocess.run([os.path.join(here, "qemu-run"), "--timeout", str(timeout),
                                   exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            record(name, False, "timed out")
            continue
        same = ours.stdout == native.stdout and ours.returncode == native.returncode
        record(name + "/same-output-and-status-as-linux", same,
               "status %d vs %d; output %d vs %d bytes\n%s" % (
                   ours.returncode, native.returncode, len(ours.stdout), len(native.stdout),
                   ours.stderr.decode("utf-8", "replace")[-1000:]))


def no_smap_programs(build, timeout):
    """t_misc on CPUs without SMAP, SMEP or XSAVE (QEMU's qemu64 and qemu32), where
    STAC and CLAC are invalid: every user copy must still work (smap_sites.c);
    t_pkeys on qemu64, without PKU: the calls' errors on such a CPU."""
    here = os.path.dirname(os.path.abspath(__file__))
    for arch, cpu, kernel, exe in [("x86_64", "qemu64", "kernel/kernel.elf", "user/t_misc"),
                                   ("i386", "qemu32", "i386/kernel.elf", "user32/t_misc"),
                                   ("x86_64", "qemu64", "kernel/kernel.elf", "user/t_pkeys")]:
        name = "qemu-run/%s-on-%s" % (os.path.basename(exe), cpu)
        try:
            p = subprocess.run([os.path.join(here, "qemu-run"), "--timeout", str(timeout),
                                "--arch", arch, "--cpu", cpu,
                                "--kernel", os.path.join(build, kernel), os.path.join(build, exe)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            record(name, False, "timed out")
            continue
        out = p.stdout.decode("utf-8", "replace")
        record(name, p.returncode == 0 and "not ok" not in out, out[-1500:])


def dos_programs(build, timeout):
    """tests/dos: real-mode .COM programs in a DOS box on the i386 kernel
    (tools/qemu-run --dos), each one's output and exit status against
    tests/dos/NAME.expect: the output's lines, then "exit N", any "args: ..."
    for dosrun after the program, and any "stderr: TEXT" lines that dosrun's
    complaint must contain (the guest's
    stderr shares the console: its lines are the ones starting "dosrun:")."""
    root = os.path.dirname(TOOLS)
    for src in sorted(glob.glob(os.path.join(root, "tests/dos/*.asm"))):
        name = os.path.splitext(os.path.basename(src))[0]
        test = "dos/" + name
        com = os.path.join(build, "dos", name + ".COM")
        if not os.path.exists(com) or not os.path.exists(os.path.join(build, "dos/dosrun")):
            record(test, False, "%s was not built (make dos-programs)" % com)
            continue
        with open(os.path.join(root, "tests/dos", name + ".expect")) as f:
            lines = f.read().splitlines()
        want_err = [l[len("stderr: "):] for l in lines if l.startswith("stderr: ")]
        args = [a for l in lines if l.startswith("args: ") for a in l[len("args: "):].split()]
        lines = [l for l in lines if not l.startswith(("stderr: ", "args: "))]
        want_status, want_out = int(lines[-1].split()[1]), lines[:-1]
        try:
            p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--dos",
                                "--timeout", str(timeout), com] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            record(test, False, "timed out")
            continue
        out = p.stdout.decode("utf-8", "replace").replace("\r", "").splitlines()
        err = "\n".join(l for l in out if l.startswith("dosrun:")) + p.stderr.decode("utf-8", "replace")
        out = [l for l in out if not l.startswith("dosrun:")]
        record(test + "/output", out == want_out,
               "got:\n%s\nwant:\n%s\n%s" % ("\n".join(out), "\n".join(want_out), err[-1000:]))
        record(test + "/exit-status", p.returncode == want_status and
               all(w in err for w in want_err),
               "status %d, want %d; stderr:\n%s" % (p.returncode, want_status, err[-1000:]))


def crash_report(kernel, timeout):
    """A deliberate kernel page fault must give the full report, then stop."""
    out, status, timed_out = qemu.boot(kernel=kernel, mem="64M", cmdline="crash=pf panic=exit",
                                       timeout=timeout)
    want = ["PANIC: page fault (vector 14, error code 0x2) at crash_page_fault+",
            "page fault at address 0xfffffd00000002a8: not-present page on write in kernel mode;"
            " region: unmapped",
            "rip=", "cr2=fffffd00000002a8", "backtrace:", "] crash_page_fault+", "] ? crash+",
            "] kmain+", "--- end of panic report ---"]
    missing = [w for w in want if w not in out]
    record("kernel/panic-report", not missing and status == qemu.EXIT_PANIC,
           "missing %s, status %s\n%s" % (missing, status, out[-2000:]))


UBSAN_KERNELS = {"x86_64": "ubsan/kernel/kernel.elf", "i386": "ubsan/i386-pae/kernel.elf"}
UBSAN_REPORT = re.compile(r"^UBSAN: .*$", re.M)


def no_ubsan_reports(prefix, out):
    """A sanitized kernel's run must report no undefined behaviour."""
    found = UBSAN_REPORT.findall(out)
    first = out.find("UBSAN: ")
    record(prefix + "no-ubsan-reports", not found, "%d report(s):\n%s\n%s" % (
        len(found), "\n".join(found[:20]), out[first:first + 3000]))


def ubsan_crash_reports(kernel, name, timeout):
    """crash=ubsan does three undefined operations: each is reported (kind,
    place, values) and the kernel carries on; with ubsan=panic the first stops it."""
    out, status, timed_out = qemu.boot(kernel=kernel, mem="64M", cmdline="crash=ubsan panic=exit",
                                       timeout=timeout)
    want = ["crash: ubsan, on purpose",
            "UBSAN: signed integer overflow in kernel/crash.c:",
            "2147483647 + 1 cannot be represented in type 'int'",
            "UBSAN: shift out of bounds in kernel/crash.c:",
            "shift exponent 40 is too large for 32-bit type 'int'",
            "UBSAN: array index out of bounds in kernel/crash.c:",
            "index 5 is out of range for type 'int [4]'",
            "] crash_ubsan+", "--- end of UBSAN report ---",
            "PANIC: crash: carried on after ", " UBSan report(s)"]
    missing = [w for w in want if w not in out]
    record("%s/ubsan-reports-and-carries-on" % name, not missing and status == qemu.EXIT_PANIC,
           "missing %s, status %s\n%s" % (missing, status, out[-3000:]))
    out, status, timed_out = qemu.boot(kernel=kernel, mem="64M",
                                       cmdline="crash=ubsan ubsan=panic panic=exit", timeout=timeout)
    want = ["UBSAN: signed integer overflow in kernel/crash.c:",
            "PANIC: ubsan: undefined behaviour (ubsan=panic)", "--- end of panic report ---"]
    missing = [w for w in want if w not in out]
    record("%s/ubsan-panic-option" % name, not missing and status == qemu.EXIT_PANIC and
           "UBSAN: shift" not in out, "missing %s, status %s\n%s" % (missing, status, out[-3000:]))


# Programs the sanitized kernels' user runs leave out: none since t_oom_victim
# reaps its orphaned hog as a subreaper and t_fork_bomb_mem was run under them
# (each passed 3 times out of 3 on both the UBSan and the KASAN kernel).
SANITIZED_USER_SKIP = set()


KASAN_KERNEL = "kasan/kernel/kernel.elf"
KASAN_REPORT = re.compile(r"^KASAN: .*$", re.M)


def no_kasan_reports(prefix, out):
    """The KASAN kernel's run must report no bad access. (The heap's own
    reports of bad frees are what its suite provokes, and checks.)"""
    found = KASAN_REPORT.findall(out)
    first = out.find("KASAN: ")
    record(prefix + "no-kasan-reports", not found, "%d report(s):\n%s\n%s" % (
        len(found), "\n".join(found[:20]), out[first:first + 3000] if first >= 0 else ""))


# What the in-kernel suite `kasan` provokes on purpose (tests/kernel/test_kasan.c).
KASAN_EXPECTED_KINDS = ["stack-out-of-bounds", "global-out-of-bounds", "vmalloc-out-of-bounds",
                        "kmalloc-large-out-of-bounds", "slab-out-of-bounds", "use-after-free",
                        "use-after-free-page", "use-after-vfree"]
# What its reports must say besides: (kind, lines its report holds).
KASAN_EXPECTED_DETAILS = [
    ("use-after-vfree", ["vmalloc area [", "freed (held in vmalloc's quarantine)",
                         "allocation stack:", "free stack:", "] use_after_vfree+"]),
    ("use-after-free-page", ["which the PMM holds free (in its quarantine of freed frames)"]),
]


def kasan_report_of(out, kind):
    """The first expected report of @kind in @out, to its end line ("" if none)."""
    start = out.find("KASAN (expected): %s: " % kind)
    if start < 0:
        return ""
    end = out.find("--- end of KASAN report ---", start)
    return out[start:end if end >= 0 else len(out)]


def kasan_expected_check(prefix, out, kinds, details=()):
    """No report but the `kasan` suite's announced ones; each of @kinds
    printed in full, with the lines @details asks of it."""
    no_kasan_reports(prefix, out)
    missing = [k for k in kinds if "KASAN (expected): %s: " % k not in out]
    for kind, lines in details:
        report = kasan_report_of(out, kind)
        missing += ["%s: %r" % (kind, l) for l in lines if report and l not in report]
    record(prefix + "expected-reports-printed", not missing and
           out.count("--- end of KASAN report ---") >= len(kinds),
           "missing %s" % missing)


def kasan_kernel_tests_check(prefix, out):
    """The in-kernel suites under KASAN: no report but the `kasan` suite's
    announced ones, and each of those printed in full."""
    kasan_expected_check(prefix, out, KASAN_EXPECTED_KINDS, KASAN_EXPECTED_DETAILS)


def kasan_highmem_check(prefix, out):
    """The i386 KASAN kernels with high memory (the `kasan` and `highmem`
    suites): a use after plat_kunmap() is reported too, and nothing else."""
    kasan_expected_check(prefix, out, KASAN_EXPECTED_KINDS + ["use-after-kunmap"],
                         KASAN_EXPECTED_DETAILS + [("use-after-kunmap", ["bytes into kmap slot "])])
    record(prefix + "kunmap-case-ran", "ok " in out and "# SKIP no high memory" not in out,
           "use_after_kunmap skipped: no high memory")


def kasan_crash_reports(kernel, timeout, name="kasan"):
    """crash=kasan-oob, kasan-uaf, kasan-dfree, kasan-page-uaf (a frame read after
    free_page) and kasan-memcpy (a copy past an object): each bug is reported
    with the access's backtrace and the object's allocation (and free) stack,
    and the kernel carries on."""
    common = ["--- end of KASAN report ---", "allocation stack:", "] kmalloc_at+"]
    cases = {
        "kasan-oob": ["KASAN: slab-out-of-bounds: read of size 1 at ",
                      "the address is 0 bytes to the right of a 20-byte object",
                      "] crash_kasan_oob+", "allocated at kernel/crash.c:",
                      "PANIC: crash: carried on after 1 KASAN report(s)"] + common,
        "kasan-uaf": ["KASAN: use-after-free: write of size 8 at ",
                      "the address is 24 bytes inside a 64-byte object", "freed at kernel/crash.c:",
                      "free stack:", "] kfree_at+", "] crash_kasan_uaf+",
                      "PANIC: crash: carried on after 1 KASAN report(s)"] + common,
        "kasan-page-uaf": ["KASAN: use-after-free-page: read of size 8 at ",
                           "bytes into frame 0x", ", which the PMM holds free",
                           "] crash_kasan_page_uaf+", "--- end of KASAN report ---",
                           "PANIC: crash: carried on after 1 KASAN report(s)"],
        "kasan-memcpy": ["KASAN: slab-out-of-bounds: write of size 32 at ", "] memcpy+",
                         "the address is 0 bytes to the right of a 16-byte object",
                         "] crash_kasan_memcpy+",
                         "PANIC: crash: carried on after 1 KASAN report(s)"] + common,
        "kasan-dfree": ["heap: double free of kmalloc-", "heap:   allocated at kernel/crash.c:",
                        "heap:   first freed at kernel/crash.c:",
                        "heap:   freed again at kernel/crash.c:",
                        "PANIC: crash: carried on after 1 double free(s)"],
    }
    for kind, want in sorted(cases.items()):
        out, status, timed_out = qemu.boot(kernel=kernel, mem="64M",
                                           cmdline="crash=%s panic=exit" % kind, timeout=timeout)
        missing = [w for w in want if w not in out]
        record("%s/%s-report" % (name, kind), not missing and status == qemu.EXIT_PANIC,
               "missing %s, status %s\n%s" % (missing, status, out[-3000:]))
    out, status, timed_out = qemu.boot(kernel=kernel, mem="64M",
                                       cmdline="crash=kasan-uaf kasan=panic panic=exit", timeout=timeout)
    record("%s/panic-option" % name, "PANIC: kasan: bad access (kasan=panic)" in out and
           status == qemu.EXIT_PANIC, "status %s\n%s" % (status, out[-3000:]))


# The i386 KASAN kernels (make kernel32-kasan): two-level paging and PAE.
KASAN32_KERNELS = [("kasan-i386", "kasan/i386/kernel.elf"), ("kasan-i386-pae", "kasan/i386-pae/kernel.elf")]
# The i386 programs the PAE KASAN kernel's run leaves out, for CI's time: the
# fork bombs, out-of-memory, swap, argument-size and fuzzing programs took 9
# of the 12 minutes all of them took under it (each passed with no report);
# the other 49 take about 2.5 minutes.
KASAN32_USER_SKIP = {"t_argmax", "t_fork_bomb", "t_fork_bomb_mem", "t_fuzz", "t_oom",
                     "t_oom_exhaust", "t_oom_victim", "t_ramfs_full", "t_rlimit_cpu",
                     "t_swap_fork", "t_swap_kalloc", "t_swap_kcopy", "t_swap_mlock",
                     "t_swap_pressure", "t_swapon"}


def kasan_suite(build, timeout):
    """The KASAN kernels (mk/ksan.mk): their reports, then the in-kernel suites
    and the user programs under them, with no report. x86_64: every user
    program; i386 (both paging formats): the reports and the in-kernel
    suites, and the i386 user programs but the slowest on the PAE kernel."""
    kernel = os.path.join(build, KASAN_KERNEL)
    if not os.path.exists(kernel):
        record("kasan", False, "%s was not built (make kernel-kasan)" % kernel)
    else:
        kasan_crash_reports(kernel, timeout)
        kernel_tests(kernel, [("512M", None)], timeout, build, name="kasan",
                     check=kasan_kernel_tests_check)
        # Twice the time: every access of the kernel is checked (10 min was not enough at load 30).
        user_programs(kernel, build, 2 * timeout, name="kasan/user", check=no_kasan_reports,
                      programs=[p for p in expected_user_programs(build) if p not in SANITIZED_USER_SKIP])
    for name, path in KASAN32_KERNELS:
        kernel32 = os.path.join(build, path)
        if not os.path.exists(kernel32):
            record(name, False, "%s was not built (make kernel32-kasan)" % kernel32)
            continue
        kasan_crash_reports(kernel32, timeout, name=name)
        kernel_tests(kernel32, [("512M", None)], timeout, build, name=name,
                     check=kasan_kernel_tests_check)
        # 1 GiB: 256 MiB of high memory (768 MiB of lowmem in this build), reached
        # through the kmap window's slots, whose shadow the two suites exercise.
        kernel_tests(kernel32, [("1G", None, 1, 0, "kasan,highmem")], timeout, build, name=name,
                     check=kasan_highmem_check)
        if name.endswith("-pae"):
            user_programs(kernel32, build, 2 * timeout, sub="user32", name=name + "/user",
                          check=no_kasan_reports,
                          programs=[p for p in expected_user_programs(build, "user32")
                                    if p not in SANITIZED_USER_SKIP | KASAN32_USER_SKIP])


def ubsan_suite(build, timeout):
    """The UBSan kernels (mk/ksan.mk): their reports, then the in-kernel suites
    (x86_64 on two CPUs, i386) and the user programs under them (i386: a
    subset), with no report."""
    for arch, path in sorted(UBSAN_KERNELS.items()):
        kernel = os.path.join(build, path)
        name = "ubsan-" + arch
        if not os.path.exists(kernel):
            record(name, False, "%s was not built (make kernel-ubsan)" % kernel)
            continue
        ubsan_crash_reports(kernel, name, timeout)
        kernel_tests(kernel, [("512M", None, 2)] if arch == "x86_64" else [("512M", None)],
                     timeout, build, name=name, check=no_ubsan_reports)
        # Every x86_64 program; of the i386 ones, user32@smp2's set (CI's time).
        sub = "user" if arch == "x86_64" else "user32"
        progs = expected_user_programs(build, sub) if arch == "x86_64" else USER32_SMP
        user_programs(kernel, build, timeout, sub=sub, name=name + "/user", check=no_ubsan_reports,
                      programs=[p for p in progs if p not in SANITIZED_USER_SKIP])


def kmap_switch_report(kernel, name, mem, timeout):
    """Sleeping while holding a temporary mapping (plat_kmap) breaks the porting
    rule; the task switch must catch it, name the holder and stop. On i386 at
    1 GiB the mapped frame is high memory (a real kmap slot)."""
    out, status, timed_out = qemu.boot(kernel=kernel, mem=mem, cmdline="crash=kmap panic=exit",
                                       timeout=timeout)
    want = ["crash: kmap, on purpose",
            "PANIC: sched: kernel switches away holding 1 temporary mapping(s) (plat_kmap)",
            "backtrace:", "] sleep_until+", "] crash_kmap_across_switch+",
            "--- end of panic report ---"]
    missing = [w for w in want if w not in out]
    record("%s/kmap-across-switch-report" % name, not missing and status == qemu.EXIT_PANIC,
           "missing %s, status %s\n%s" % (missing, status, out[-2000:]))


def swap_disk_run(build, timeout):
    """A working set 1.5x the machine's RAM on a swap disk made by mkswap
    (swap= boot option through tools/qemu-run --swap): every page intact;
    and beside such a process, another one's wake-ups stay bounded."""
    d = os.path.join(build, "disks")
    os.makedirs(d, exist_ok=True)
    img = os.path.join(d, "pressure-swap.img")
    if not qemu.mkswap_image(img, 128, label="pressure"):
        record("swap/disk-working-set", None, "mkswap not installed")
        return
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--mem", "64M",
                        "--swap", img, "--timeout", str(max(timeout, stretched(300))),
                        os.path.join(build, "guest/pressure"), "96"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    record("swap/disk-working-set-96M-on-64M", p.returncode == 0 and
           "pressure.bad_pages 0 pages" in out, out[-3000:])
    # The same with a compressed tier of 4 MiB in front of the disk (zswap=):
    # it fills, its oldest pages move down to the disk, and every page of the
    # working set is still intact.
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--mem", "64M",
                        "--swap", img, "--cmdline", "zswap=4M", "--timeout", str(max(timeout, stretched(300))),
                        os.path.join(build, "guest/pressure"), "96"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    moved = re.search(r"^pressure\.swap_written_back (\d+) pages", out, re.M)
    record("swap/zswap-writeback-96M-on-64M", p.returncode == 0 and
           "pressure.bad_pages 0 pages" in out and moved is not None and int(moved.group(1)) > 0, out[-3000:])
    # Beside such a process, another one (memory locked, sleeping 1 ms at a
    # time) keeps running and every page of the swapping one stays intact.
    # How late it wakes is a figure of make bench (bench/swaplat.sh), not a
    # verdict here: under -icount an idle guest's clock jumps ahead while the
    # host completes disk I/O, so the lateness grows with the host's load.
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--icount", "--mem", "64M",
                        "--swap", img, "--timeout", str(max(timeout, stretched(300))),
                        os.path.join(build, "guest/swaplat"), "96", "1", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    record("swap/sleeper-beside-disk-swapping", p.returncode == 0 and
           "swaplat.bad_pages 0 pages" in out, out[-3000:])
    # System calls copying to and from pages on the disk: the kernel-mode
    # fault waits for the disk asleep, on one CPU and on two.
    for smp in ("1", "2"):
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--smp", smp,
                            "--mem", "64M", "--swap", img, "--timeout", str(max(timeout, stretched(120))),
                            os.path.join(build, "user", "t_swap_kcopy")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace")
        n = parse_tap(out, "swap/t_swap_kcopy@smp%s/" % smp)
        record("swap/t_swap_kcopy@smp%s/exit-status" % smp, p.returncode == 0 and n > 0, out[-3000:])
    os.unlink(img)


def swap_programs(build, timeout):
    """tests/user's swap programs on a 64 MiB machine with a 128 MiB
    compressed swap area (zram=): a working set of 1.5x RAM, fork of a
    half-swapped process, kernel work (threads, forks, split mappings,
    files) while memory is full, mlocked pages beside a working set of 1.25x
    RAM, another process's swapped-out pages read and written by
    process_vm_readv/writev, with frames and slots checked back at the end."""
    for prog in ("t_swap_pressure", "t_swap_fork", "t_swap_kalloc", "t_swap_mlock", "t_process_vm"):
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "qemu-run"), "--mem", "64M",
                            "--cmdline", "zram=128M", "--timeout", str(max(timeout, stretched(120))),
                            os.path.join(build, "user", prog)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace")
        n = parse_tap(out, "swap/%s/" % prog)
        record("swap/%s/exit-status" % prog, p.returncode == 0 and n > 0, out[-3000:])


def balloon_session(kernel):
    """QEMU's monitor `balloon SIZE` takes memory from the guest and gives it
    back: memstat's free frames follow, and come back exactly."""
    import tempfile
    sock = os.path.join(tempfile.mkdtemp(prefix="memcore-mon"), "monitor.sock")
    s = qemu.Session(kernel=kernel, mem="256M",
                     extra=["-device", "virtio-balloon-pci",
                            "-monitor", "unix:%s,server,nowait" % sock])
    prompt = "memcore> "

    def free_frames():
        s.send("memstat\r")
        out = s.expect(prompt)
        m = re.search(r"^ +all +\d+ +(\d+) ", out, re.M)
        return (int(m.group(1)) if m else None), out

    def balloon_to(mib):
        qemu.monitor(sock, "balloon %d" % mib)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "actual=%d" % mib in qemu.monitor(sock, "info balloon"):
                return True
            time.sleep(0.5)
        return False

    try:
        out = s.expect(prompt, timeout=90)
        record("balloon/probe", "balloon: virtio-balloon at pci" in out, out)
        f0, _ = free_frames()
        inflated = balloon_to(128)
        f1, out = free_frames()
        record("balloon/inflate", inflated and f0 and f1 and
               32768 <= f0 - f1 <= 32768 + 64 and "balloon: 131072 kB" in out,
               "free frames %s -> %s\n%s" % (f0, f1, out))
        deflated = balloon_to(256)
        f2, out = free_frames()
        record("balloon/deflate", deflated and f2 == f0,
               "free frames %s -> %s -> %s\n%s" % (f0, f1, f2, out))
    except (TimeoutError, EOFError, OSError) as e:
        record("balloon/session", False, "%s\n%s" % (e, s.out[-2000:]))
    finally:
        s.close()
        if os.path.exists(sock):
            os.unlink(sock)
        os.rmdir(os.path.dirname(sock))


def balloon_reporting_session(kernel):
    """Free-page reporting: the balloon hands free 2 MiB blocks to the host
    and takes them back; free memory is the same before and after."""
    s = qemu.Session(kernel=kernel, mem="512M",
                     extra=["-device", "virtio-balloon-pci,free-page-reporting=on"])
    prompt = "memcore> "
    try:
        out = s.expect(prompt, timeout=90)
        record("balloon/reporting-probe", "free-page reporting" in out, out)
        samples = []
        for _ in range(10):             # until a round has run, then one more sample
            s.send("memstat\r")
            out = s.expect(prompt)
            free = re.search(r"^ +all +\d+ +(\d+) ", out, re.M)
            rep = re.search(r"balloon: (\d+) kB of free memory reported", out)
            samples.append((int(free.group(1)) if free else None, int(rep.group(1)) if rep else 0))
            if len(samples) >= 2 and samples[-2][1]:
                break
            time.sleep(1.5)
        record("balloon/reporting", samples[-2][1] >= 256 * 1024 and
               samples[-2][0] is not None and samples[-2][0] == samples[-1][0],
               "free frames and kB reported: %s\n%s" % (samples, out))
    except (TimeoutError, EOFError) as e:
        record("balloon/reporting-session", False, "%s\n%s" % (e, s.out[-2000:]))
    finally:
        s.close()


def shell_session(name, **boot_args):
    s = qemu.Session(**boot_args)
    prompt = "memcore> "
    try:
        s.expect(prompt, timeout=90)
        s.send("help\r")
        out = s.expect(prompt)
        record(name + "/help", all(c in out for c in ("memmap", "reboot", "halt", "help")), out)
        s.send("memmap\r")
        out = s.expect(prompt)
        record(name + "/memmap", "usable" in out and "KiB usable" in out, out)
        if "iso" in boot_args:
            record(name + "/multiboot2-module", re.search(r"\) +\d+ B +module", out) is not None, out)
        s.send("helx\x7fp\r")          # a typo, erased with backspace
        out = s.expect(prompt)
        record(name + "/line-editing", "memmap" in out and "unknown" not in out, out)
        s.send("frobnicate\r")
        out = s.expect(prompt)
        record(name + "/unknown-command", "unknown command" in out, out)
        if "extra" in boot_args:       # booted with the user programs' initrd
            s.send("run /t_fresh\r")
            out = s.expect(prompt, timeout=120)
            record(name + "/run", "/t_fresh exited with status 0" in out and
                   "not returned" not in out and "not ok" not in out, out)
            s.send("ps\r")
            out = s.expect(prompt)
            record(name + "/ps", re.search(r"\s0\s+0 run .* kernel \[kernel\]", out) is not None,
                   out)
            s.send("run /t_dos hold &\r")  # a live DOS box for `mem PID` (EMS handle 0 is the system's)
            out = s.expect(prompt)
            job = re.search(r"\[(\d+)\] /t_dos", out)
            record(name + "/run-background", job is not None, out)
            if job:
                if "holding a DOS box" not in out:
                    s.expect("holding a DOS box", timeout=60)
                s.send("mem %s\r" % job.group(1))
                out = s.expect(prompt)
                record(name + "/mem", "DOS box of pid %s" % job.group(1) in out and
                       re.search(r"XMS +\d+K +64K", out) is not None and
                       re.search(r"EMS +\d+K +64K", out) is not None and
                       "1 XMS handles, 2 EMS handles in use" in out, out)
                s.send("wait\r")
                out = s.expect(prompt, timeout=60)
                record(name + "/wait", "[%s] exited with status 0" % job.group(1) in out, out)
            s.send("run /t_win32_virtual hold &\r")  # a live Win32 allocation for `vmquery PID`
            out = s.expect(prompt)
            job = re.search(r"\[(\d+)\] /t_win32_virtual", out)
            if job:
                if "holding an allocation" not in out:
                    out += s.expect("holding an allocation", timeout=60) + s.expect(" for ", 10)
                base = re.search(r"holding an allocation at 0x([0-9a-f]+)", out)
                s.send("vmquery %s\r" % job.group(1))
                out = s.expect(prompt)
                b = "%016x" % int(base.group(1), 16) if base else "?"
                record(name + "/vmquery", bool(base) and bool(re.search(
                    b + r" +" + b + r" +READWRITE +10000 +COMMIT +READWRITE +PRIVATE", out) and
                    re.search(r" +READWRITE +1000 +COMMIT +READWRITE\+GUARD +PRIVATE", out) and
                    re.search(r" +READWRITE +ef000 +RESERVE +- +PRIVATE", out)), out)
                s.send("wait\r")
                s.expect(prompt, timeout=60)
            else:
                record(name + "/vmquery", False, out)
        s.send("halt\r")
        s.expect("System halted.")
        status = s.wait(timeout=30)
        record(name + "/halt", status == 0, "QEMU exit status %s" % status)
    except (TimeoutError, EOFError) as e:
        record(name, False, "%s; console so far:\n%s" % (e, s.out[-2000:]))
    finally:
        s.close()


def tally(rs):
    passed = sum(ok is True for _, ok, _ in rs)
    failed = sum(ok is False for _, ok, _ in rs)
    skipped = sum(ok is None for _, ok, _ in rs)
    return "%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else "")


# Suites that run only when asked for by name (--only), not in `make test`.
OPT_IN = set()


def main():
    global verbose
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", default="")
    ap.add_argument("--fuzz-seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 10)))
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("TIMEOUT", 120)))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    verbose = a.verbose
    global stretch
    stretch = qemu.timeout_stretch()
    if stretch > 1:
        # Everything below scales from --timeout, and from the floors stretched() gives.
        a.timeout = int(a.timeout * stretch)
        print("timeouts x%.1f for the host's load: --timeout %d s" % (stretch, a.timeout), flush=True)
    only = set(filter(None, a.only.split(",")))
    kernel = os.path.join(a.build, "kernel/kernel.elf")
    iso = os.path.join(a.build, "memcore.iso")
    kernel32 = os.path.join(a.build, qemu.OUR_KERNEL["i386"])

    suites = [
        ("host", lambda: host_unit_tests(a.build)),
        ("host32", lambda: host32_unit_tests(a.build)),
        ("scripts", lambda: script_tests(a.build)),
        ("fuzz", lambda: fuzz_runs(a.build, a.fuzz_seconds)),
        # -cpu max has NX, SMEP, SMAP and 1 GiB pages; qemu64 has none of the last three.
        ("kernel", lambda: kernel_tests(kernel, [("32M", None), ("512M", None), ("4G", None),
                                                 ("6G", None), ("512M", "qemu64"),
                                                 ("512M", None, 2), ("512M", None, 2, 2),
                                                 ("512M", None, 4, 0, "sched,smp")],
                                          a.timeout, a.build)),
        # The i386 kernel, two-level paging and PAE; qemu32 has no NX, SMEP or SMAP.
        # 3G and 8G: RAM above the 896 MiB of lowmem is high memory (kmap).
        # Two CPUs: 512M two-level, 3G PAE (high memory, firmware tables above lowmem).
        ("kernel32", lambda: (kernel_tests(os.path.join(a.build, "i386/kernel.elf"),
                                           [("32M", None), ("512M", None), ("512M", "qemu32"),
                                            ("3G", None), ("512M", None, 2)],
                                           a.timeout, a.build, name="kernel32"),
                              kernel_tests(os.path.join(a.build, "i386-pae/kernel.elf"),
                                           [("32M", None), ("512M", None), ("3G", None),
                                            ("8G", None), ("3G", None, 2)],
                                           a.timeout, a.build, name="kernel32-pae"))),
        ("panic", lambda: (crash_report(kernel, a.timeout),
                           stack_overflow_report(kernel, a.timeout),
                           kmap_switch_report(kernel, "kernel", "64M", a.timeout),
                           kmap_switch_report(kernel32, "kernel32-pae", "1G", a.timeout))),
        ("user", lambda: (user_programs(kernel, a.build, a.timeout),
                          user_programs(kernel, a.build, a.timeout, smp=2))),
        ("swap", lambda: (swap_disk_run(a.build, a.timeout), swap_programs(a.build, a.timeout))),
        ("diff", lambda: (differential(kernel, a.build, a.timeout),
                          numa_differential(a.build, a.timeout),
                          swap_differential(a.build, a.timeout))),
        # The tests/user programs built for i386, on our i386 kernel (PAE) and on
        # Linux i386 (Debian's 686-pae kernel).
        ("user32", lambda: (user_programs(kernel32, a.build, a.timeout, sub="user32"),
                            user_programs(kernel32, a.build, a.timeout, smp=2, sub="user32",
                                          programs=USER32_SMP))),
        ("diff32", lambda: differential(kernel32, a.build, a.timeout, arch="i386")),
        # The kernels built with the kernel's UBSan (mk/ksan.mk).
        ("ubsan", lambda: ubsan_suite(a.build, a.timeout)),
        # The kernels built with KASAN (mk/ksan.mk): x86_64, i386 two-level and PAE.
        ("kasan", lambda: kasan_suite(a.build, a.timeout)),
        ("qemu-run", lambda: (foreign_programs(a.build, a.timeout),
                              no_smap_programs(a.build, a.timeout))),
        ("dos", lambda: dos_programs(a.build, a.timeout)),
        ("shell", lambda: (shell_session("shell-kernel", kernel=kernel,
                                         extra=["-initrd", os.path.join(a.build, "user/initrd.cpio")]),
                           balloon_session(kernel), balloon_reporting_session(kernel))),
        ("iso", lambda: shell_session("shell-iso", iso=iso)),
    ]
    for name, run in suites:
        if only and name not in only or not only and name in OPT_IN:
            continue
        before = len(results)
        print("== %s" % name, flush=True)
        run()
        done = results[before:]
        print("   %s" % tally(done), flush=True)
    failed = sum(ok is False for _, ok, _ in results)
    print(tally(results))
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
