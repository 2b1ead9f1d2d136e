// SPDX-License-Identifier: MIT
/*
 * The DOS box (memcore/dos.h) from a program: the low megabyte as DOS
 * memory (the MCB chain read through plain pointers), INT 21h allocation,
 * the UMBs, XMS with a lock whose address is a pointer, the HMA and the
 * A20 wrap, EMS pages seen through the page frame at E000h (data written
 * through a window is in the logical page wherever it is mapped next), a
 * broken chain, fork and 4Ch.
 *
 * memcore only: on Linux the first call gives ENOSYS and the program
 * reports "1..0 # SKIP", which the differential suite leaves alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memcore/dos.h"
#include "tap.h"

/* An address in the kernel's half (on i386 0x1000 is DOS memory in a DOS box). */
#if UINTPTR_MAX > 0xffffffffu
#define KERNEL_ADDR 0xffff800000001000ull
#else
#define KERNEL_ADDR 0xc0001000u
#endif

/* A DOS linear address as a pointer (hidden from the compiler's null-page checks). */
static uint8_t *lin(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return (uint8_t *)a;
}

static struct dos_regs R(uint32_t ax, uint32_t bx, uint32_t cx, uint32_t dx)
{
	return (struct dos_regs){ .eax = ax, .ebx = bx, .ecx = cx, .edx = dx };
}

static unsigned ax(const struct dos_regs *r) { return r->eax & 0xffff; }
static unsigned bx(const struct dos_regs *r) { return r->ebx & 0xffff; }
static unsigned dx(const struct dos_regs *r) { return r->edx & 0xffff; }
static unsigned ah(const struct dos_regs *r) { return (r->eax >> 8) & 0xff; }

static void conventional(void)
{
	struct dos_regs r;
	uint8_t *mcb = lin(0x1000);
	unsigned seg, largest;

	ok(mcb[0] == 'M' && (mcb[1] | mcb[2] << 8) == 0x0101, "first MCB: 'M', owned by the PSP");
	ok(lin(0x1010)[0] == 0xcd && lin(0x1010)[1] == 0x20, "PSP at 0101h starts with INT 20h");
	ok_eq(GetDosMemorySize(), 640, "GetDosMemorySize: 640 KiB");
	largest = GetDosLargestBlock();
	ok_eq(largest, 0x8efe, "GetDosLargestBlock: the rest of conventional memory");
	r = R(0x4800, 0x1000, 0, 0);
	ok(dos_int(0x21, &r) == 0 && !(r.eflags & DOS_CF), "48h allocates 64 KiB");
	seg = ax(&r);
	memset(lin(seg * 16u), 0x5a, 0x10000);
	ok(lin(seg * 16u - 16)[0] == 'M' && (lin(seg * 16u - 16)[1] | lin(seg * 16u - 16)[2] << 8) == 0x0101,
	   "its MCB, just below it, names the PSP as owner");
	r = R(0x4800, 0xffff, 0, 0);
	dos_int(0x21, &r);
	ok((r.eflags & DOS_CF) && ax(&r) == 8 && bx(&r) == largest - 0x1001,
	   "48h FFFFh: error 8 and BX = the largest block");
	r = R(0x4a00, 0xffff, 0, 0);
	r.es = (uint16_t)seg;
	dos_int(0x21, &r);
	ok((r.eflags & DOS_CF) && ax(&r) == 8 && bx(&r) == largest, "4Ah grows to the most it can and says so");
	ok_eq(GetDosLargestBlock(), 0, "the block took all of it");
	r = R(0x4900, 0, 0, 0);
	r.es = (uint16_t)seg;
	ok(dos_int(0x21, &r) == 0 && !(r.eflags & DOS_CF), "49h frees it");
	r = R(0x4900, 0, 0, 0);
	r.es = 0x1234;
	dos_int(0x21, &r);
	ok((r.eflags & DOS_CF) && ax(&r) == 9, "49h of a non-block: error 9");
	seg = AllocateDosMemory(0x100);
	ok(seg > 0x1100 && FreeDosMemory((uint16_t)seg), "AllocateDosMemory, FreeDosMemory");
	/* A broken chain: error 7, and nobody crashes. */
	uint8_t keep = lin(0x11000)[0];
	lin(0x11000)[0] = 'X';
	r = R(0x4800, 0x10, 0, 0);
	dos_int(0x21, &r);
	ok((r.eflags & DOS_CF) && ax(&r) == 7, "a destroyed MCB: error 7");
	lin(0x11000)[0] = keep;
	ok_eq(GetDosLargestBlock(), largest, "repaired, the chain works again");
}

static void upper(void)
{
	struct dos_regs r = R(0x5803, 1, 0, 0);
	unsigned seg;

	ok(dos_int(0x21, &r) == 0 && !(r.eflags & DOS_CF), "5803h links the UMBs");
	r = R(0x5801, 0x40, 0, 0);
	dos_int(0x21, &r);
	r = R(0x4800, 0x100, 0, 0);
	dos_int(0x21, &r);
	seg = ax(&r);
	ok(!(r.eflags & DOS_CF) && seg >= 0xc800 && seg < 0xe000, "high-only strategy: a UMB");
	memset(lin(seg * 16u), 0x33, 0x1000);
	ok(lin(seg * 16u)[0xfff] == 0x33, "UMB memory is usable");
	r = R(0x4900, 0, 0, 0);
	r.es = (uint16_t)seg;
	dos_int(0x21, &r);
	r = R(0x5801, 0, 0, 0);
	dos_int(0x21, &r);
	r = R(0x5803, 0, 0, 0);
	dos_int(0x21, &r);
	r = R(0x1000, 0, 0, 0x100);
	dos_xms(&r);
	ok(ax(&r) == 1 && bx(&r) >= 0xc800 && bx(&r) < 0xe000, "XMS 10h: an upper memory block");
}

static void xms(void)
{
	struct dos_regs r = R(0x4300, 0, 0, 0);
	uint8_t *p;
	unsigned h;

	dos_int(0x2f, &r);
	ok((r.eax & 0xff) == 0x80, "INT 2Fh 4300h: XMS installed");
	r = R(0x4310, 0, 0, 0);
	dos_int(0x2f, &r);
	ok(r.es != 0, "INT 2Fh 4310h: the driver entry");
	r = R(0x0000, 0, 0, 0);
	dos_xms(&r);
	ok(ax(&r) == 0x0300 && dx(&r) == 1, "XMS 3.00, HMA present");
	r = R(0x0900, 0, 0, 256);
	dos_xms(&r);
	h = dx(&r);
	ok(ax(&r) == 1 && h, "09h: 256 KiB");
	r = R(0x0c00, 0, 0, h);
	dos_xms(&r);
	p = lin(((uintptr_t)dx(&r) << 16) | bx(&r));
	ok(ax(&r) == 1 && (uintptr_t)p >= 0x110000, "0Ch: locked at a linear address above the HMA");
	for (int i = 0; i < 256 * 1024; i++)
		p[i] = (uint8_t)(i * 3);
	/* Move 4 KiB from offset 8192 of the block to 2000:0000 of conventional memory. */
	uint8_t *m = lin(0x600);
	uint32_t len = 4096, soff = 8192, doff = 0x20000000;
	uint16_t sh = (uint16_t)h, dh = 0;
	memcpy(m, &len, 4);
	memcpy(m + 4, &sh, 2);
	memcpy(m + 6, &soff, 4);
	memcpy(m + 10, &dh, 2);
	memcpy(m + 12, &doff, 4);
	r = R(0x0b00, 0, 0, 0);
	r.ds = 0x0060;
	r.esi = 0;
	dos_xms(&r);
	ok(ax(&r) == 1 && memcmp(lin(0x20000), p + 8192, 4096) == 0, "0Bh moves block -> conventional");
	r = R(0x0a00, 0, 0, h);
	dos_xms(&r);
	ok(ax(&r) == 0 && (r.ebx & 0xff) == 0xab, "0Ah of a locked block: ABh");
	r = R(0x0d00, 0, 0, h);
	dos_xms(&r);
	r = R(0x0a00, 0, 0, h);
	dos_xms(&r);
	ok(ax(&r) == 1, "unlocked, freed");
	r = R(0x0a00, 0, 0, h);
	dos_xms(&r);
	ok(ax(&r) == 0 && (r.ebx & 0xff) == 0xa2, "freed twice: A2h");
	h = AllocateXmsMemory(100000);
	ok(h && FreeXmsMemory(h), "AllocateXmsMemory, FreeXmsMemory");
}

static void hma(void)
{
	struct dos_regs r = R(0x0700, 0, 0, 0);

	dos_xms(&r);
	ok(ax(&r) == 0, "A20 starts off");
	lin(0x10)[0] = 0x11;
	ok(lin(0x100010)[0] == 0x11, "A20 off: FFFF:0020 is linear 10h (the 1 MiB wrap)");
	r = R(0x0100, 0, 0, 0xffff);
	dos_xms(&r);
	ok(ax(&r) == 1, "01h: the HMA is ours");
	r = R(0x0300, 0, 0, 0);
	dos_xms(&r);
	ok(ax(&r) == 1 && lin(0x100010)[0] == 0, "A20 on: the HMA is its own memory");
	memset(lin(0x100000), 0x44, 0xfff0);
	r = R(0x0400, 0, 0, 0);
	dos_xms(&r);
	ok(lin(0x100010)[0] == 0x11, "A20 off again: the wrap");
	r = R(0x0300, 0, 0, 0);
	dos_xms(&r);
	ok(lin(0x10ffef)[0] == 0x44 && lin(0x100000)[0] == 0x44, "the HMA kept its data");
	r = R(0x0200, 0, 0, 0);
	dos_xms(&r);
}

static void ems(void)
{
	struct dos_regs r = R(0x4100, 0, 0, 0);
	struct dos_info before, after;
	uint8_t *frame = lin(0xe0000);
	unsigned h, bad = 0;

	dos_int(0x67, &r);
	ok(ah(&r) == 0 && bx(&r) == 0xe000, "41h: the page frame is at E000h");
	r = R(0x4300, 8, 0, 0);
	dos_int(0x67, &r);
	h = dx(&r);
	ok(ah(&r) == 0 && h, "43h: 8 pages");
	for (unsigned l = 0; l < 8; l++) {
		r = R(0x4400 | (l % 4), l, 0, h);
		dos_int(0x67, &r);
		memset(frame + (l % 4) * 0x4000, 0xa0 + l, 0x4000);
	}
	/* Every page again, each in another window: its own data. */
	dos_info(&before);
	for (unsigned l = 0; l < 8; l++) {
		unsigned w = 3 - l % 4;
		uint8_t *win = frame + w * 0x4000;

		r = R(0x4400 | w, l, 0, h);
		dos_int(0x67, &r);
		bad += ah(&r) != 0 || win[0] != 0xa0 + l || win[0x3fff] != 0xa0 + l;
	}
	dos_info(&after);
	ok_eq(bad, 0, "data written through a window is in its logical page, seen in any window");
	ok_eq((after.ems_pte_writes - before.ems_pte_writes) / (after.ems_maps - before.ems_maps), 4,
	      "a map writes 4 page-table entries");
	ok_eq(after.ems_tlb_flushes - before.ems_tlb_flushes, after.ems_maps - before.ems_maps,
	      "and flushes the TLB once");
	ok_eq(after.ems_copies, 0, "and copies nothing");
	r = R(0x4400, 5, 0, h);
	dos_int(0x67, &r);
	r = R(0x4401, 5, 0, h);
	dos_int(0x67, &r);
	frame[100] = 0x77;
	ok(frame[0x4000 + 100] == 0x77, "one page in two windows: one memory");
	ok(MapEmsPageToPhysical((uint16_t)h, 2, 0xe800) && frame[0x8000] == 0xa2,
	   "MapEmsPageToPhysical by segment");
	r = R(0x4400, 8, 0, h);
	dos_int(0x67, &r);
	ok_eq(ah(&r), 0x8a, "44h past the handle's pages: 8Ah");
	r = R(0x4404, 0, 0, h);
	dos_int(0x67, &r);
	ok_eq(ah(&r), 0x8b, "44h window 4: 8Bh");
	r = R(0x4500, 0, 0, h);
	dos_int(0x67, &r);
	ok_eq(ah(&r), 0, "45h frees the pages");
	r = R(0x4500, 0, 0, h);
	dos_int(0x67, &r);
	ok_eq(ah(&r), 0x83, "and the handle");
	h = AllocateEmsPages(4);
	ok(h && FreeEmsPages((uint16_t)h), "AllocateEmsPages, FreeEmsPages");
}

static void child_not_a_box(void *arg)
{
	struct dos_regs r = R(0x6200, 0, 0, 0);

	(void)arg;
	if (dos_int(0x21, &r) != -EINVAL)
		_exit(2);
	*(volatile uint8_t *)lin(0x1000);	/* no low memory: SIGSEGV */
	_exit(3);
}

static void child_exits_by_4ch(void *arg)
{
	struct dos_regs r = R(0x4c2a, 0, 0, 0);

	(void)arg;
	if (dos_init(NULL))
		_exit(1);
	dos_int(0x21, &r);
	_exit(4);
}

/* The program pulls its DOS memory out from under the box: errors, no crash, nothing leaked. */
static void child_unmaps_its_box(void *arg)
{
	struct dos_regs r = R(0x4300, 2, 0, 0);

	(void)arg;
	if (dos_init(NULL) || dos_int(0x67, &r) || (r.eax & 0xff00))
		_exit(1);
	uint16_t h = (uint16_t)r.edx;

	if (syscall(SYS_munmap, 0, 0x110000))
		_exit(2);
	r = R(0x4800, 0x10, 0, 0);
	if (dos_int(0x21, &r) || !(r.eflags & DOS_CF) || ax(&r) != 7)
		_exit(3);
	r = R(0x4400, 0, 0, h);
	if (dos_int(0x67, &r) || ah(&r) != 0x80)
		_exit(4);
	r = R(0x0300, 0, 0, 0);
	if (dos_xms(&r) || ax(&r) != 0 || (r.ebx & 0xff) != 0x82)
		_exit(5);
	_exit(0);
}

/*
 * `t_dos hold`: become a DOS box with a program's worth of blocks, XMS and
 * EMS in use, then stay alive a few seconds so the shell's `mem PID` can
 * look at a live box (the shell suite does).
 */
static int hold(void)
{
	struct dos_regs r;
	struct timespec ts = { 3, 0 };

	if (dos_init(NULL))
		return 1;
	r = R(0x4800, 0x0100, 0, 0);		/* 4 KiB of conventional memory */
	if (dos_int(0x21, &r) || (r.eflags & DOS_CF))
		return 2;
	r = R(0x0900, 0, 0, 64);		/* 64 KiB of XMS */
	if (dos_xms(&r) || ax(&r) != 1)
		return 3;
	r = R(0x4300, 4, 0, 0);			/* 4 EMS pages */
	if (dos_int(0x67, &r) || ah(&r) != 0)
		return 4;
	printf("t_dos: holding a DOS box for %ld s\n", (long)ts.tv_sec);
	fflush(stdout);
	nanosleep(&ts, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct dos_regs r;

	if (argc > 1 && !strcmp(argv[1], "hold"))
		return hold();
	int e = dos_init(NULL);

	if (e == -ENOSYS) {
		printf("1..0 # SKIP no DOS box (memcore only)\n");
		return 0;
	}
	ok_eq(e, 0, "dos_init makes this process a DOS box");
	ok_eq(dos_init(NULL), -EBUSY, "a second dos_init: EBUSY");
	r = R(0x0000, 0, 0, 0);
	ok_eq(dos_int(0x10, &r), -ENOSYS, "INT 10h is not ours: ENOSYS");
	ok_eq(dos_int(0x21, (struct dos_regs *)KERNEL_ADDR), -EFAULT,
	      "a bad register pointer: EFAULT");
	{
		struct dos_v86 st = { .cs = 0x101, .ip = 0x100, .ss = 0x101, .sp = 0xffee };

		/* Long mode has no virtual-8086 mode: real-mode programs run on the i386 kernel. */
#if UINTPTR_MAX > 0xffffffffu
		ok_eq(dos_run(&st), -ENOSYS, "dos_run on x86_64: ENOSYS");
#else
		(void)st;	/* nothing is loaded at 101h:100h here: it would run zeros */
		tap_skip("dos_run on x86_64: ENOSYS", "i386 runs real-mode programs (tests/dos)");
#endif
		ok_eq(dos_run((struct dos_v86 *)KERNEL_ADDR), -EFAULT, "dos_run with a bad pointer: EFAULT");
	}
	conventional();
	upper();
	xms();
	hma();
	ems();
	ok_killed_by(run_in_child(child_not_a_box, NULL), SIGSEGV, "a forked child is not a DOS box");
	ok_exited_with(run_in_child(child_exits_by_4ch, NULL), 42, "4Ch ends the program with AL");
	ok_exited_with(run_in_child(child_unmaps_its_box, NULL), 0,
		       "DOS memory unmapped by the program: errors 7, 80h, 82h, no crash");
	return done_testing();
}
