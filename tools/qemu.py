#!/usr/bin/env python3
"""Booting our kernel in QEMU: the one place that defines the machine.

Used by `make run`, `make debug` and the test driver. Every boot has a
timeout; TCG is the default accelerator (ACCEL=kvm opts into KVM).

  tools/qemu.py run   [--mem 512M] [--smp N] [--numa N] [--accel tcg] [--swap FILE] [--disk FILE]...
                      KERNEL [CMDLINE...]
  tools/qemu.py debug [--mem 512M] [--smp N] KERNEL [CMDLINE...]

With --smp N > 1 (and no -icount, which needs one TCG thread) QEMU runs
each virtual CPU on its own host thread (MTTCG).

Disks are virtio-blk devices (raw images), named vda, vdb, ... in the
order given, --swap first; --swap FILE also boots with swap=/dev/vda.
"""
import argparse
import os
import select
import subprocess
import sys
import time

# The shared machine: the same for our kernel and, later, for Linux.
MACHINE = [
    "-machine", "pc", "-cpu", "max,-arch-capabilities",
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
]
QEMU = "qemu-system-x86_64"
# The emulator per architecture; a 32-bit ELF kernel means i386.
QEMU_BY_ARCH = {"x86_64": QEMU, "i386": "qemu-system-i386"}
# Memory of the machine both kernels run on when they are compared.
SHARED_MEM = "1G"
# The guest clock advances 1 ns per guest instruction: timings measured with
# it are instruction counts, repeatable between boots (each iteration of a
# rep instruction counts once).
ICOUNT = ["-icount", "shift=0,sleep=off"]

# The reference kernel: Debian's (package linux-image-amd64), booted on the
# same machine with 4 KiB pages and four-level paging, console on the serial
# port, and QEMU ending when it powers off or panics. no_timer_check: under a
# loaded host TCG's timer ticks late and Linux's boot-time IO-APIC timer check
# panics ("IO-APIC + timer doesn't work"); the option is made for such VMs.
LINUX_KERNEL_GLOB = "/boot/vmlinuz-*-amd64"
LINUX_CMDLINE = "console=ttyS0 quiet panic=-1 transparent_hugepage=never no5lvl no_timer_check"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINUX_INIT_SRC = os.path.join(ROOT, "tools/linux-init.c")
# The i386 reference: Debian's linux-image-686-pae (PAE, NX), unpacked by
# mk/deps.sh into BUILD/deps/i386 (an i386 kernel package is not installed on
# an amd64 host), booted on the same machine by qemu-system-i386; its init
# and programs are i386 programs (tools/cc-i386).
LINUX_I386_KERNEL_GLOB = "deps/i386/linux-image-686-pae/root/boot/vmlinuz-*-686-pae"
LINUX_I386_CMDLINE = "console=ttyS0 quiet panic=-1 transparent_hugepage=never no_timer_check"
# Our kernel per architecture (under BUILD): PAE is the i386 default.
OUR_KERNEL = {"x86_64": "kernel/kernel.elf", "i386": "i386-pae/kernel.elf"}
CC_I386 = os.path.join(ROOT, "tools/cc-i386")

# isa-debug-exit turns a write of V into exit status (V << 1) | 1.
EXIT_TESTS_PASSED = 1      # kernel wrote 0
EXIT_TESTS_FAILED = 3      # kernel wrote 1
EXIT_PANIC = 7             # kernel wrote 3 (panic=exit)


def drive(path, fmt="raw"):
    """QEMU options attaching image @path as the next virtio disk."""
    return ["-drive", "file=%s,if=virtio,format=%s" % (path.replace(",", ",,"), fmt)]


def mkswap_image(path, mib, label=None):
    """A fresh image of @mib MiB with util-linux's swap header; False if
    mkswap is missing (util-linux is essential in Debian, so only off Debian)."""
    import shutil
    mkswap = shutil.which("mkswap") or next(
        (p for p in ("/usr/sbin/mkswap", "/sbin/mkswap") if os.path.exists(p)), None)
    if not mkswap:
        return False
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    cmd = [mkswap] + (["-L", label] if label else []) + [path]
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def disk_options(swap=None, disks=()):
    """(QEMU options, kernel options) for a swap disk and other disks: the
    swap disk comes first, so it is vda."""
    extra, cmdline = [], []
    if swap:
        extra += drive(swap)
        cmdline.append("swap=/dev/vda")
    for d in disks:
        extra += drive(d)
    return extra, cmdline


def newc_archive(files):
    """A cpio "newc" archive of {name in archive: bytes}, as the kernel reads it."""
    out = bytearray()

    def entry(name, data, mode, ino):
        nm = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0]
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + nm)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, data) in enumerate(sorted(files.items()), 1):
        entry(name, data, 0o100755, ino)
    entry("TRAILER!!!", b"", 0, 0)
    return bytes(out)


def linux_kernel(arch="x86_64", build=None):
    """The newest Debian kernel image for @arch, or None. The i386 one is
    unpacked under @build by mk/deps.sh (done here when missing)."""
    import glob
    import re

    def version(path):
        return [int(x) for x in re.findall(r"\d+", os.path.basename(path))]
    pattern = LINUX_KERNEL_GLOB
    if arch == "i386":
        build = build or os.path.join(ROOT, "build")
        pattern = os.path.join(build, LINUX_I386_KERNEL_GLOB)
        if not glob.glob(pattern):
            subprocess.run(["sh", os.path.join(ROOT, "mk/deps.sh"), "i386",
                            os.path.join(build, "deps/i386")], stdout=sys.stderr)
    found = sorted(glob.glob(pattern), key=version)
    return found[-1] if found else None


def linux_init(build=None, arch="x86_64"):
    """Path of the static init of the Linux initramfs, built if missing or stale."""
    name = "tools/linux-init" + ("32" if arch == "i386" else "")
    build = build or os.path.join(ROOT, "build")
    out = os.path.join(build, name)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(LINUX_INIT_SRC):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        cc = [CC_I386] if arch == "i386" else ["musl-gcc", "-static"]
        subprocess.run(cc + ["-O2", "-Wall", "-Wextra", "-Werror", "-o", out, LINUX_INIT_SRC],
                       check=True, env=dict(os.environ, BUILD=os.path.abspath(build)))
    return out


# Compressed swap on the reference kernel: Debian's modules, in load order.
ZRAM_MODULES = ["mm/zsmalloc.ko", "drivers/block/zram/zram.ko",
                "lib/lz4/lz4_compress.ko", "crypto/lz4.ko"]


def linux_zram_files(algo, size):
    """Initramfs files making the init set up zram swap (see tools/linux-init.c):
    the modules of the reference kernel (decompressed if packed) and /init.zram."""
    import lzma
    kernel = linux_kernel()
    if not kernel:
        raise FileNotFoundError("no %s: apt-get install linux-image-amd64" % LINUX_KERNEL_GLOB)
    moddir = "/lib/modules/" + os.path.basename(kernel)[len("vmlinuz-"):] + "/kernel/"
    files, names = {}, []
    for m in ZRAM_MODULES:
        path = moddir + m
        if os.path.exists(path):
            data = open(path, "rb").read()
        elif os.path.exists(path + ".xz"):
            data = lzma.decompress(open(path + ".xz", "rb").read())
        else:
            raise FileNotFoundError(path)
        files[os.path.basename(m)] = data
        names.append("/" + os.path.basename(m))
    files["init.modules"] = "\n".join(names).encode()
    files["init.zram"] = ("%s %d" % (algo, size)).encode()
    return files


def linux_initramfs(files, argv=None, build=None, arch="x86_64"):
    """An initramfs of {name: bytes} at /NAME, with our init; with @argv (a
    list of words) the init runs that program, else every /t_* program."""
    files = dict(files)
    with open(linux_init(build, arch), "rb") as f:
        files["init"] = f.read()
    if argv:
        files["init.args"] = b"".join(w.encode() + b"\0" for w in argv)
    return newc_archive(files)


def linux_command(initrd, icount=False, accel=None, cmdline="", extra=(), smp=1, mem=SHARED_MEM,
                  arch="x86_64", build=None):
    """QEMU booting the reference Linux kernel of @arch with @initrd (a file)."""
    kernel = linux_kernel(arch, build)
    if not kernel:
        raise FileNotFoundError("no %s: apt-get install linux-image-amd64" % LINUX_KERNEL_GLOB
                                if arch == "x86_64" else
                                "no i386 kernel: mk/deps.sh i386 BUILD/deps/i386 failed")
    base = LINUX_I386_CMDLINE if arch == "i386" else LINUX_CMDLINE
    return qemu_command(kernel=kernel, mem=mem, accel=accel, smp=smp, arch=arch,
                        cmdline=" ".join(filter(None, [base, cmdline])),
                        extra=["-initrd", initrd] + (ICOUNT if icount else []) + list(extra))


def accel_args(accel, smp=1, icount=False):
    accel = accel or os.environ.get("ACCEL", "tcg")
    if accel == "tcg" and smp > 1 and not icount:
        accel = "tcg,thread=multi"
    return ["-accel", accel]


def kernel_arch(kernel):
    """"i386" for a 32-bit ELF image (a kernel or a program), else "x86_64"
    (64-bit ELF, bzImage)."""
    try:
        with open(kernel, "rb") as f:
            head = f.read(5)
    except OSError:
        return "x86_64"
    return "i386" if head[:4] == b"\x7fELF" and head[4] == 1 else "x86_64"


def mem_mib(mem):
    """QEMU's -m size ("512M", "1G", "2048") in MiB."""
    units = {"M": 1, "G": 1024, "T": 1024 * 1024}
    mem = str(mem).upper().rstrip("B")
    return int(mem[:-1]) * units[mem[-1]] if mem[-1] in units else int(mem)


# SLIT distance between two different nodes of the --numa machine: not
# Linux's default of 20, so that a kernel reading it can be told apart.
NUMA_REMOTE_DISTANCE = 21


def numa_options(nodes, mem, smp):
    """QEMU options for @nodes NUMA nodes sharing @mem equally (each from a
    RAM backend, so the SRAT lists them) and the @smp CPUs dealt out in
    order (CPU i on node i * nodes // smp), with SLIT distances."""
    total = mem_mib(mem)
    if nodes < 2:
        return []
    if total % nodes:
        raise ValueError("%s does not split into %d equal NUMA nodes" % (mem, nodes))
    opts = []
    for n in range(nodes):
        cpus = [c for c in range(smp) if c * nodes // smp == n]
        opts += ["-object", "memory-backend-ram,id=numa%d,size=%dM" % (n, total // nodes),
                 "-numa", "node,nodeid=%d,memdev=numa%d" % (n, n) +
                 ("".join(",cpus=%d" % c for c in cpus))]
    for a in range(nodes):
        for b in range(a + 1, nodes):
            opts += ["-numa", "dist,src=%d,dst=%d,val=%d" % (a, b, NUMA_REMOTE_DISTANCE)]
    return opts


def qemu_command(kernel=None, iso=None, mem="512M", cmdline="", accel=None,
                 serial="stdio", extra=(), smp=1, arch=None):
    icount = "-icount" in extra
    arch = arch or (kernel_arch(kernel) if kernel else "x86_64")
    cmd = [QEMU_BY_ARCH[arch]] + MACHINE + ["-smp", str(smp)] + accel_args(accel, smp, icount) + \
        ["-m", mem, "-serial", serial]
    if iso:
        cmd += ["-cdrom", iso, "-boot", "d"]
    else:
        cmd += ["-kernel", kernel, "-append", cmdline]
    return cmd + list(extra)


# Timeouts are set for a host with a CPU free for each QEMU. On a loaded one
# (CI runners share their CPUs) TCG runs slower in proportion to the
# runnable tasks per CPU: timeout_stretch() is that ratio (1-minute load
# average over CPUs), at least 1 and at most MAX_STRETCH so that a hang
# still ends; TIMEOUT_STRETCH in the environment sets it instead.
MAX_STRETCH = 4.0


def timeout_stretch():
    env = os.environ.get("TIMEOUT_STRETCH")
    if env:
        return max(1.0, float(env))
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1.0
    return min(MAX_STRETCH, max(1.0, load / (os.cpu_count() or 1)))


def read_output(p, deadline):
    """The next output of process @p (its stdout, a pipe): bytes, b"" once it is
    closed, or None if time.monotonic() reaches @deadline first."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
        if r:
            return os.read(p.stdout.fileno(), 65536)


def boot(kernel=None, iso=None, mem="512M", cmdline="", timeout=120, accel=None, extra=(),
         cmd=None, smp=1, progress=None, idle=None):
    """Boots once, non-interactively (our kernel, or the QEMU command @cmd).
    Returns (output, status, timed_out). With @progress (bytes the guest
    prints as it finishes a unit of work) the boot ends @idle seconds after
    the last of them (or the start) without another, and in any case after
    @timeout: a guest that keeps making progress is not cut off by a slow
    host, a hung one is found after @idle."""
    cmd = cmd or qemu_command(kernel, iso, mem, cmdline, accel, extra=extra, smp=smp)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    start = last = time.monotonic()
    chunks, carry, timed_out = [], b"", False
    while True:
        deadline = start + timeout
        if progress is not None and idle is not None:
            deadline = min(deadline, last + idle)
        chunk = read_output(p, deadline)
        if chunk is None:
            p.kill()
            timed_out = True
            break
        if not chunk:
            break
        chunks.append(chunk)
        if progress is not None:
            # @carry: the end of the previous read, shorter than a marker (one split
            # between reads is found, none twice).
            if progress in carry + chunk:
                last = time.monotonic()
            carry = (carry + chunk)[-(len(progress) - 1):] if len(progress) > 1 else b""
    try:
        status = p.wait(timeout=30)
    except subprocess.TimeoutExpired:     # its output closed, QEMU still there
        p.kill()
        status, timed_out = p.wait(), True
    out = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return out, None if timed_out else status, timed_out


START = b"init: starting "


def run_program(cmd, timeout, show_all=False, tool="qemu-run"):
    """Runs QEMU command @cmd whose process 1 runs a program: streams what
    comes after the line "init: starting ..." (everything if @show_all) to
    stdout, and returns the program's exit status (from the isa-debug-exit
    port), 124 on timeout, 125 if the guest stopped without a status."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    started = show_all
    pending = b""
    deadline = time.monotonic() + timeout
    out = sys.stdout.buffer
    while True:
        chunk = read_output(p, deadline)
        if chunk is None:
            p.kill()
            p.wait()
            sys.stderr.write("%s: timed out after %gs\n" % (tool, timeout))
            return 124
        if not chunk:
            break
        pending = (pending + chunk).replace(b"\r\n", b"\n")
        if not started:
            i = pending.find(START)
            j = pending.find(b"\n", i) if i >= 0 else -1
            if j < 0:
                continue
            pending, started = pending[j + 1:], True
        if pending.endswith(b"\r"):
            out.write(pending[:-1])
            pending = b"\r"
        else:
            out.write(pending)
            pending = b""
        out.flush()
    if not started:
        out.write(pending)
    status = p.wait()
    if status % 2 == 1:
        return status >> 1
    sys.stderr.write("%s: the kernel stopped without an exit status (QEMU status %d)\n"
                     % (tool, status))
    return 125


def monitor(sock, command, timeout=10):
    """Sends one command to QEMU's human monitor on unix socket @sock
    (-monitor unix:SOCK,server,nowait); returns the monitor's answer."""
    import socket
    m = socket.socket(socket.AF_UNIX)
    m.settimeout(timeout)
    m.connect(sock)
    try:
        out = b""
        while b"(qemu) " not in out:        # the banner and first prompt
            out += m.recv(4096)
        m.sendall(command.encode() + b"\n")
        out = b""
        while out.count(b"(qemu) ") < 1:
            out += m.recv(4096)
        # The monitor echoes the line with terminal escapes; the answer follows it.
        text = out.decode("utf-8", "replace").replace("\r", "")
        return text[text.rfind(command) + len(command):].split("(qemu) ")[0].strip() \
            if command in text else text.split("(qemu) ")[0].strip()
    finally:
        m.close()


class Session:
    """An interactive boot: send lines to the serial console, wait for text."""

    def __init__(self, kernel=None, iso=None, mem="512M", cmdline="", accel=None, extra=(),
                 smp=1):
        cmd = qemu_command(kernel, iso, mem, cmdline, accel, extra=extra, smp=smp)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.out = ""

    def expect(self, text, timeout=60):
        """Waits until @text has appeared since the last expect; returns what came."""
        deadline = time.monotonic() + timeout
        while text not in self.out:
            chunk = read_output(self.p, deadline)
            if chunk is None:
                raise TimeoutError("no %r within %ss" % (text, timeout))
            if not chunk:
                raise EOFError("QEMU exited before %r" % text)
            self.out += chunk.decode("utf-8", "replace")
        i = self.out.index(text) + len(text)
        seen, self.out = self.out[:i], self.out[i:]
        return seen

    def send(self, text):
        for ch in text.encode():       # one at a time: the UART FIFO is small
            self.p.stdin.write(bytes([ch]))
            self.p.stdin.flush()
            time.sleep(0.002)

    def wait(self, timeout=30):
        try:
            rest, _ = self.p.communicate(timeout=timeout)
            self.out += rest.decode("utf-8", "replace")
            return self.p.returncode
        except subprocess.TimeoutExpired:
            self.close()
            return None

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["run", "debug"])
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--accel", default=None)
    ap.add_argument("--smp", type=int, default=1, help="virtual CPUs")
    ap.add_argument("--numa", type=int, default=0,
                    help="NUMA nodes: memory split equally, CPUs dealt out in order")
    ap.add_argument("--iso", action="store_true", help="KERNEL is an ISO image")
    ap.add_argument("--swap", default=None, help="swap disk image (made by mkswap)")
    ap.add_argument("--disk", action="append", default=[], help="another disk image")
    ap.add_argument("--arch", choices=sorted(QEMU_BY_ARCH), default=None,
                    help="the machine (default: from the kernel image; x86_64 for an ISO)")
    ap.add_argument("kernel")
    ap.add_argument("cmdline", nargs="*")
    a = ap.parse_args()
    disks, swapopt = disk_options(a.swap, a.disk)
    cmdline = " ".join(a.cmdline + swapopt)
    kw = dict(iso=a.kernel) if a.iso else dict(kernel=a.kernel)
    extra = list(disks) + numa_options(a.numa, a.mem, a.smp)
    if a.mode == "debug":
        extra += ["-s", "-S"]
        print("QEMU is halted with its gdb stub on localhost:1234; "
              "in another terminal: gdb -x tools/gdbinit", file=sys.stderr)
    else:
        print("Serial console; Ctrl-A X quits QEMU.", file=sys.stderr)
    cmd = qemu_command(mem=a.mem, cmdline=cmdline, accel=a.accel, smp=a.smp,
                       serial="mon:stdio", extra=extra, arch=a.arch, **kw)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
