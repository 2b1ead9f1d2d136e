// SPDX-License-Identifier: MIT
/*
 * The end of the line: a broken invariant or a fault nobody handled.
 * Report what happened, where (registers, backtrace with names), stop.
 */
#include "arch.h"
#include "memlayout.h"
#include "kernel/arch_hooks.h"
#include "kernel/lib.h"

void (*panic_exit_hook)(void);

/* Can [addr, addr + len) be read without faulting? A report must not fault. */
static bool mapped(uintptr_t addr, unsigned len)
{
	return kernel_mapped(addr) && kernel_mapped(addr + len - 1);
}
static int panicking;

/* Frame records live on some kernel stack; stop at anything implausible. */
static bool plausible_frame(uintptr_t fp)
{
	return fp >= KERNEL_SPACE_BASE && (fp & (sizeof(fp) - 1)) == 0;
}

/* Prints one entry, folding runs of the same return address (deep recursion). */
static void print_entry(uintptr_t ret, uintptr_t *last, unsigned *repeats)
{
	if (ret == *last) {
		++*repeats;
		return;
	}
	if (*repeats)
		kprintf("  ... the same %u more times\n", *repeats);
	*repeats = 0;
	*last = ret;
	if (ret)
		kprintf("  [<%016" PRIxPTR ">] %pS\n", ret, (void *)ret);
}

void backtrace_from(uintptr_t rip, uintptr_t rbp)
{
	uintptr_t last = 0;
	unsigned repeats = 0;

	kprintf("backtrace:\n");
	if (rip)
		print_entry(rip, &last, &repeats);
	for (int depth = 0; depth < 4096 && plausible_frame(rbp) && mapped(rbp, 2 * sizeof(rbp)); depth++) {
		const uintptr_t *frame = (const uintptr_t *)rbp;
		uintptr_t ret = frame[1];
		if (!ret)
			break;
		print_entry(ret, &last, &repeats);
		if (frame[0] <= rbp)	/* stacks grow down: callers are above */
			break;
		rbp = frame[0];
	}
	print_entry(0, &last, &repeats);
}

void backtrace(void)
{
	backtrace_from(0, (uintptr_t)__builtin_frame_address(0));
}

static _Noreturn void panic_stop(void)
{
	kprintf("--- end of panic report ---\n");
	if (panic_exit_hook)
		panic_exit_hook();
	cpu_halt_forever();
}

static bool panic_enter(void)
{
	cli();
	log_quiet = false;	/* a panic is always reported */
	if (panicking++) {
		kprintf("\nPANIC while panicking; halting\n");
		return false;
	}
	return true;
}

_Noreturn void vpanic(const char *fmt, va_list ap)
{
	if (!panic_enter())
		cpu_halt_forever();
	kprintf("\nPANIC: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	kprintf("cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
	backtrace();
	panic_stop();
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(fmt, ap);
}

/**
 * panic_trap() - report an exception the kernel could not handle, and stop.
 * @f: the state at the fault
 * @cr2: the faulting address, for page faults
 */
_Noreturn void panic_trap(const struct trap_frame *f, uint64_t cr2)
{
	if (!panic_enter())
		cpu_halt_forever();
	kprintf("\nPANIC: %s (vector %u, error code %#lx) at %pS\n", trap_name(f->vector),
		(unsigned)f->vector, (unsigned long)f->error, (void *)trap_ip(f));
	if (f->vector == VEC_PF) {
		char what[96], region[64];
		pf_decode(f->error, what, sizeof(what));
		kprintf("page fault at address %#" PRIx64 ": %s; region: %s\n", cr2, what,
			kernel_region_of(cr2, region, sizeof(region)));
	}
	trap_frame_print(f);
	backtrace_from(trap_ip(f), trap_fp(f));
	/* A leaf function keeps no frame record: its caller is on the stack top. */
	uintptr_t sp = trap_sp(f);
	uintptr_t top = plausible_frame(sp) && mapped(sp, sizeof(sp)) ? *(const uintptr_t *)sp : 0;
	uintptr_t off;
	if (ksym_lookup(top, &off))
		kprintf("  [<%016" PRIxPTR ">] ? %pS (stack top, if %pS is a leaf)\n", top, (void *)top,
			(void *)trap_ip(f));
	panic_stop();
}
