#!/usr/bin/env python3
"""Booting our kernel in QEMU: the one place that defines the machine.

Used by `make run`, `make debug` and the test driver. Every boot has a
timeout; TCG is the default accelerator (ACCEL=kvm opts into KVM).

  tools/qemu.py run   [--mem 512M] [--accel tcg] KERNEL [CMDLINE...]
  tools/qemu.py debug [--mem 512M] KERNEL [CMDLINE...]
"""
import argparse
import os
import select
import subprocess
import sys
import time

# The shared machine: the same for our kernel and, later, for Linux.
MACHINE = [
    "-machine", "pc", "-cpu", "max,-arch-capabilities", "-smp", "1",
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
]
QEMU = "qemu-system-x86_64"

# isa-debug-exit turns a write of V into exit status (V << 1) | 1.
EXIT_TESTS_PASSED = 1      # kernel wrote 0
EXIT_TESTS_FAILED = 3      # kernel wrote 1
EXIT_PANIC = 7             # kernel wrote 3 (panic=exit)


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


def accel_args(accel):
    accel = accel or os.environ.get("ACCEL", "tcg")
    return ["-accel", accel]


def qemu_command(kernel=None, iso=None, mem="512M", cmdline="", accel=None,
                 serial="stdio", extra=()):
    cmd = [QEMU] + MACHINE + accel_args(accel) + ["-m", mem, "-serial", serial]
    if iso:
        cmd += ["-cdrom", iso, "-boot", "d"]
    else:
        cmd += ["-kernel", kernel, "-append", cmdline]
    return cmd + list(extra)


def boot(kernel=None, iso=None, mem="512M", cmdline="", timeout=120, accel=None, extra=()):
    """Boots once, non-interactively. Returns (output, status, timed_out)."""
    cmd = qemu_command(kernel, iso, mem, cmdline, accel, extra=extra)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return p.stdout.decode("utf-8", "replace").replace("\r\n", "\n"), p.returncode, False
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace").replace("\r\n", "\n")
        return out, None, True


class Session:
    """An interactive boot: send lines to the serial console, wait for text."""

    def __init__(self, kernel=None, iso=None, mem="512M", cmdline="", accel=None, extra=()):
        cmd = qemu_command(kernel, iso, mem, cmdline, accel, extra=extra)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.out = ""

    def expect(self, text, timeout=60):
        """Waits until @text has appeared since the last expect; returns what came."""
        deadline = time.monotonic() + timeout
        while text not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %r within %ss" % (text, timeout))
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
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
    ap.add_argument("--iso", action="store_true", help="KERNEL is an ISO image")
    ap.add_argument("kernel")
    ap.add_argument("cmdline", nargs="*")
    a = ap.parse_args()
    cmdline = " ".join(a.cmdline)
    kw = dict(iso=a.kernel) if a.iso else dict(kernel=a.kernel)
    extra = []
    if a.mode == "debug":
        extra = ["-s", "-S"]
        print("QEMU is halted with its gdb stub on localhost:1234; "
              "in another terminal: gdb -x tools/gdbinit", file=sys.stderr)
    else:
        print("Serial console; Ctrl-A X quits QEMU.", file=sys.stderr)
    cmd = qemu_command(mem=a.mem, cmdline=cmdline, accel=a.accel,
                       serial="mon:stdio", extra=extra, **kw)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
